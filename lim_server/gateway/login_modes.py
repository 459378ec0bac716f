"""Which existing devices a new login pushes out, per the app's login mode.

Modes:

1. one device in all;
2. one mobile-or-desktop device, plus any number of web devices;
3. one mobile, one desktop, plus any number of web devices;
4. any number of devices.

A device that logs in again with the same non-empty imei always replaces
its older connection. API sessions (clientType 0) never count, never kick
and are never kicked, whatever the mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from lim_protocol.commands import ClientType, DeviceCategory


class DeviceLike(Protocol):
    client_type: int
    imei: str


def category(client_type: int) -> DeviceCategory:
    try:
        return ClientType(client_type).category
    except ValueError:
        return DeviceCategory.API


def devices_to_kick(
    mode: int, client_type: int, imei: str, existing: Iterable[DeviceLike]
) -> list[DeviceLike]:
    new = category(client_type)
    if new is DeviceCategory.API:
        return []
    kicked = []
    for device in existing:
        old = category(device.client_type)
        if old is DeviceCategory.API:
            continue
        if imei and device.imei == imei or _conflicts(mode, new, old):
            kicked.append(device)
    return kicked


def _conflicts(mode: int, new: DeviceCategory, old: DeviceCategory) -> bool:
    web = DeviceCategory.WEB
    if mode == 1:
        return True
    if mode == 2:
        return new is not web and old is not web
    if mode == 3:
        return new is not web and new is old
    return False
