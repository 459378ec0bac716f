"""Broken input: a clear error, the connection handled, the server still up."""

from __future__ import annotations

import asyncio
import os
import struct
from typing import Any

import pytest
from pydantic_core import from_json, to_json
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode
from lim_protocol.frames import HEADER, encode_frame

from .conftest import RawClient, login_raw, wait_until


@pytest.fixture
async def users(harness: Any) -> Any:
    await harness.user("alice")
    await harness.user("bob")
    return harness


async def assert_server_still_serves(harness: Any) -> None:
    alice = await harness.device("alice", transport="tcp")
    bob = await harness.device("bob", transport="ws")

    ack = await alice.send_message("bob", "still here")

    pushed = await bob.next_event(Command.MSG_P2P)
    assert pushed.body["messageKey"] == ack["messageKey"]


async def logged_in(harness: Any) -> RawClient:
    client = await RawClient.connect(harness.server.addresses["tcp"])
    await login_raw(client, harness, "alice")
    return client


def closing_codes(frames: list[Any]) -> list[int]:
    return [from_json(f.body)["code"] for f in frames if f.command == Command.ERROR]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            HEADER.pack(9999, 1, 6, 0, 1, 1000, 2) + b"x" * 1002,
            ErrorCode.FRAME_MALFORMED,
        ),
        (HEADER.pack(1103, 1, 6, 0, 1, 0, 2 << 20), ErrorCode.FRAME_TOO_LARGE),
        (encode_frame(9999, b"{}", imei=b"\xff\xfe"), ErrorCode.FRAME_MALFORMED),
    ],
    ids=["imei length 1000", "oversized body", "imei not utf8"],
)
async def test_a_broken_header_gets_an_error_then_the_connection_closes(
    users: Any, data: bytes, code: int
) -> None:
    client = await logged_in(users)

    await client.send_bytes(data)

    assert closing_codes(await client.wait_eof()) == [code]
    assert users.server.gateway.bad_frames == 1
    await client.close()
    await assert_server_still_serves(users)


async def test_an_oversized_body_is_refused_before_it_is_read(
    make_harness: Any,
) -> None:
    harness = await make_harness(max_body=4096)
    await harness.user("alice")
    await harness.user("bob")
    client = await logged_in(harness)

    await client.send(
        Command.MSG_P2P,
        {"messageId": "m1", "toId": "bob", "messageBody": "x" * 5000},
        app_id=harness.app_id,
    )

    assert closing_codes(await client.wait_eof()) == [ErrorCode.FRAME_TOO_LARGE]
    assert harness.server.store.messages.count() == 0
    await assert_server_still_serves(harness)


@pytest.mark.parametrize(
    ("command", "body", "code", "reply"),
    [
        (4242, b"{}", ErrorCode.UNKNOWN_COMMAND, Command.ERROR),
        (Command.MSG_P2P, b"not json", ErrorCode.BODY_NOT_JSON, Command.MSG_ACK),
        (Command.MSG_P2P, b"[1, 2]", ErrorCode.BODY_NOT_JSON, Command.MSG_ACK),
        (Command.API_REQUEST, b'"text"', ErrorCode.BODY_NOT_JSON, Command.API_RESPONSE),
        (Command.MSG_P2P, b"\xff{}", ErrorCode.BODY_NOT_JSON, Command.MSG_ACK),
    ],
    ids=["unknown command", "not json", "json array", "json string", "not utf8"],
)
async def test_a_bad_request_gets_an_error_reply_and_the_connection_stays(
    users: Any, command: int, body: bytes, code: int, reply: int
) -> None:
    client = await logged_in(users)

    await client.send(command, body, app_id=users.app_id)
    answer = await client.next_reply()
    await client.send(Command.PING, {}, app_id=users.app_id)
    pong = await client.next_reply()

    assert answer[0] == reply
    assert answer[1]["code"] == code
    assert pong[0] == Command.PING and "serverTime" in pong[1]
    await client.close()
    await assert_server_still_serves(users)


@pytest.mark.parametrize(
    ("offset", "value", "code"),
    [
        (4, 2, ErrorCode.VERSION_UNSUPPORTED),
        (12, 1, ErrorCode.ENCODING_UNSUPPORTED),
        (16, 999, ErrorCode.APP_MISMATCH),
    ],
    ids=["version", "encoding", "app id"],
)
async def test_a_header_field_out_of_range_is_refused_and_the_connection_stays(
    users: Any, offset: int, value: int, code: int
) -> None:
    client = await logged_in(users)
    frame = bytearray(encode_frame(4242, b"{}", app_id=users.app_id))
    struct.pack_into("!I", frame, offset, value)

    await client.send_bytes(bytes(frame))
    command, answer = await client.next_reply()

    assert command == Command.ERROR
    assert answer["code"] == code
    await client.send(Command.PING, {}, app_id=users.app_id)
    assert (await client.next_reply())[0] == Command.PING
    await client.close()


