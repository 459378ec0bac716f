"""Which devices are online, and pushing frames to them.

The router is the seam between the services and the gateways: services say
"push this to alice's devices", the router finds alice's sessions on this
node. A multi-node deployment replaces it with one that also forwards to
the nodes holding alice's other sessions; the services do not change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from pydantic_core import to_json

log = logging.getLogger(__name__)


class Device(Protocol):
    """What the router needs of a session."""

    app_id: int
    user_id: str
    client_type: int
    imei: str

    def send_body(self, command: int, body: bytes) -> bool: ...


PresenceListener = Callable[[Device, bool], None]


class LocalRouter:
    """Sessions of this node, indexed by app and user."""

    def __init__(self) -> None:
        self._devices: dict[tuple[int, str], list[Device]] = {}
        self.listeners: list[PresenceListener] = []
        self.pushed = 0

    # registry

    def add(self, device: Device) -> None:
        key = (device.app_id, device.user_id)
        self._devices.setdefault(key, []).append(device)
        self._notify(device, True)

    def remove(self, device: Device) -> None:
        key = (device.app_id, device.user_id)
        devices = self._devices.get(key)
        if not devices or device not in devices:
            return
        devices.remove(device)
        if not devices:
            del self._devices[key]
        self._notify(device, False)

    def _notify(self, device: Device, online: bool) -> None:
        for listener in self.listeners:
            try:
                listener(device, online)
            except Exception:
                log.exception("presence listener failed")

    def devices(self, app_id: int, user_id: str) -> list[Device]:
        return list(self._devices.get((app_id, user_id), ()))

    def is_online(self, app_id: int, user_id: str) -> bool:
        return (app_id, user_id) in self._devices

    def online_users(self, app_id: int) -> Iterable[str]:
        return (user for (app, user) in self._devices if app == app_id)

    @property
    def session_count(self) -> int:
        return sum(len(devices) for devices in self._devices.values())

    @property
    def user_count(self) -> int:
        return len(self._devices)

    # delivery

    def push_body(
        self,
        app_id: int,
        user_id: str,
        command: int,
        body: bytes,
        exclude: object | None = None,
    ) -> int:
        """Send an encoded body to every device of a user; return how many."""
        delivered = 0
        # A snapshot: a device cut off as a slow consumer during the loop
        # removes itself from the live list, which would skip the next one.
        for device in tuple(self._devices.get((app_id, user_id), ())):
            if device is exclude:
                continue
            if device.send_body(command, body):
                delivered += 1
        self.pushed += delivered
        return delivered

    def push(
        self,
        app_id: int,
        user_ids: Iterable[str],
        command: int,
        payload: Any,
        exclude: object | None = None,
    ) -> int:
        """Encode ``payload`` once and push it to every device of the users."""
        body = to_json(payload)
        return sum(
            self.push_body(app_id, user_id, command, body, exclude)
            for user_id in user_ids
        )
