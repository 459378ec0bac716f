"""1:1 messages: validate, store durably, acknowledge, deliver.

The order of a send is the order of the guarantees::

    validate -> append (group commit) -> ack -> push to devices

The ack is built from the committed record, so a sender that holds an ack
holds a durable message. A resend with the same ``(fromId, messageId)``
finds the stored original and gets its ack again without a second push.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic_core import to_json

from lim_protocol.commands import Command, ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError
from lim_protocol.packets import ReceiveAck, SendP2P

from ..models import App, StoredMessage, User, p2p_conversation_id
from ..routing import LocalRouter
from ..store import Store
from ..store.appends import NewMessage
from ..store.database import settle_future
from .context import Caller

log = logging.getLogger(__name__)

# A check receives the app, the sender, the receiver and the messageId and
# raises a ProtocolError to refuse the message (relations add friend and
# blacklist checks here). A check may run again for a resend.
SendCheck = Callable[[App, User, User, str], None]

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

    def submit_p2p(
        self, caller: Caller, packet: SendP2P, done: Callable[[Any], None]
    ) -> None:
        """Store and deliver a 1:1 message; idempotent on ``messageId``.

        Validation happens now and raises :class:`ProtocolError`. The rest
        happens after the append commits: the message is pushed to the
        receiver, then ``done`` is called on the event loop with a
        :class:`SendResult` or with the exception that refused the write.
        """
        try:
            message = self._accept(caller, packet)
        except ProtocolError:
            # A resend of a stored message is acked whatever changed since:
            # the original passed these checks.
            existing = self.store.messages.find(
                caller.app_id, caller.user_id, packet.messageId
            )
            if existing is None:
                raise
            done(SendResult(existing, True, False))
            return
        self.store.messages.submit_append(
            message, partial(self._appended, caller.origin, done)
        )

    async def send_p2p(self, caller: Caller, packet: SendP2P) -> SendResult:
        """:meth:`submit_p2p` for callers that await."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.submit_p2p(caller, packet, partial(settle_future, future))
        result: SendResult = await future
        return result

    def _accept(self, caller: Caller, packet: SendP2P) -> NewMessage:
        app_id = caller.app_id
        sender = self._sender(caller)
        receiver = self.store.users.get(app_id, packet.toId)
        if receiver is None or receiver.deleted:
            raise ProtocolError(
                ErrorCode.RECEIVER_NOT_FOUND, f"no user {packet.toId!r}"
            )
        for check in self.checks:
            check(caller.app, sender, receiver, packet.messageId)

        owners: tuple[tuple[str, str], ...] = ((sender.user_id, receiver.user_id),)
        if receiver.user_id != sender.user_id:
            owners += ((receiver.user_id, sender.user_id),)
        return NewMessage(
            app_id=app_id,
            conversation_id=p2p_conversation_id(sender.user_id, receiver.user_id),
            conversation_type=ConversationType.P2P,
            from_id=sender.user_id,
            to_id=receiver.user_id,
            message_id=packet.messageId,
            body=packet.messageBody.model_dump(mode="json", exclude_none=True),
            owners=owners,
        )

    def _appended(
        self, origin: object | None, done: Callable[[Any], None], outcome: Any
    ) -> None:
        if isinstance(outcome, BaseException):
            done(outcome)
            return
        stored, duplicate = outcome
        if duplicate:
            done(SendResult(stored, True, False))
            return
        online = self.deliver(stored, origin)
        done(SendResult(stored, False, online))

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
