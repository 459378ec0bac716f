"""Helpers for server tests: raw sockets and waiting on conditions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pydantic_core import from_json, to_json

from lim_client.session import ClientSession, Event
from lim_protocol.commands import Command
from lim_protocol.frames import Frame, FrameDecoder, encode_frame


async def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.01)


async def wait_closed(session: ClientSession, timeout: float = 10.0) -> None:
    await asyncio.wait_for(session.closed.wait(), timeout)


def drain(session: ClientSession, command: int | None = None) -> list[Event]:
    """Every event already queued (of one command, if given)."""
    events = []
    while not session.events.empty():
        event = session.events.get_nowait()
        if command is None or event.command == command:
            events.append(event)
    return events


async def collect(
    session: ClientSession, command: int | None = None, timeout: float = 10.0
) -> list[Event]:
    """Every event the server sent before answering a PING sent now.

    The server handles a connection's frames in order, so anything it pushed
    before the PING reply has arrived by the time the reply does.
    """
    await session.send(Command.PING, {})
    events: list[Event] = []
    while True:
        event = await asyncio.wait_for(session.events.get(), timeout)
        if event.command == Command.PING:
            break
        if command is None or event.command == command:
            events.append(event)
    return events


class RawClient:
    """A TCP client that speaks frames with no client library in between."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.decoder = FrameDecoder(64 << 20)
        self.frames: list[Frame] = []

    @classmethod
    async def connect(
        cls, address: tuple[str, int] | None, **options: Any
    ) -> RawClient:
        reader, writer = await asyncio.open_connection(*(address or ()), **options)
        return cls(reader, writer)

    async def send_bytes(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send(
        self, command: int, body: Any, *, app_id: int, client_type: int = 6
    ) -> None:
        data = body if isinstance(body, bytes) else to_json(body)
        await self.send_bytes(
            encode_frame(command, data, app_id=app_id, client_type=client_type)
        )

    async def next_frame(self, timeout: float = 10.0) -> Frame:
        """The next frame; raises ``EOFError`` if the server closed first."""
        while not self.frames:
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                raise EOFError("connection closed")
            self.frames += self.decoder.feed(data)
        return self.frames.pop(0)

    async def next_reply(self, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
        frame = await self.next_frame(timeout)
        return frame.command, from_json(frame.body)

    async def wait_eof(self, timeout: float = 10.0) -> list[Frame]:
        """Read until the server closes; return the frames that came first."""
        frames = list(self.frames)
        self.frames.clear()
        while True:
            try:
                data = await asyncio.wait_for(self.reader.read(65536), timeout)
            except ConnectionResetError:
                return frames
            if not data:
                return frames
            frames += self.decoder.feed(data)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def login_raw(client: RawClient, harness: Any, user_id: str) -> None:
    await client.send(
        Command.LOGIN,
        {"userId": user_id, "userSign": harness.token(user_id)},
        app_id=harness.app_id,
    )
    command, reply = await client.next_reply()
    assert (command, reply["code"]) == (Command.LOGIN_ACK, 200)
