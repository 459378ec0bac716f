"""Presence: who is online, custom statuses, and temporary subscriptions.

A user is online while any of their devices is; the router tells us of each
device login and logout (``router.listeners``). A user also carries a custom
status (an integer, 0 for none; see docs/protocol.md for the common values)
and a text, set with ``/v1/status/set`` or at LOGIN.

A change is encoded once and pushed to:

- the user's friends (``friends_of``) that have a device online,
- the live subscribers of the user (``/v1/status/subscribe``),
- the user's own other devices.

Nothing is sent to users without a device online: a push to them is one
dictionary miss. Subscriptions store their expiry time; expired ones are
dropped when a change meets them and by one periodic :meth:`sweep`, so no
timer exists per user or per subscription.

State lives in this node's memory: a restart forgets custom statuses (clients
send theirs again at LOGIN) and subscriptions (clients subscribe again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json

from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode, ProtocolError

from ..routing import Device, LocalRouter
from .context import Caller

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 1000
SWEEP_INTERVAL = 60.0


@dataclass(slots=True)
class Status:
    custom_status: int = 0
    custom_text: str = ""
    last_seen: int = 0


class PresenceService:
    def __init__(self, router: LocalRouter) -> None:
        self.router = router
        self.clock: Callable[[], float] = time.time
        # Relations wire this: the friend ids of a user (``friend_ids``).
        self.friends_of: Callable[[int, str], list[str]] = _no_friends
        self._status: dict[tuple[int, str], Status] = {}
        # target -> {watcher: expiry} and watcher -> {target: expiry}
        self._watchers: dict[tuple[int, str], dict[str, float]] = {}
        self._watching: dict[tuple[int, str], dict[str, float]] = {}
        self.changes = 0
        self.pushed = 0
        router.listeners.append(self.device_changed)

    # reading

    def status(self, app_id: int, user_id: str) -> dict[str, Any]:
        devices = self.router.devices(app_id, user_id)
        state = self._status.get((app_id, user_id)) or Status()
        return {
            "userId": user_id,
            "online": bool(devices),
            "clientTypes": sorted({device.client_type for device in devices}),
            "customStatus": state.custom_status,
            "customText": state.custom_text,
            "lastSeen": state.last_seen,
        }

    def statuses(self, app_id: int, user_ids: Iterable[str]) -> list[dict[str, Any]]:
        return [self.status(app_id, user_id) for user_id in dict.fromkeys(user_ids)]

    def friends(self, caller: Caller) -> list[dict[str, Any]]:
        """The status of every friend of the caller."""
        friends = self.friends_of(caller.app_id, caller.user_id)
        return self.statuses(caller.app_id, friends)

    # changes

    def device_changed(self, device: Device, online: bool) -> None:
        """Router listener: a device logged in (``online``) or out."""
        app_id, user_id = device.app_id, device.user_id
        key = (app_id, user_id)
        remaining = len(self.router.devices(app_id, user_id))

        custom_changed = False
        wanted = getattr(device, "custom_status", None)
        if online and wanted is not None:
            text = getattr(device, "custom_text", None) or ""
            custom_changed = self._set(key, int(wanted), text)
        if not online and remaining == 0:
            self._status.setdefault(key, Status()).last_seen = self._now_ms()

        # Others only hear of the first device coming and the last one going;
        # the user's own devices hear of every device.
        user_changed = remaining == (1 if online else 0)
        payload = self.status(app_id, user_id)
        command = Command.USER_ONLINE_STATUS_CHANGED
        if user_changed:
            self.fan_out(app_id, user_id, command, payload, exclude=device)
        else:
            self._push_own(app_id, user_id, command, payload, device)
        if custom_changed:
            command = Command.USER_CUSTOM_STATUS_CHANGED
            self.fan_out(app_id, user_id, command, payload, exclude=device)

    def set_status(
        self, caller: Caller, custom_status: int, custom_text: str = ""
    ) -> dict[str, Any]:
        """Set the caller's custom status and text; push it if it changed."""
        key = (caller.app_id, caller.user_id)
        payload = self.status(caller.app_id, caller.user_id)
        if self._set(key, custom_status, custom_text):
            payload = self.status(caller.app_id, caller.user_id)
            self.fan_out(
                caller.app_id,
                caller.user_id,
                Command.USER_CUSTOM_STATUS_CHANGED,
                payload,
                exclude=caller.origin,
            )
        return payload

    def _set(self, key: tuple[int, str], custom_status: int, text: str) -> bool:
        state = self._status.get(key)
        if state is None:
            state = self._status[key] = Status()
        if (state.custom_status, state.custom_text) == (custom_status, text):
            return False
        state.custom_status, state.custom_text = custom_status, text
        return True

    def fan_out(
        self,
        app_id: int,
        user_id: str,
        command: int,
        payload: Any,
        exclude: object | None = None,
    ) -> int:
        """Push a change of ``user_id`` to everyone who should see it.

        Returns how many devices received it.
        """
        self.changes += 1
        body = to_json(payload)
        push = self.router.push_body
        recipients = set(self.friends_of(app_id, user_id))
        recipients.update(self._live_watchers(app_id, user_id))
        recipients.discard(user_id)

        delivered = push(app_id, user_id, command, body, exclude)
        for recipient in recipients:
            delivered += push(app_id, recipient, command, body)
        self.pushed += delivered
        return delivered

    def _push_own(
        self, app_id: int, user_id: str, command: int, payload: Any, exclude: Any
    ) -> None:
        self.pushed += self.router.push_body(
            app_id, user_id, command, to_json(payload), exclude
        )

    # subscriptions

    def subscribe(
        self, caller: Caller, user_ids: list[str], ttl_seconds: int
    ) -> dict[str, Any]:
        """Watch users for ``ttl_seconds``; return their statuses now."""
        app_id, watcher = caller.app_id, caller.user_id
        now = self.clock()
        expires = now + ttl_seconds
        watching = self._watching.setdefault((app_id, watcher), {})
        for target, expiry in list(watching.items()):
            if expiry <= now:
                self._drop(app_id, watcher, target)
        targets = [target for target in dict.fromkeys(user_ids) if target != watcher]
        if len(set(watching) | set(targets)) > MAX_SUBSCRIPTIONS:
            raise ProtocolError(
                ErrorCode.INVALID_PARAMS,
                f"at most {MAX_SUBSCRIPTIONS} subscriptions per user",
            )
        for target in targets:
            watching[target] = expires
            self._watchers.setdefault((app_id, target), {})[watcher] = expires
        return {
            "expiresAt": int(expires * 1000),
            "statuses": self.statuses(app_id, targets),
        }

    def unsubscribe(self, caller: Caller, user_ids: list[str] | None) -> int:
        """Stop watching these users (all when ``None``); return how many."""
        app_id, watcher = caller.app_id, caller.user_id
        watching = self._watching.get((app_id, watcher), {})
        targets = list(watching) if user_ids is None else user_ids
        return sum(self._drop(app_id, watcher, target) for target in targets)

    def subscriptions(self, caller: Caller) -> list[dict[str, Any]]:
        now = self.clock()
        watching = self._watching.get((caller.app_id, caller.user_id), {})
        return [
            {"userId": target, "expiresAt": int(expiry * 1000)}
            for target, expiry in sorted(watching.items())
            if expiry > now
        ]

    def _live_watchers(self, app_id: int, target: str) -> list[str]:
        watchers = self._watchers.get((app_id, target))
        if not watchers:
            return []
        now = self.clock()
        expired = [watcher for watcher, expiry in watchers.items() if expiry <= now]
        for watcher in expired:
            self._drop(app_id, watcher, target)
        return list(watchers)

    def _drop(self, app_id: int, watcher: str, target: str) -> bool:
        watching = self._watching.get((app_id, watcher))
        found = watching is not None and watching.pop(target, None) is not None
        if watching is not None and not watching:
            del self._watching[(app_id, watcher)]
        watchers = self._watchers.get((app_id, target))
        if watchers is not None:
            watchers.pop(watcher, None)
            if not watchers:
                del self._watchers[(app_id, target)]
        return found

    def sweep(self) -> int:
        """Drop every expired subscription; return how many."""
        now = self.clock()
        dropped = 0
        for (app_id, watcher), watching in list(self._watching.items()):
            for target, expiry in list(watching.items()):
                if expiry <= now:
                    dropped += self._drop(app_id, watcher, target)
        return dropped

    async def sweep_forever(self, interval: float = SWEEP_INTERVAL) -> None:
        while True:
            await asyncio.sleep(interval)
            dropped = self.sweep()
            if dropped:
                log.debug("presence: %d subscriptions expired", dropped)

    @property
    def subscription_count(self) -> int:
        return sum(len(watching) for watching in self._watching.values())

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)


def _no_friends(app_id: int, user_id: str) -> list[str]:
    return []
