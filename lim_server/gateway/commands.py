"""Command handlers: from a decoded request body to a service call.

A handler is ``handler(session, body)``. It validates synchronously and
returns either ``None`` (done) or a coroutine that the session runs as a
task. It may raise :class:`ProtocolError` or a pydantic ``ValidationError``;
the session turns either into the right error reply.

Modules for other domains add their handlers with :func:`command`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any

from lim_protocol.commands import Command
from lim_protocol.errors import ProtocolError
from lim_protocol.packets import ApiRequest, ReceiveAck, SendP2P, encode_reply

from ..api.operations import dispatch, load_operations
from ..metrics import ack_latency

if TYPE_CHECKING:
    from .sessions import Session

Handler = Callable[["Session", dict[str, Any]], Coroutine[Any, Any, None] | None]

COMMANDS: dict[int, Handler] = {}


def command(code: Command) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[code] = handler
        return handler

    return register


def _caller(session: Session) -> Any:
    assert session.caller is not None
    return session.caller


@command(Command.MSG_P2P)
def send_p2p(session: Session, body: dict[str, Any]) -> None:
    packet = SendP2P.model_validate(body)
    settle = partial(_p2p_done, session, body, time.perf_counter())
    session.track()
    try:
        session.gateway.services.messages.submit_p2p(_caller(session), packet, settle)
    except Exception:
        session.untrack()
        raise


def _p2p_done(
    session: Session, body: dict[str, Any], started: float, outcome: Any
) -> None:
    session.untrack()
    if isinstance(outcome, BaseException):
        session.fail(Command.MSG_P2P, session.refusal(Command.MSG_P2P, outcome), body)
        return
    stored = outcome.message
    session.reply(Command.MSG_ACK, data=stored.ack(), rid=body.get("rid"))
    ack_latency.observe(time.perf_counter() - started)
    if not outcome.duplicate and not outcome.receiver_online:
        session.send(
            Command.MSG_RECEIVE_ACK,
            {
                "messageKey": stored.message_key,
                "messageId": stored.message_id,
                "fromId": stored.from_id,
                "toId": stored.to_id,
                "messageSequence": stored.sequence,
                "serverSend": True,
            },
        )


@command(Command.MSG_RECEIVE_ACK)
def receive_ack(session: Session, body: dict[str, Any]) -> None:
    packet = ReceiveAck.model_validate(body)
    session.gateway.services.messages.forward_receipt(_caller(session), packet)


@command(Command.API_REQUEST)
def api_request(session: Session, body: dict[str, Any]) -> Any:
    packet = ApiRequest.model_validate(body)
    return _api_request(session, packet)


async def _api_request(session: Session, packet: ApiRequest) -> None:
    services = session.gateway.services
    try:
        data = await dispatch(services, _caller(session), packet.path, packet.body)
    except ProtocolError as error:
        body = encode_reply(error.code, error.msg, {"path": packet.path}, packet.rid)
        session.send_body(Command.API_RESPONSE, body)
        return
    session.send_body(Command.API_RESPONSE, encode_reply(200, "ok", data, packet.rid))


def load_commands() -> dict[int, Handler]:
    """Every command handler of every module (and every API operation)."""
    from . import conversation_commands, group_commands  # noqa: F401

    load_operations()
    return COMMANDS
