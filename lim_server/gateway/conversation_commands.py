"""Socket commands of conversations: MSG_READ (1106) and MSG_RECALL (1050).

MSG_READ has no reply command of its own: when the request carries a
``rid`` the server answers on 1106 with a reply body (data: the
conversation); without one it answers only errors (on ERROR, 9004).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lim_protocol.commands import Command
from lim_protocol.packets import MarkRead, Recall

from ..services.conversations import conversation_id_for
from .commands import command

if TYPE_CHECKING:
    from .sessions import Session


@command(Command.MSG_READ)
def mark_read(session: Session, body: dict[str, Any]) -> Any:
    packet = MarkRead.model_validate(body)
    return _mark_read(session, packet)


async def _mark_read(session: Session, packet: MarkRead) -> None:
    caller = session.caller
    assert caller is not None
    conversation_id = conversation_id_for(caller, packet.conversationType, packet.toId)
    view = await session.gateway.services.conversations.mark_read(
        caller, conversation_id, packet.messageSequence
    )
    if packet.rid is not None:
        session.reply(Command.MSG_READ, data=view, rid=packet.rid)


@command(Command.MSG_RECALL)
def recall(session: Session, body: dict[str, Any]) -> Any:
    packet = Recall.model_validate(body)
    return _recall(session, packet)


async def _recall(session: Session, packet: Recall) -> None:
    caller = session.caller
    assert caller is not None
    data = await session.gateway.services.recall.recall(
        caller, packet.messageKey, packet.conversationType, packet.toId
    )
    session.reply(Command.MSG_RECALL_ACK, data=data, rid=packet.rid)
