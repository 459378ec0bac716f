"""The four login modes: which devices a new login pushes out."""

from __future__ import annotations

from typing import Any

import pytest

from lim_client.session import ClientSession
from lim_protocol.commands import ClientType, Command

from .conftest import collect, drain, wait_closed

IOS, ANDROID, WEB, MAC, LINUX, API = (
    ClientType.IOS,
    ClientType.ANDROID,
    ClientType.WEB,
    ClientType.MAC,
    ClientType.LINUX,
    ClientType.API,
)


async def in_mode(harness: Any, mode: int) -> Any:
    await harness.server.services.apps.update_settings(
        harness.app_id, {"loginMode": mode}
    )
    await harness.user("alice")
    return harness


async def assert_kicked_by(old: ClientSession, new: ClientSession) -> None:
    """``old`` got MUTUAL_LOGIN naming ``new`` and was then closed."""
    event = await old.next_event(Command.MUTUAL_LOGIN)
    assert event.body["clientType"] == new.client_type
    assert event.body["imei"] == new.imei
    await wait_closed(old)


async def assert_still_online(harness: Any, *sessions: ClientSession) -> None:
    for session in sessions:
        assert not await collect(session, Command.MUTUAL_LOGIN)
    online = harness.server.router.devices(harness.app_id, "alice")
    online_imeis = {device.imei for device in online}
    assert {session.imei for session in sessions} <= online_imeis


async def online_count(harness: Any) -> int:
    return len(harness.server.router.devices(harness.app_id, "alice"))


@pytest.mark.parametrize(
    ("old_type", "new_type"),
    [(IOS, MAC), (MAC, WEB), (WEB, ANDROID), (LINUX, LINUX)],
)
async def test_mode_1_allows_one_device_in_all(
    harness: Any, old_type: int, new_type: int
) -> None:
    await in_mode(harness, 1)
    old = await harness.device("alice", client_type=old_type)

    new = await harness.device("alice", client_type=new_type, transport="ws")

    await assert_kicked_by(old, new)
    await assert_still_online(harness, new)
    assert await online_count(harness) == 1


async def test_mode_2_allows_one_mobile_or_desktop_device(harness: Any) -> None:
    await in_mode(harness, 2)
    phone = await harness.device("alice", client_type=IOS)

    desktop = await harness.device("alice", client_type=MAC)

    await assert_kicked_by(phone, desktop)
    await assert_still_online(harness, desktop)


async def test_mode_2_allows_any_number_of_web_devices(harness: Any) -> None:
    await in_mode(harness, 2)
    desktop = await harness.device("alice", client_type=LINUX)

    webs = [await harness.device("alice", client_type=WEB) for _ in range(3)]

    await assert_still_online(harness, desktop, *webs)
    assert await online_count(harness) == 4


async def test_mode_3_allows_one_mobile_and_one_desktop(harness: Any) -> None:
    await in_mode(harness, 3)
    phone = await harness.device("alice", client_type=IOS)
    desktop = await harness.device("alice", client_type=MAC)
    await assert_still_online(harness, phone, desktop)

    tablet = await harness.device("alice", client_type=ANDROID)
    laptop = await harness.device("alice", client_type=LINUX)

    await assert_kicked_by(phone, tablet)
    await assert_kicked_by(desktop, laptop)
    await assert_still_online(harness, tablet, laptop)
    assert await online_count(harness) == 2


async def test_mode_3_allows_any_number_of_web_devices(harness: Any) -> None:
    await in_mode(harness, 3)
    phone = await harness.device("alice", client_type=IOS)
    desktop = await harness.device("alice", client_type=MAC)

    webs = [await harness.device("alice", client_type=WEB) for _ in range(3)]

    await assert_still_online(harness, phone, desktop, *webs)
    assert await online_count(harness) == 5


async def test_mode_4_allows_any_number_of_devices(harness: Any) -> None:
    await in_mode(harness, 4)
    types = [IOS, ANDROID, MAC, LINUX, WEB, WEB]

    sessions = [await harness.device("alice", client_type=kind) for kind in types]

    await assert_still_online(harness, *sessions)
    assert await online_count(harness) == len(types)


@pytest.mark.parametrize("mode", [1, 2, 3, 4])
async def test_the_same_imei_logging_in_again_replaces_its_old_connection(
    harness: Any, mode: int
) -> None:
    await in_mode(harness, mode)
    other = await harness.device("alice", client_type=WEB, imei="browser")
    old = await harness.device("alice", client_type=MAC, imei="laptop")

    new = await harness.device("alice", client_type=MAC, imei="laptop")

    await assert_kicked_by(old, new)
    assert await new.ping() > 0
    imeis = [
        device.imei for device in harness.server.router.devices(harness.app_id, "alice")
    ]
    assert imeis.count("laptop") == 1
    if mode != 1:
        await assert_still_online(harness, other)


@pytest.mark.parametrize("mode", [1, 2, 3])
async def test_an_api_session_never_kicks_and_is_never_kicked(
    harness: Any, mode: int
) -> None:
    await in_mode(harness, mode)
    api = await harness.device("alice", client_type=API, imei="script")
    phone = await harness.device("alice", client_type=IOS)

    api_too = await harness.device("alice", client_type=API, imei="script2")
    tablet = await harness.device("alice", client_type=ANDROID)

    await assert_kicked_by(phone, tablet)
    await assert_still_online(harness, api, api_too, tablet)
    assert await online_count(harness) == 3


async def test_a_kicked_device_does_not_receive_messages_any_more(
    harness: Any,
) -> None:
    await in_mode(harness, 1)
    await harness.user("bob")
    old = await harness.device("alice", client_type=IOS)
    new = await harness.device("alice", client_type=ANDROID)
    await assert_kicked_by(old, new)
    bob = await harness.device("bob")

    await bob.send_message("alice", "hello")

    pushed = await new.next_event(Command.MSG_P2P)
    assert pushed.body["messageBody"]["text"] == "hello"
    assert not drain(old, Command.MSG_P2P)
