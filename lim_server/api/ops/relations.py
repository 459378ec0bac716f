"""Relation operations: friends, friend requests, friend groups, blacklist."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ...services.relations import MAX_GROUP_NAME, MAX_REMARK, MAX_SOURCE, MAX_WORDING
from ...store.relations import FriendFields
from ..operations import Request, operation

Ids = list[str]


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class FriendAdd(Request):
    model_config = _example(
        {
            "toId": "bob",
            "remark": "Bob from work",
            "addSource": "search",
            "wording": "hi, it's alice",
        }
    )

    to_id: str = Field(min_length=1, max_length=64)
    remark: str = Field(default="", max_length=MAX_REMARK)
    add_source: str = Field(default="", max_length=MAX_SOURCE)
    extra: dict[str, Any] = Field(default_factory=dict)
    wording: str = Field(default="", max_length=MAX_WORDING)


class FriendUpdate(Request):
    model_config = _example({"toId": "bob", "remark": "Bobby", "extra": {"star": 1}})

    to_id: str = Field(min_length=1, max_length=64)
    remark: str | None = Field(default=None, max_length=MAX_REMARK)
    add_source: str | None = Field(default=None, max_length=MAX_SOURCE)
    extra: dict[str, Any] | None = None


class FriendTarget(Request):
    model_config = _example({"toId": "bob"})

    to_id: str = Field(min_length=1, max_length=64)


class NoBody(Request):
    model_config = _example({})


class FriendList(Request):
    model_config = _example({"after": "", "limit": 100})

    after: str = ""
    limit: int = Field(default=1000, ge=1, le=5000)


class FriendCheck(Request):
    model_config = _example({"toIds": ["bob", "carol"], "twoWay": True})

    to_ids: Ids = Field(min_length=1, max_length=1000)
    two_way: bool = True


class FriendImport(Request):
    model_config = _example(
        {
            "friendships": [
                {
                    "fromId": "alice",
                    "toId": "bob",
                    "remark": "Bob",
                    "addSource": "import",
                    "extra": {},
                }
            ]
        }
    )

    friendships: list[Any] = Field(max_length=100_000)


class RequestList(Request):
    model_config = _example({"direction": "received", "pendingOnly": True})

    direction: Literal["received", "sent", "all"] = "received"
    pending_only: bool = False


class RequestApprove(Request):
    model_config = _example({"requestId": 7, "remark": "Alice"})

    request_id: int
    remark: str = Field(default="", max_length=MAX_REMARK)
    add_source: str | None = Field(default=None, max_length=MAX_SOURCE)
    extra: dict[str, Any] = Field(default_factory=dict)


class RequestTarget(Request):
    model_config = _example({"requestId": 7})

    request_id: int


class GroupCreate(Request):
    model_config = _example({"name": "work", "members": ["bob"]})

    name: str = Field(min_length=1, max_length=MAX_GROUP_NAME)
    members: Ids = Field(default_factory=list, max_length=5000)


class GroupTarget(Request):
    model_config = _example({"name": "work"})

    name: str = Field(min_length=1, max_length=MAX_GROUP_NAME)


class GroupMembers(Request):
    model_config = _example({"name": "work", "members": ["bob", "carol"]})

    name: str = Field(min_length=1, max_length=MAX_GROUP_NAME)
    members: Ids = Field(min_length=1, max_length=5000)


# friends


@operation("/v1/friend/add", FriendAdd)
async def add(services, caller, request: FriendAdd):
    """Add a friend: direct when their policy is free, else a friend request."""
    fields = FriendFields(request.remark, request.add_source, request.extra)
    return await services.relations.add(caller, request.to_id, fields, request.wording)


@operation("/v1/friend/update", FriendUpdate)
async def update(services, caller, request: FriendUpdate):
    """Change the remark, source or extra of one of your friends."""
    fields = FriendFields(request.remark, request.add_source, request.extra)
    return await services.relations.update(caller, request.to_id, fields)


@operation("/v1/friend/delete", FriendTarget)
async def delete(services, caller, request: FriendTarget):
    """Delete one friend; their row for you is untouched."""
    return await services.relations.delete(caller, request.to_id)


@operation("/v1/friend/delete-all", NoBody)
async def delete_all(services, caller, request: NoBody):
    """Delete every friend you have."""
    return await services.relations.delete_all(caller)


@operation("/v1/friend/get", FriendTarget)
async def get(services, caller, request: FriendTarget):
    """One friendship row of yours."""
    return services.relations.get(caller, request.to_id)


@operation("/v1/friend/list", FriendList)
async def list_friends(services, caller, request: FriendList):
    """Your friends in id order, paged with ``after``."""
    return services.relations.list_friends(caller, request.after, request.limit)


@operation("/v1/friend/check", FriendCheck)
async def check(services, caller, request: FriendCheck):
    """Per id: none, a_has_b (you have them), b_has_a, or both."""
    return {
        "results": services.relations.check(caller, request.to_ids, request.two_way)
    }


@operation("/v1/friend/import", FriendImport, admin=True)
async def import_friends(services, caller, request: FriendImport):
    """Create or restore many friendship rows (admin); no notifications."""
    return await services.relations.import_many(caller, request.friendships)


# friend requests


@operation("/v1/friend/request/list", RequestList)
async def list_requests(services, caller, request: RequestList):
    """Friend requests you received, sent, or both; newest first."""
    rows = services.relations.requests(caller, request.direction, request.pending_only)
    return {"requests": rows}


@operation("/v1/friend/request/read", NoBody)
async def read_requests(services, caller, request: NoBody):
    """Mark every friend request you received as read."""
    return await services.relations.read_requests(caller)


@operation("/v1/friend/request/approve", RequestApprove)
async def approve(services, caller, request: RequestApprove):
    """Approve a friend request addressed to you: you become friends."""
    fields = FriendFields(request.remark, request.add_source, request.extra)
    return await services.relations.approve(caller, request.request_id, fields)


@operation("/v1/friend/request/reject", RequestTarget)
async def reject(services, caller, request: RequestTarget):
    """Reject a friend request addressed to you."""
    return await services.relations.reject(caller, request.request_id)


# friend groups


@operation("/v1/friend/group/create", GroupCreate)
async def create_group(services, caller, request: GroupCreate):
    """Create a friend group (tag), optionally with friends in it."""
    return await services.relations.create_group(caller, request.name, request.members)


@operation("/v1/friend/group/delete", GroupTarget)
async def delete_group(services, caller, request: GroupTarget):
    """Delete a friend group; the friendships stay."""
    return await services.relations.delete_group(caller, request.name)


@operation("/v1/friend/group/add", GroupMembers)
async def add_group_members(services, caller, request: GroupMembers):
    """Put friends into a friend group."""
    return await services.relations.add_group_members(
        caller, request.name, request.members
    )


@operation("/v1/friend/group/remove", GroupMembers)
async def remove_group_members(services, caller, request: GroupMembers):
    """Take friends out of a friend group."""
    return await services.relations.remove_group_members(
        caller, request.name, request.members
    )


@operation("/v1/friend/group/list", NoBody)
async def list_groups(services, caller, request: NoBody):
    """Your friend groups with their members."""
    return {"groups": services.relations.groups(caller)}


# blacklist


@operation("/v1/blacklist/add", FriendTarget)
async def block(services, caller, request: FriendTarget):
    """Block someone, friend or not; a friendship stays and returns on unblock."""
    return await services.relations.block(caller, request.to_id)


@operation("/v1/blacklist/remove", FriendTarget)
async def unblock(services, caller, request: FriendTarget):
    """Unblock someone you blocked."""
    return await services.relations.unblock(caller, request.to_id)


@operation("/v1/blacklist/list", NoBody)
async def blocked(services, caller, request: NoBody):
    """Everyone you blocked."""
    return {"blocked": services.relations.blocked(caller)}


@operation("/v1/blacklist/check", FriendCheck)
async def check_blocked(services, caller, request: FriendCheck):
    """Per id: none, a_blocked_b (you blocked them), b_blocked_a, or both."""
    return {
        "results": services.relations.check_blocked(
            caller, request.to_ids, request.two_way
        )
    }
