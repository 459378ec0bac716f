"""Socket commands of groups: MSG_GROUP and GROUP_MSG_READ."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lim_protocol.commands import Command
from lim_protocol.packets import GroupRead, SendGroup

from ..metrics import ack_latency
from .commands import command

if TYPE_CHECKING:
    from .sessions import Session


@command(Command.MSG_GROUP)
def send_group(session: Session, body: dict[str, Any]) -> Any:
    packet = SendGroup.model_validate(body)
    return _send_group(session, packet, time.perf_counter())


async def _send_group(session: Session, packet: SendGroup, started: float) -> None:
    assert session.caller is not None
    groups = session.gateway.services.groups
    result = await groups.send_message(session.caller, packet)

    # The ack goes out now; the fan-out task runs on the next loop turn.
    session.reply(Command.GROUP_MSG_ACK, data=result.message.ack(), rid=packet.rid)
    ack_latency.observe(time.perf_counter() - started)


@command(Command.GROUP_MSG_READ)
def group_read(session: Session, body: dict[str, Any]) -> Any:
    packet = GroupRead.model_validate(body)
    return _group_read(session, packet)


async def _group_read(session: Session, packet: GroupRead) -> None:
    assert session.caller is not None
    read = await session.gateway.services.groups.mark_read(session.caller, packet)

    # Only a request that carries a rid gets an answer.
    if packet.rid is not None:
        data = {"groupId": packet.groupId, "messageSequence": read}
        session.reply(Command.GROUP_MSG_READ, data=data, rid=packet.rid)
