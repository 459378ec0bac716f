"""Presence operations: statuses of users and friends, custom status, watching."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ..operations import Request, operation

MAX_TTL = 7 * 86400


def _examples(*examples: dict) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class StatusGet(Request):
    model_config = _examples({"userIds": ["alice", "bob"]})

    user_ids: list[str] = Field(min_length=1, max_length=1000)


class StatusFriends(Request):
    model_config = _examples({})


class StatusSet(Request):
    model_config = _examples(
        {"customStatus": 1, "customText": "in a meeting"}, {"customStatus": 0}
    )

    custom_status: int = Field(ge=0, le=2**31 - 1)
    custom_text: str = Field(default="", max_length=256)


class StatusSubscribe(Request):
    model_config = _examples({"userIds": ["alice", "bob"], "ttlSeconds": 3600})

    user_ids: list[str] = Field(min_length=1, max_length=1000)
    ttl_seconds: int = Field(default=3600, ge=1, le=MAX_TTL)


class StatusUnsubscribe(Request):
    model_config = _examples({"userIds": ["alice"]}, {})

    user_ids: list[str] | None = Field(default=None, max_length=1000)


@operation("/v1/status/get", StatusGet)
async def get_status(services, caller, request: StatusGet):
    """Online state and custom status of a list of users."""
    return services.presence.statuses(caller.app_id, request.user_ids)


@operation("/v1/status/friends", StatusFriends)
async def friends_status(services, caller, request: StatusFriends):
    """Online state and custom status of every friend of the caller."""
    return services.presence.friends(caller)


@operation("/v1/status/set", StatusSet)
async def set_status(services, caller, request: StatusSet):
    """Set your custom status and text; friends and watchers are told (4004)."""
    return services.presence.set_status(
        caller, request.custom_status, request.custom_text
    )


@operation("/v1/status/subscribe", StatusSubscribe)
async def subscribe(services, caller, request: StatusSubscribe):
    """Receive status changes of these users for ``ttlSeconds``."""
    return services.presence.subscribe(caller, request.user_ids, request.ttl_seconds)


@operation("/v1/status/unsubscribe", StatusUnsubscribe)
async def unsubscribe(services, caller, request: StatusUnsubscribe):
    """Stop watching these users (all of them when ``userIds`` is absent)."""
    removed = services.presence.unsubscribe(caller, request.user_ids)
    return {"removed": removed}


@operation("/v1/status/subscriptions", StatusFriends)
async def subscriptions(services, caller, request: StatusFriends):
    """Your live subscriptions and when each expires."""
    return services.presence.subscriptions(caller)
