"""A client connection once its bytes are frames: login, dispatch, push, close.

:class:`Session` knows nothing of TCP or WebSocket. A transport subclass
supplies four primitives (``_write``, ``_buffered``, ``_shutdown`` and
``_pause``) and feeds decoded frames to :meth:`Session.handle`.

Life of a session::

    NEW --LOGIN ok--> ACTIVE --LOGOUT / kick / error / timeout--> CLOSED

Before login only LOGIN and PING are accepted. Every frame refreshes the
idle clock; the gateway's sweeper closes sessions that stay silent or never
log in. Outgoing frames queued during one turn of the event loop leave in
one write at the start of the next (an ack, a delivery and a receipt for
the same device cost one system call); a client whose unsent bytes pass
the bound is cut off and catches up later by sync.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import from_json, to_json

from lim_protocol.commands import ClientType, Command
from lim_protocol.errors import ErrorCode, FrameError, ProtocolError
from lim_protocol.frames import HEADER, Frame
from lim_protocol.packets import Login, encode_reply

from ..services.context import Caller
from ..services.users import validation_message
from .login_modes import devices_to_kick

if TYPE_CHECKING:
    from .server import Gateway

log = logging.getLogger(__name__)

_ids = itertools.count(1)

# Requests whose failure is answered with their own reply command.
REPLY_COMMANDS = {
    Command.LOGIN: Command.LOGIN_ACK,
    Command.MSG_P2P: Command.MSG_ACK,
    Command.MSG_GROUP: Command.GROUP_MSG_ACK,
    Command.MSG_RECALL: Command.MSG_RECALL_ACK,
    Command.API_REQUEST: Command.API_RESPONSE,
}


class State(Enum):
    NEW = "new"
    ACTIVE = "active"
    CLOSED = "closed"


class SessionLog(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        session: Any = self.extra["session"]  # type: ignore[index]
        return f"[{session.describe()}] {msg}", kwargs


class Session:
    transport_name = "?"

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.id = next(_ids)
        self.state = State.NEW
        self.app_id = 0
        self.user_id = ""
        self.client_type = 0
        self.imei = ""
        self.client_name = ""
        self.custom_status: int | None = None
        self.custom_text: str | None = None
        self.caller: Caller | None = None
        self.connected_at = self.last_seen = time.monotonic()
        self.inflight = 0
        self.paused = False
        self.close_code: int | None = None
        self._imei_bytes = b""
        self._outgoing: list[bytes] = []
        self.log = SessionLog(log, {"session": self})

    def describe(self) -> str:
        if self.state is State.NEW:
            return f"conn={self.id} {self.transport_name}"
        try:
            device = ClientType(self.client_type).name.lower()
        except ValueError:
            device = str(self.client_type)
        return f"conn={self.id} user={self.user_id} dev={device}"

    # transport primitives

    def _write(self, frames: list[bytes]) -> None:
        raise NotImplementedError

    def _buffered(self) -> int:
        raise NotImplementedError

    def _shutdown(self, code: int, reason: str, abort: bool) -> None:
        raise NotImplementedError

    def _pause(self, paused: bool) -> None:
        raise NotImplementedError

    # outgoing

    def send_body(self, command: int, body: bytes) -> bool:
        """Queue one frame to this device; False if the session is gone."""
        if self.state is State.CLOSED:
            return False
        header = HEADER.pack(
            command,
            1,
            self.client_type,
            0,
            self.app_id,
            len(self._imei_bytes),
            len(body),
        )
        if self._backlogged():
            return False
        if not self._outgoing:
            self.gateway.flush_soon(self)
        self._outgoing.append(b"".join((header, self._imei_bytes, body)))
        return True

    def flush(self) -> None:
        """Write the frames queued so far to the transport, in one go."""
        frames = self._outgoing
        if not frames:
            return
        self._outgoing = []
        self._write(frames)
        self._backlogged()

    def _backlogged(self) -> bool:
        """Cut the client off if the kernel stopped taking its bytes."""
        unsent = self._buffered()
        if unsent <= self.gateway.settings.max_buffer:
            return False
        self.log.warning("slow consumer: %d bytes unsent", unsent)
        self.gateway.slow_consumers += 1
        self.close(ErrorCode.SLOW_CONSUMER, "too many unsent frames", abort=True)
        return True

    def send(self, command: int, payload: Any) -> bool:
        return self.send_body(command, to_json(payload))

    def reply(
        self,
        command: int,
        code: int = 200,
        msg: str = "ok",
        data: Any = None,
        rid: str | None = None,
    ) -> None:
        self.send_body(command, encode_reply(code, msg, data, rid))

    def fail(self, command: int, error: ProtocolError, body: Any = None) -> None:
        """Answer a request with an error code, echoing its rid and ids."""
        rid = body.get("rid") if isinstance(body, dict) else None
        data = None
        if isinstance(body, dict) and "messageId" in body:
            data = {"messageId": body["messageId"]}
        reply = REPLY_COMMANDS.get(command, Command.ERROR)  # type: ignore[call-overload]
        if reply is Command.ERROR:
            data = {"command": command, **(data or {})}
        self.reply(reply, error.code, error.msg, data, rid)

    def close(
        self, code: int, reason: str, *, abort: bool = False, notify: bool = True
    ) -> None:
        """Tell the client why (unless told not to), then close the connection."""
        if self.state is State.CLOSED:
            return
        if notify and not abort:
            self.reply(Command.ERROR, code, reason, {"closing": True})
        self.log.info("closing: %s (%d)", reason, code)
        self.close_code = code
        self._leave()
        self._end(code, reason, abort)

    def abort(self) -> None:
        """Drop the connection at once, unsent frames and all."""
        self._leave()
        self._end(ErrorCode.SHUTTING_DOWN, "aborted", True)

    def _end(self, code: int, reason: str, abort: bool) -> None:
        if abort:
            self._outgoing.clear()
        else:
            self.flush()
        self._shutdown(code, reason, abort)

    def _leave(self) -> None:
        was_active = self.state is State.ACTIVE
        self.state = State.CLOSED
        if was_active:
            self.gateway.router.remove(self)

    def connection_closed(self) -> None:
        """Called by the transport when the connection is gone."""
        if self.state is not State.CLOSED:
            self.log.info("connection lost")
            self._leave()
        self.gateway.detach(self)

    # incoming

    def frame_error(self, error: FrameError) -> None:
        self.log.warning("bad frame: %s", error.msg)
        self.gateway.bad_frames += 1
        self.close(error.code, error.msg)

    def handle(self, frame: Frame) -> None:
        """Act on one frame from the client."""
        if self.state is State.CLOSED:
            return
        self.last_seen = time.monotonic()
        self.gateway.frames_in += 1
        command = frame.command

        # The body is read first so that even a refusal can echo its rid.
        try:
            body = from_json(frame.body) if frame.body else {}
        except ValueError:
            body = None
        if frame.version != 1:
            error = ProtocolError(ErrorCode.VERSION_UNSUPPORTED, "version must be 1")
            return self.fail(command, error, body)
        if frame.encoding != 0:
            error = ProtocolError(ErrorCode.ENCODING_UNSUPPORTED, "encoding must be 0")
            return self.fail(command, error, body)
        if not isinstance(body, dict):
            error = ProtocolError(ErrorCode.BODY_NOT_JSON, "body is not a JSON object")
            return self.fail(command, error)

        if command == Command.PING:
            self.send(Command.PING, {"serverTime": int(time.time() * 1000)})
            return None
        if command == Command.LOGIN:
            return self._login(frame, body)
        if self.state is not State.ACTIVE:
            error = ProtocolError(ErrorCode.NOT_LOGGED_IN, "log in first")
            return self.fail(command, error, body)
        if frame.app_id != self.app_id:
            error = ProtocolError(ErrorCode.APP_MISMATCH, "frame appId is not yours")
            return self.fail(command, error, body)
        if command == Command.LOGOUT:
            self.log.info("logout")
            return self.close(200, "logged out", notify=False)

        handler = self.gateway.commands.get(command)
        if handler is None:
            error = ProtocolError(
                ErrorCode.UNKNOWN_COMMAND, f"unknown command {command}"
            )
            return self.fail(command, error, body)
        self._run(command, handler, body)

    def _run(self, command: int, handler: Any, body: dict[str, Any]) -> None:
        try:
            pending = handler(self, body)
        except Exception as error:
            return self.fail(command, self.refusal(command, error), body)
        if pending is None:
            return

        # Async handlers run concurrently; they queue their writes before
        # their first await, so commit order still follows arrival order.
        task = asyncio.ensure_future(pending)
        self.track()
        task.add_done_callback(lambda done: self._finished(command, body, done))

    def _finished(self, command: int, body: dict[str, Any], task: Any) -> None:
        self.untrack()
        if not task.cancelled() and task.exception() is not None:
            self.fail(command, self.refusal(command, task.exception()), body)

    def track(self) -> None:
        """Count a request in flight; past the limit, stop reading from the client."""
        self.inflight += 1
        if self.inflight >= self.gateway.settings.max_inflight and not self.paused:
            self.paused = True
            self._pause(True)

    def untrack(self) -> None:
        """A request in flight has been answered."""
        self.inflight -= 1
        if self.paused and self.inflight < self.gateway.settings.max_inflight // 2:
            self.paused = False
            self._pause(False)

    def refusal(self, command: int, error: BaseException) -> ProtocolError:
        """The error to answer a failed request with."""
        if isinstance(error, ProtocolError):
            return error
        if isinstance(error, ValidationError):
            return ProtocolError(ErrorCode.INVALID_PARAMS, validation_message(error))
        self.log.error("command %d failed", command, exc_info=error)
        return ProtocolError(ErrorCode.INTERNAL_ERROR)

    # login

    def _login(self, frame: Frame, body: dict[str, Any]) -> None:
        if self.state is State.ACTIVE:
            error = ProtocolError(ErrorCode.ALREADY_LOGGED_IN, "already logged in")
            return self.fail(Command.LOGIN, error, body)
        try:
            caller = self._authenticate(frame, body)
        except ProtocolError as error:
            self.log.info("login refused: %s (%d)", error.msg, error.code)
            self.gateway.refused_logins += 1
            self.fail(Command.LOGIN, error, body)
            return self.close(error.code, error.msg)

        self.state = State.ACTIVE
        self.caller = caller
        self._kick_others(caller)
        self.gateway.router.add(self)
        self.log.info("login from %s", self.client_name or "unnamed client")
        data = {
            "userId": self.user_id,
            "serverTime": int(time.time() * 1000),
            "sessionId": self.id,
        }
        self.reply(Command.LOGIN_ACK, data=data, rid=body.get("rid"))

    def _authenticate(self, frame: Frame, body: dict[str, Any]) -> Caller:
        try:
            packet = Login.model_validate(body)
        except ValidationError as exc:
            raise ProtocolError(
                ErrorCode.INVALID_PARAMS, validation_message(exc)
            ) from exc
        try:
            ClientType(frame.client_type)
        except ValueError:
            raise ProtocolError(
                ErrorCode.INVALID_PARAMS, f"unknown clientType {frame.client_type}"
            ) from None

        services = self.gateway.services
        app = services.apps.verify_token(frame.app_id, packet.userId, packet.userSign)
        user = services.users.find(app.app_id, packet.userId)
        if user is None:
            raise ProtocolError(ErrorCode.USER_NOT_FOUND, f"no user {packet.userId!r}")
        if user.disabled:
            raise ProtocolError(ErrorCode.USER_DISABLED, "account disabled")

        self.app_id = app.app_id
        self.user_id = user.user_id
        self.client_type = frame.client_type
        self.imei = frame.imei
        self._imei_bytes = frame.imei.encode()
        self.client_name = packet.clientName or ""
        self.custom_status = packet.customStatus
        self.custom_text = packet.customText
        return Caller(app, user.user_id, user.user_id, user.is_admin, origin=self)

    def _kick_others(self, caller: Caller) -> None:
        existing = [
            device
            for device in self.gateway.router.devices(self.app_id, self.user_id)
            if device is not self
        ]
        mode = caller.app.settings.login_mode
        for device in devices_to_kick(mode, self.client_type, self.imei, existing):
            assert isinstance(device, Session)
            device.kick(self)

    def kick(self, newer: Session) -> None:
        """Tell this device a newer one took its place, then close."""
        self.send(
            Command.MUTUAL_LOGIN,
            {
                "reason": "logged in on another device",
                "clientType": newer.client_type,
                "imei": newer.imei,
            },
        )
        self.gateway.kicked += 1
        self.close(ErrorCode.KICKED, "logged in on another device", notify=False)
