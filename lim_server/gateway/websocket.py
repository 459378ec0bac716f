"""The WebSocket gateway: one lim frame per binary message, at ``/ws``.

The WebSocket layer is websockets' sans-I/O :class:`ServerProtocol` driven
from an asyncio protocol, so a connection costs no task and its outgoing
frames wait in the transport's own buffer, exactly as on TCP. The library
answers pings and runs the closing handshake; this module only moves bytes
and turns binary messages into frames.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.http11 import Request
from websockets.protocol import State as WsState
from websockets.server import ServerProtocol

from lim_protocol.errors import ErrorCode, FrameError
from lim_protocol.frames import HEADER_SIZE, MAX_IMEI_LENGTH, decode_message

from .sessions import Session, State

if TYPE_CHECKING:
    from .server import Gateway

PATH = "/ws"


class WebSocketSession(Session, asyncio.Protocol):
    transport_name = "ws"

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        limit = gateway.settings.max_body + HEADER_SIZE + MAX_IMEI_LENGTH
        self.ws = ServerProtocol(max_size=limit)
        self._fragments: list[bytes] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.gateway.attach(self)

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, WsFrame):
                self._message(event)
            if self.state is State.CLOSED:
                break
        self._flush()

    def eof_received(self) -> bool:
        self.ws.receive_eof()
        self._flush()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection_closed()

    def _handshake(self, request: Request) -> None:
        if urlsplit(request.path).path != PATH:
            response = self.ws.reject(404, "lim speaks WebSocket at /ws\n")
        else:
            response = self.ws.accept(request)
        self.ws.send_response(response)
        if response.status_code != 101:
            self.log.info("handshake refused: %d", response.status_code)
            self._leave()

    def _message(self, event: WsFrame) -> None:
        self.last_seen = self.gateway.clock()
        # A message may arrive in fragments: a BINARY frame without fin, then
        # CONT frames. The library checks their order and the total size.
        if event.opcode is Opcode.BINARY and not event.fin:
            self._fragments = [bytes(event.data)]
        elif event.opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(bytes(event.data))
            if event.fin:
                data, self._fragments = b"".join(self._fragments), None
                self._binary(data)
        elif event.opcode is Opcode.BINARY:
            self._binary(bytes(event.data))
        elif event.opcode is Opcode.TEXT:
            self.frame_error(
                FrameError(ErrorCode.FRAME_MALFORMED, "send frames as binary messages")
            )

    def _binary(self, data: bytes) -> None:
        try:
            frame = decode_message(data, self.gateway.settings.max_body)
        except FrameError as error:
            self.frame_error(error)
            return
        self.handle(frame)

    def _flush(self) -> None:
        if self.transport is None:
            return
        chunks = self.ws.data_to_send()
        # An empty chunk means "half-close": it only ever comes last.
        data = b"".join(chunks)
        if data:
            self.transport.write(data)
        if chunks and not chunks[-1] and self.transport.can_write_eof():
            self.transport.write_eof()
        if self.ws.close_expected() and not self.transport.is_closing():
            self.transport.close()

    # transport primitives

    def _write(self, frames: list[bytes]) -> None:
        if self.ws.state is not WsState.OPEN:
            return
        for frame in frames:
            self.ws.send_binary(frame)
        self._flush()

    def _buffered(self) -> int:
        assert self.transport is not None
        return self.transport.get_write_buffer_size()

    def _shutdown(self, code: int, reason: str, abort: bool) -> None:
        if self.transport is None:
            return
        if abort or self.ws.state is not WsState.OPEN:
            self.transport.abort() if abort else self._flush_and_close()
            return
        close_code = 1000 if code == 200 else 1008
        try:
            self.ws.send_close(close_code, reason[:120])
        except Exception:
            self.transport.close()
            return
        self._flush()
        # The client should answer the close frame; do not wait forever.
        self.gateway.loop.call_later(2.0, self._force_close)

    def _flush_and_close(self) -> None:
        self._flush()
        if self.transport is not None:
            self.transport.close()

    def _force_close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _pause(self, paused: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if paused:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()
