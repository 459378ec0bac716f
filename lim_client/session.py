"""An async session with a lim server over TCP or WebSocket.

Requests get a ``rid`` and their reply is matched to them; everything else
the server sends (pushed messages, receipts, notifications) arrives as an
:class:`Event` in :attr:`ClientSession.events`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json, to_json

from lim_protocol.commands import ClientType, Command
from lim_protocol.frames import Frame, encode_frame

from .transport import Transport, TransportClosed, open_transport

log = logging.getLogger(__name__)


class LimClientError(Exception):
    """The server answered with an error code."""

    def __init__(self, code: int, msg: str, data: Any = None) -> None:
        super().__init__(f"{msg} ({code})")
        self.code = code
        self.msg = msg
        self.data = data


@dataclass(slots=True)
class Event:
    command: int
    body: Any

    @property
    def name(self) -> str:
        try:
            return Command(self.command).name
        except ValueError:
            return str(self.command)


class ClientSession:
    def __init__(
        self,
        transport: Transport,
        *,
        app_id: int,
        client_type: int = ClientType.TERMINAL,
        imei: str = "",
    ) -> None:
        self.transport = transport
        self.app_id = app_id
        self.client_type = client_type
        self.imei = imei or uuid.uuid4().hex[:16]
        self.user_id = ""
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.close_reason: str | None = None
        self._rids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read_forever())

    # sending

    def frame(self, command: int, body: dict[str, Any]) -> bytes:
        return encode_frame(
            command,
            to_json(body),
            app_id=self.app_id,
            client_type=self.client_type,
            imei=self.imei,
        )

    async def send_raw(self, data: bytes) -> None:
        await self.transport.send(data)

    async def send(self, command: int, body: dict[str, Any]) -> None:
        await self.transport.send(self.frame(command, body))

    async def request(
        self, command: int, body: dict[str, Any], timeout: float = 30.0
    ) -> Any:
        """Send a request and return the ``data`` of its reply; raise on error."""
        # Once the reader has stopped nothing will ever answer: a request
        # registered after it failed the pending ones would wait for nothing.
        if self.closed.is_set():
            raise ConnectionError(self.close_reason or "session closed")
        rid = f"r{next(self._rids)}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            await self.send(command, {**body, "rid": rid})
            reply = await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(rid, None)
        if reply.get("code") != 200:
            raise LimClientError(
                reply.get("code", 0), reply.get("msg", ""), reply.get("data")
            )
        return reply.get("data")

    async def login(
        self, user_id: str, user_sign: str, *, client_name: str = "lim"
    ) -> dict[str, Any]:
        data = await self.request(
            Command.LOGIN,
            {"userId": user_id, "userSign": user_sign, "clientName": client_name},
        )
        self.user_id = user_id
        return dict(data)

    async def send_message(
        self, to_id: str, body: Any, message_id: str | None = None
    ) -> dict[str, Any]:
        """Send a 1:1 message; return its ack once the server stored it."""
        data = await self.request(
            Command.MSG_P2P,
            {
                "messageId": message_id or uuid.uuid4().hex,
                "toId": to_id,
                "messageBody": body,
            },
        )
        return dict(data)

    async def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call an HTTP API operation over this socket."""
        return await self.request(
            Command.API_REQUEST, {"path": path, "body": body or {}}
        )

    async def ping(self) -> int:
        await self.send(Command.PING, {})
        event = await self.next_event(Command.PING)
        return int(event.body["serverTime"])

    async def logout(self) -> None:
        await self.send(Command.LOGOUT, {})
        await asyncio.wait_for(self.closed.wait(), 10)

    # receiving

    async def next_event(
        self, command: int | None = None, timeout: float = 10.0
    ) -> Event:
        """The next pushed event (of this command, dropping others)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no event {command} within {timeout}s")
            event = await asyncio.wait_for(self.events.get(), remaining)
            if command is None or event.command == command:
                return event

    async def _read_forever(self) -> None:
        try:
            while True:
                for frame in await self.transport.receive():
                    self._dispatch(frame)
        except TransportClosed as exc:
            self.close_reason = str(exc)
        except Exception as exc:
            log.exception("reader failed")
            self.close_reason = str(exc)
        finally:
            self.closed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError(self.close_reason or "closed"))

    def _dispatch(self, frame: Frame) -> None:
        try:
            body = from_json(frame.body) if frame.body else {}
        except ValueError:
            log.warning("server sent a body that is not JSON")
            return
        rid = body.get("rid") if isinstance(body, dict) else None
        if rid is not None and rid in self._pending:
            future = self._pending[rid]
            if not future.done():
                future.set_result(body)
            return
        self.events.put_nowait(Event(frame.command, body))

    async def close(self) -> None:
        self._reader.cancel()
        await self.transport.close()
        self.closed.set()


async def connect(
    url: str,
    *,
    app_id: int,
    client_type: int = ClientType.TERMINAL,
    imei: str = "",
) -> ClientSession:
    """Open a session to ``tcp://host:port`` or ``ws://host:port/ws``."""
    transport = await open_transport(url)
    return ClientSession(transport, app_id=app_id, client_type=client_type, imei=imei)
