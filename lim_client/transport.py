"""Byte transports under a client session: raw TCP or WebSocket.

Both expose the same three coroutines: ``send(frame_bytes)``,
``receive() -> list[Frame]`` and ``close()``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from lim_protocol.frames import Frame, FrameDecoder, decode_message


class TransportClosed(Exception):
    """The connection is gone."""


class Transport:
    async def send(self, data: bytes) -> None:
        raise NotImplementedError

    async def receive(self) -> list[Frame]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class TcpTransport(Transport):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.decoder = FrameDecoder(64 << 20)

    async def send(self, data: bytes) -> None:
        if self.writer.is_closing():
            raise TransportClosed("connection closed")
        self.writer.write(data)
        try:
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise TransportClosed(str(exc)) from exc

    async def receive(self) -> list[Frame]:
        while True:
            try:
                data = await self.reader.read(65536)
            except ConnectionError as exc:
                raise TransportClosed(str(exc)) from exc
            if not data:
                raise TransportClosed("connection closed by server")
            frames = self.decoder.feed(data)
            if self.decoder.error is not None:
                raise TransportClosed(f"bad frame from server: {self.decoder.error}")
            if frames:
                return frames

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


class WebSocketTransport(Transport):
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, data: bytes) -> None:
        try:
            await self.ws.send(data)
        except ConnectionClosed as exc:
            raise TransportClosed(str(exc)) from exc

    async def receive(self) -> list[Frame]:
        while True:
            try:
                message = await self.ws.recv()
            except ConnectionClosed as exc:
                raise TransportClosed(str(exc)) from exc
            if isinstance(message, bytes):
                return [decode_message(message, 64 << 20)]

    async def close(self) -> None:
        await self.ws.close()


async def open_transport(url: str, timeout: float = 10.0) -> Transport:
    """Connect to ``tcp://host:port`` or ``ws://host:port/ws``."""
    parts = urlsplit(url)
    if parts.scheme == "tcp":
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, parts.port), timeout
        )
        return TcpTransport(reader, writer)
    if parts.scheme in ("ws", "wss"):
        ws = await ws_connect(
            url,
            compression=None,
            max_size=64 << 20,
            open_timeout=timeout,
            ping_interval=None,
        )
        return WebSocketTransport(ws)
    raise ValueError(f"unsupported server address {url!r}: use tcp:// or ws://")
