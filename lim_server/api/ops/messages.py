"""Message operations: server-side send and history."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lim_protocol.packets import SendP2P

from ..operations import Request, operation


class MessageSend(Request):
    message_id: str = Field(min_length=1, max_length=128)
    to_id: str
    message_body: Any


class MessageHistory(Request):
    conversation_id: str
    before: int = 0
    max_limit: int = Field(default=50, ge=1, le=1000)


@operation("/v1/message/send", MessageSend)
async def send_message(services, caller, request: MessageSend):
    """Send a 1:1 message as yourself (or as ``asUser``, admin); returns the ack."""
    packet = SendP2P(
        messageId=request.message_id,
        toId=request.to_id,
        messageBody=request.message_body,
    )
    result = await services.messages.send_p2p(caller, packet)
    return {**result.message.ack(), "duplicate": result.duplicate}


@operation("/v1/message/history", MessageHistory)
async def history(services, caller, request: MessageHistory):
    """Messages before a sequence (0: the newest), ascending, for scrolling back."""
    return services.sync.history(
        caller, request.conversation_id, request.before, request.max_limit
    )
