"""Recall: take a sent message back within the app's recall window.

Who may recall:

- the sender, within ``recallWindowSeconds`` of the message time;
- in a group, its owner or a manager (``group_role_of``), within the window;
- an app admin, at any time (moderation by app servers).

The message stays as a tombstone: ``recalled`` set, body removed from
storage, sequence kept so that order has no hole. The requester gets
MSG_RECALL_ACK (1051); every other device in the conversation gets
MSG_RECALL_NOTIFY (1052). A device that was offline finds the recall in two
ways: messages it has not pulled yet come recalled, and each conversation's
``recallSequence`` (cursors call, conversation rows) tells it to pull the
recalls it missed from ``/v1/sync/recalls``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic_core import to_json

from lim_protocol.commands import Command, ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import StoredMessage
from ..routing import LocalRouter
from ..store import Store
from .apps import AppService
from .context import Caller
from .conversations import conversation_id_for

log = logging.getLogger(__name__)

MANAGER_ROLES = ("owner", "manager")


class RecallService:
    def __init__(self, store: Store, router: LocalRouter, apps: AppService) -> None:
        self.store = store
        self.router = router
        self.apps = apps
        self.clock: Callable[[], float] = time.time
        # Groups wire these: a member's role ("owner", "manager", "member" or
        # None for a non-member) and the user ids of a group's members.
        self.group_role_of: Callable[[int, str, str], str | None] = _no_role
        self.group_member_ids: Callable[[int, str], list[str]] = _no_members
        self.recalled = 0

    async def recall(
        self,
        caller: Caller,
        message_key: int,
        conversation_type: int | None = None,
        to_id: str | None = None,
    ) -> dict[str, Any]:
        """Recall a message; return the recall record (the ack's data)."""
        message = self._message(caller, message_key, conversation_type, to_id)
        if message.recalled:
            raise ProtocolError(ErrorCode.MESSAGE_RECALLED, "message already recalled")
        self._check_allowed(caller, message)

        record = await self.store.conversations.recall(
            caller.app_id, message_key, caller.actor_id or caller.user_id
        )
        if record is None:
            raise ProtocolError(ErrorCode.MESSAGE_RECALLED, "message already recalled")
        self.recalled += 1

        notify = {
            **record.to_wire(),
            "messageId": message.message_id,
            "conversationType": message.conversation_type,
            "toId": message.to_id,
        }
        if message.conversation_type == ConversationType.GROUP:
            notify["groupId"] = message.to_id
        body = to_json(notify)
        for user_id in self._audience(message):
            self.router.push_body(
                caller.app_id,
                user_id,
                Command.MSG_RECALL_NOTIFY,
                body,
                exclude=caller.origin,
            )
        return notify

    def _message(
        self,
        caller: Caller,
        message_key: int,
        conversation_type: int | None,
        to_id: str | None,
    ) -> StoredMessage:
        message = self.store.messages.get(caller.app_id, message_key)
        missing = ProtocolError(ErrorCode.MESSAGE_NOT_FOUND, "no such message")
        if message is None:
            raise missing
        if to_id is not None:
            if conversation_type is None:
                conversation_type = message.conversation_type
            expected = conversation_id_for(caller, conversation_type, to_id)
            if expected != message.conversation_id:
                raise missing
        if caller.is_admin or message.from_id == caller.user_id:
            return message
        if message.conversation_type == ConversationType.GROUP:
            if self.group_role_of(caller.app_id, message.to_id, caller.user_id):
                return message
        elif message.to_id == caller.user_id:
            return message
        raise missing

    def _check_allowed(self, caller: Caller, message: StoredMessage) -> None:
        if caller.is_admin:
            return
        allowed = message.from_id == caller.user_id
        if not allowed and message.conversation_type == ConversationType.GROUP:
            role = self.group_role_of(caller.app_id, message.to_id, caller.user_id)
            allowed = role in MANAGER_ROLES
        if not allowed:
            raise ProtocolError(
                ErrorCode.RECALL_NOT_ALLOWED, "only the sender may recall this message"
            )
        window = self.apps.get(caller.app_id).settings.recall_window_seconds
        if self.clock() * 1000 - message.created_at > window * 1000:
            raise ProtocolError(
                ErrorCode.RECALL_WINDOW_PASSED,
                f"messages can be recalled for {window} seconds",
            )

    def _audience(self, message: StoredMessage) -> list[str]:
        if message.conversation_type == ConversationType.GROUP:
            members = set(self.group_member_ids(message.app_id, message.to_id))
            members.add(message.from_id)
            return sorted(members)
        return sorted({message.from_id, message.to_id})


def _no_role(app_id: int, group_id: str, user_id: str) -> str | None:
    return None


def _no_members(app_id: int, group_id: str) -> list[str]:
    return []