async def test_random_garbage_closes_the_connection_and_nothing_else(
    users: Any,
) -> None:
    clients = []
    for seed in range(5):
        client = await RawClient.connect(users.server.addresses["tcp"])
        await client.send_bytes(os.urandom(4096 + seed))
        clients.append(client)

    for client in clients:
        await client.wait_eof()
        await client.close()
    await assert_server_still_serves(users)


async def test_a_peer_that_disconnects_mid_frame_leaves_the_server_serving(
    users: Any,
) -> None:
    client = await logged_in(users)
    frame = encode_frame(Command.MSG_P2P, b'{"messageId": "m1"}', app_id=users.app_id)

    await client.send_bytes(frame[:-5])
    await client.close()

    await assert_server_still_serves(users)


def ws_url(harness: Any, path: str = "/ws") -> str:
    host, port = harness.server.addresses["ws"]
    return f"ws://{host}:{port}{path}"


async def test_a_websocket_text_message_closes_the_connection(users: Any) -> None:
    async with ws_connect(ws_url(users), ping_interval=None) as ws:
        await ws.send("hello")
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1008

    await assert_server_still_serves(users)


async def test_a_websocket_message_with_two_frames_is_malformed(users: Any) -> None:
    ping = encode_frame(9999, b"{}", app_id=users.app_id)
    async with ws_connect(ws_url(users), ping_interval=None) as ws:
        await ws.send(ping + ping)
        answer = from_json((await asyncio.wait_for(ws.recv(), 10))[28:])
        assert answer["code"] == ErrorCode.FRAME_MALFORMED
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)

    await assert_server_still_serves(users)


async def test_a_websocket_on_the_wrong_path_gets_404(users: Any) -> None:
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(ws_url(users, "/chat"), ping_interval=None):
            pass

    assert caught.value.response.status_code == 404
    assert not users.server.gateway.sessions or all(
        session.state.value == "closed" for session in users.server.gateway.sessions
    )
    await assert_server_still_serves(users)


async def test_plain_http_on_the_websocket_port_is_refused(users: Any) -> None:
    client = await RawClient.connect(users.server.addresses["ws"])

    await client.send_bytes(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
    response = await asyncio.wait_for(client.reader.read(1024), 10)

    assert response.startswith(b"HTTP/1.1 4")
    await client.close()
    await assert_server_still_serves(users)


async def test_a_refused_websocket_handshake_closes_the_connection(
    users: Any,
) -> None:
    client = await RawClient.connect(users.server.addresses["ws"])
    request = (
        "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )

    await client.send_bytes(request.encode())
    response = b""
    while chunk := await asyncio.wait_for(client.reader.read(1024), 10):
        response += chunk

    assert response.startswith(b"HTTP/1.1 404")
    await client.close()
    await wait_until(lambda: not users.server.gateway.sessions)


async def test_a_websocket_message_over_the_size_limit_closes_the_connection(
    make_harness: Any,
) -> None:
    harness = await make_harness(max_body=4096)
    await harness.user("alice")
    await harness.user("bob")
    frame = encode_frame(Command.PING, b" " * 10_000, app_id=harness.app_id)

    async with ws_connect(ws_url(harness), ping_interval=None) as ws:
        await ws.send(frame)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1009

    await assert_server_still_serves(harness)


async def test_a_fragmented_websocket_message_is_one_frame(users: Any) -> None:
    login = encode_frame(
        Command.LOGIN,
        to_json({"userId": "alice", "userSign": users.token("alice"), "rid": "r1"}),
        app_id=users.app_id,
        client_type=1,
    )
    async with ws_connect(ws_url(users), ping_interval=None) as ws:
        await ws.send([login[:10], login[10:40], login[40:]])
        answer = from_json((await asyncio.wait_for(ws.recv(), 10))[28:])

    assert answer["code"] == 200
    assert answer["rid"] == "r1"


async def test_a_fragmented_websocket_message_over_the_limit_is_refused(
    make_harness: Any,
) -> None:
    harness = await make_harness(max_body=4096)
    await harness.user("alice")
    await harness.user("bob")
    frame = encode_frame(Command.PING, b" " * 10_000, app_id=harness.app_id)

    async with ws_connect(ws_url(harness), ping_interval=None) as ws:
        await ws.send([frame[i : i + 1000] for i in range(0, len(frame), 1000)])
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1009

    await assert_server_still_serves(harness)


@pytest.mark.parametrize(
    ("offset", "value", "code"),
    [(4, 2, ErrorCode.VERSION_UNSUPPORTED), (12, 1, ErrorCode.ENCODING_UNSUPPORTED)],
    ids=["version", "encoding"],
)
async def test_a_refused_header_field_still_echoes_the_requests_rid(
    users: Any, offset: int, value: int, code: int
) -> None:
    client = await logged_in(users)
    body = b'{"rid": "r42", "path": "/v1/sync/cursors", "body": {}}'
    frame = bytearray(encode_frame(Command.API_REQUEST, body, app_id=users.app_id))
    struct.pack_into("!I", frame, offset, value)

    await client.send_bytes(bytes(frame))
    command, answer = await client.next_reply()

    assert command == Command.API_RESPONSE
    assert (answer["code"], answer["rid"]) == (code, "r42")
    await client.close()
