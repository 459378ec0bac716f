"""1:1 messages: validate, store durably, acknowledge, deliver.

The order of a send is the order of the guarantees::

    validate -> append (group commit) -> ack -> push to devices

The ack is built from the committed record, so a sender that holds an ack
holds a durable message. A resend with the same ``(fromId, messageId)``
finds the stored original and gets its ack again without a second push.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json

from lim_protocol.commands import Command, ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError
from lim_protocol.packets import ReceiveAck, SendP2P

from ..models import App, StoredMessage, User, p2p_conversation_id
from ..routing import LocalRouter
from ..store import Store
from ..store.messages import NewMessage
from .context import Caller

log = logging.getLogger(__name__)

# A check receives the app, the sender and the receiver and raises a
# ProtocolError to refuse the message (relations add friend and blacklist
# checks here).
SendCheck = Callable[[App, User, User], None]

# Delivered messages remembered for forwarding receipts without a read.
RECENT_LIMIT = 65536


@dataclass(slots=True)
class SendResult:
    message: StoredMessage
    duplicate: bool
    receiver_online: bool


class MessageService:
    def __init__(self, store: Store, router: LocalRouter) -> None:
        self.store = store
        self.router = router
        self.checks: list[SendCheck] = []
        self.listeners: list[Callable[[StoredMessage], None]] = []
        self.sent = 0
        # Who sent each recently delivered message, so that the receiver's
        # receipt is forwarded without a database read; older receipts fall
        # back to the store.
        self.recent: dict[tuple[int, int], tuple[str, str, str, int]] = {}

    def _sender(self, caller: Caller) -> User:
        user = self.store.users.get(caller.app_id, caller.user_id)
        if user is None or user.deleted:
            raise ProtocolError(ErrorCode.USER_NOT_FOUND, "sender does not exist")
        if user.disabled:
            raise ProtocolError(ErrorCode.USER_DISABLED, "sender is disabled")
        if user.silenced:
            raise ProtocolError(ErrorCode.USER_SILENCED, "sender is silenced")
        return user

    async def send_p2p(self, caller: Caller, packet: SendP2P) -> SendResult:
        """Store and deliver a 1:1 message; idempotent on ``messageId``."""
        app_id = caller.app_id

        # A resend of a stored message skips validation: the original passed.
        existing = self.store.messages.find(app_id, caller.user_id, packet.messageId)
        if existing is not None:
            return SendResult(existing, True, False)

        sender = self._sender(caller)
        receiver = self.store.users.get(app_id, packet.toId)
        if receiver is None or receiver.deleted:
            raise ProtocolError(
                ErrorCode.RECEIVER_NOT_FOUND, f"no user {packet.toId!r}"
            )
        for check in self.checks:
            check(caller.app, sender, receiver)

        owners: tuple[tuple[str, str], ...] = ((sender.user_id, receiver.user_id),)
        if receiver.user_id != sender.user_id:
            owners += ((receiver.user_id, sender.user_id),)
        stored, duplicate = await self.store.messages.append(
            NewMessage(
                app_id=app_id,
                conversation_id=p2p_conversation_id(sender.user_id, receiver.user_id),
                conversation_type=ConversationType.P2P,
                from_id=sender.user_id,
                to_id=receiver.user_id,
                message_id=packet.messageId,
                body=packet.messageBody.model_dump(mode="json", exclude_none=True),
                owners=owners,
            )
        )
        if duplicate:
            return SendResult(stored, True, False)

        online = self.deliver(stored, caller.origin)
        return SendResult(stored, False, online)

    def deliver(self, stored: StoredMessage, origin: object | None) -> bool:
        """Push a stored message to the receiver and the sender's other devices.

        Returns whether any receiver device was online.
        """
        self.sent += 1
        self._remember(stored)
        body = to_json(stored.to_wire())
        app_id = stored.app_id
        if stored.from_id == stored.to_id:
            # A note to oneself goes to one's other devices only.
            received = self.router.push_body(
                app_id, stored.to_id, Command.MSG_P2P, body, exclude=origin
            )
        else:
            received = self.router.push_body(
                app_id, stored.to_id, Command.MSG_P2P, body
            )
            self.router.push_body(
                app_id, stored.from_id, Command.MSG_P2P, body, exclude=origin
            )
        for listener in self.listeners:
            listener(stored)
        return received > 0 or stored.from_id == stored.to_id

    def _remember(self, stored: StoredMessage) -> None:
        recent = self.recent
        if len(recent) >= RECENT_LIMIT:
            # Dicts keep insertion order: drop the oldest eighth at once.
            for key in list(itertools.islice(recent, RECENT_LIMIT // 8)):
                del recent[key]
        recent[stored.app_id, stored.message_key] = (
            stored.from_id,
            stored.to_id,
            stored.message_id,
            stored.sequence,
        )

    def _addressing(
        self, app_id: int, message_key: int
    ) -> tuple[str, str, str, int] | None:
        known = self.recent.get((app_id, message_key))
        if known is not None:
            return known
        stored = self.store.messages.get(app_id, message_key)
        if stored is None:
            return None
        return stored.from_id, stored.to_id, stored.message_id, stored.sequence

    def forward_receipt(self, caller: Caller, packet: ReceiveAck) -> None:
        """Pass a receiver's MSG_RECEIVE_ACK on to the sender's devices."""
        found = self._addressing(caller.app_id, packet.messageKey)
        if found is None or found[1] != caller.user_id:
            raise ProtocolError(
                ErrorCode.MESSAGE_NOT_FOUND, "no such message addressed to you"
            )
        from_id, to_id, message_id, sequence = found
        payload: dict[str, Any] = {
            "messageKey": packet.messageKey,
            "messageId": message_id,
            "fromId": from_id,
            "toId": to_id,
            "messageSequence": sequence,
            "serverSend": False,
        }
        self.router.push(caller.app_id, [from_id], Command.MSG_RECEIVE_ACK, payload)
