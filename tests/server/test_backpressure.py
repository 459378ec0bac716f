"""A device that stops reading is cut off; everyone else keeps going."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from pydantic_core import from_json, to_json
from websockets.asyncio.client import connect as ws_connect

from lim_protocol.commands import Command
from lim_protocol.frames import HEADER_SIZE, encode_frame

from .conftest import RawClient, collect, login_raw, wait_until

MESSAGES = 120
TEXT = "x" * 60_000


async def small_window_socket(address: tuple[str, int]) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, address)
    return sock


async def stalled_client(harness: Any, user_id: str, transport: str) -> Any:
    """A logged-in client with a tiny receive window that never reads."""
    sock = await small_window_socket(harness.server.addresses[transport])
    if transport == "tcp":
        client = await RawClient.connect(None, sock=sock)
        await login_raw(client, harness, user_id)
        return client

    # The websockets client stops reading once max_queue messages wait.
    ws = await ws_connect(harness.url("ws"), sock=sock, ping_interval=None, max_queue=4)
    login = {"userId": user_id, "userSign": harness.token(user_id)}
    await ws.send(encode_frame(Command.LOGIN, to_json(login), app_id=harness.app_id))
    reply = from_json((await ws.recv())[HEADER_SIZE:])
    assert reply["code"] == 200
    return ws


@pytest.mark.parametrize("transport", ["tcp", "ws"])
async def test_a_device_that_stops_reading_is_cut_off_and_others_get_everything(
    make_harness: Any, transport: str
) -> None:
    harness = await make_harness(max_buffer=65536)
    for user_id in ("alice", "carol", "bob"):
        await harness.user(user_id)
    stalled = await stalled_client(harness, "bob", transport)
    reader = await harness.device("bob")
    other_reader = await harness.device("bob", transport="ws")
    senders = [await harness.device("alice"), await harness.device("carol")]

    async def send_all(sender: Any) -> list[dict[str, Any]]:
        return [
            await sender.send_message("bob", TEXT, message_id=f"{sender.imei}-{n}")
            for n in range(MESSAGES)
        ]

    acks = await asyncio.gather(*(send_all(sender) for sender in senders))

    gateway = harness.server.gateway
    assert gateway.slow_consumers == 1
    assert all(len(sent) == MESSAGES for sent in acks)
    expected = {ack["messageKey"] for sent in acks for ack in sent}
    for device in (reader, other_reader):
        pushes = await collect(device, Command.MSG_P2P)
        assert {push.body["messageKey"] for push in pushes} == expected
    online = harness.server.router.devices(harness.app_id, "bob")
    assert sorted(device.imei for device in online) == sorted(
        [reader.imei, other_reader.imei]
    )
    if transport == "tcp":
        await stalled.close()
    else:
        stalled.transport.abort()


async def test_stopping_the_server_cuts_off_a_client_that_stopped_reading(
    make_harness: Any,
) -> None:
    harness = await make_harness(max_buffer=1 << 26)
    harness.server.gateway.settings.shutdown_grace = 0.2
    await harness.user("alice")
    await harness.user("bob")
    stalled = await stalled_client(harness, "bob", "tcp")
    alice = await harness.device("alice")
    (session,) = harness.server.router.devices(harness.app_id, "bob")

    for n in range(MESSAGES):
        await alice.send_message("bob", TEXT, message_id=f"m{n}")
    await wait_until(lambda: session._buffered() > 1 << 20)

    await asyncio.wait_for(harness.stop(), 10)

    assert not harness.server.gateway.sessions
    await stalled.close()
