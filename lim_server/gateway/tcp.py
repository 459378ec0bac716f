"""The raw TCP gateway: frames back to back on a stream."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lim_protocol.frames import FrameDecoder

from .sessions import Session, State

if TYPE_CHECKING:
    from .server import Gateway


class TcpSession(Session, asyncio.Protocol):
    transport_name = "tcp"

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self.decoder = FrameDecoder(gateway.settings.max_body)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.gateway.attach(self)

    def data_received(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            self.handle(frame)
            if self.state is State.CLOSED:
                return
        if self.decoder.error is not None:
            self.frame_error(self.decoder.error)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection_closed()

    # transport primitives

    def _write(self, frames: list[bytes]) -> None:
        assert self.transport is not None
        self.transport.write(frames[0] if len(frames) == 1 else b"".join(frames))

    def _buffered(self) -> int:
        assert self.transport is not None
        return self.transport.get_write_buffer_size()

    def _shutdown(self, code: int, reason: str, abort: bool) -> None:
        if self.transport is None:
            return
        if abort:
            self.transport.abort()
        else:
            self.transport.close()

    def _pause(self, paused: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if paused:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()
