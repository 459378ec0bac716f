"""Conversation lists: unread counts, last message, pin, mute, delete, read.

Unread is derived, never counted: ``lastSequence - max(readSequence,
startSequence)`` of the conversation. Appends advance the sender's own read
sequence in the same transaction (``store.appends``), so one's
own messages never count. Every change is stamped for "changed since N"
sync and pushed to the owner's other devices:

- pin, unpin, mute, unmute: CONVERSATION_UPDATED (5001) with the conversation;
- delete: CONVERSATION_DELETED (5000) with ``{conversationId, sequence}``;
- read: MSG_READ_NOTIFY (1053) to the reader's other devices and, for 1:1
  conversations of apps with ``readReceipts`` on, MSG_READ_RECEIPT (1054) to
  the peer's devices.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lim_protocol.commands import Command, ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import group_conversation_id, p2p_conversation_id
from ..routing import LocalRouter
from ..store import Store
from .apps import AppService
from .context import Caller
from .sync import SyncService

log = logging.getLogger(__name__)

PREVIEW_LENGTH = 80


class ConversationService:
    def __init__(
        self, store: Store, router: LocalRouter, sync: SyncService, apps: AppService
    ) -> None:
        self.store = store
        self.router = router
        self.sync = sync
        # Settings are read per call: a session's caller holds the app as it
        # was at login.
        self.apps = apps

        # The richer rows replace the core's for the same kind and cursor.
        sync.register("conversations", self.pull, sync.cursor_sources["conversations"])

    # reading

    def visible(self, caller: Caller) -> list[dict[str, Any]]:
        """Visible conversations: pinned first, then by last activity."""
        rows = self.store.conversations.visible(caller.app_id, caller.user_id)
        return [self.view(caller, row) for row in rows]

    def get(self, caller: Caller, conversation_id: str) -> dict[str, Any]:
        return self.view(caller, self._row(caller, conversation_id))

    def pull(
        self, caller: Caller, last: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The ``conversations`` sync kind: changed rows, tombstones included."""
        rows = self.store.conversations.changed_since(
            caller.app_id, caller.user_id, last, limit
        )
        cursor = self.sync.cursor_sources["conversations"](caller)
        return [self.view(caller, row) for row in rows], cursor

    def recalls(
        self, caller: Caller, conversation_id: str, last: int, limit: int
    ) -> dict[str, Any]:
        """Recalls of one conversation after ``last`` (its recall sequence)."""
        self._row(caller, conversation_id)
        records = self.store.conversations.recalls_after(
            caller.app_id, conversation_id, last, limit
        )
        current = self.store.conversations.recall_sequence(
            caller.app_id, conversation_id
        )
        reached = records[-1].recall_sequence if records else last
        return {
            "maxSequence": current,
            "completed": reached >= current,
            "dataList": [record.to_wire() for record in records],
        }

    def view(self, caller: Caller, row: Any) -> dict[str, Any]:
        start, end = row["start_sequence"], row["last_sequence"]
        if self.sync.visible_range is not None:
            start, end = self.sync.visible_range(caller, row)
        last_message = None
        if end > start:
            if end == row["last_sequence"]:
                last_message = _last_message(row)
            else:
                message = self.store.conversations.message_at(
                    caller.app_id, row["conversation_id"], end
                )
                last_message = _message_summary(message) if message else None
        return {
            "conversationId": row["conversation_id"],
            "conversationType": row["conversation_type"],
            "peerId": row["peer_id"],
            "lastSequence": end,
            "readSequence": row["read_sequence"],
            "startSequence": row["start_sequence"],
            "unreadCount": max(0, end - max(row["read_sequence"], start)),
            "pinned": bool(row["pinned"]),
            "muted": bool(row["muted"]),
            "deleted": bool(row["deleted"]),
            "recallSequence": row["recall_sequence"],
            "lastMessage": last_message,
            "sequence": row["sequence"],
            "updatedAt": row["updated_at"],
        }

    def _row(self, caller: Caller, conversation_id: str) -> Any:
        row = self.store.conversations.get(
            caller.app_id, caller.user_id, conversation_id
        )
        if row is None:
            raise ProtocolError(
                ErrorCode.CONVERSATION_NOT_FOUND, f"no conversation {conversation_id!r}"
            )
        return row

    # changing

    async def set_flag(
        self, caller: Caller, conversation_id: str, flag: str, on: bool
    ) -> dict[str, Any]:
        """Pin or mute (``flag``) a conversation, or undo it."""
        changed = await self.store.conversations.set_flags(
            caller.app_id, caller.user_id, conversation_id, {flag: int(on)}
        )
        if changed is None:
            raise ProtocolError(
                ErrorCode.CONVERSATION_NOT_FOUND, f"no conversation {conversation_id!r}"
            )
        view = self.get(caller, conversation_id)
        if changed:
            self._push_own(caller, Command.CONVERSATION_UPDATED, view)
        return view

    async def delete(self, caller: Caller, conversation_id: str) -> dict[str, Any]:
        """Hide a conversation until its next message; its unread is cleared."""
        changed = await self.store.conversations.delete(
            caller.app_id, caller.user_id, conversation_id
        )
        row = self._row(caller, conversation_id)
        payload = {"conversationId": conversation_id, "sequence": row["sequence"]}
        if changed:
            self._push_own(caller, Command.CONVERSATION_DELETED, payload)
        return payload

    async def mark_read(
        self, caller: Caller, conversation_id: str, sequence: int
    ) -> dict[str, Any]:
        """Mark read up to ``sequence`` (0: everything); notify and send receipts."""
        result = await self.store.conversations.mark_read(
            caller.app_id, caller.user_id, conversation_id, sequence
        )
        if result is None:
            raise ProtocolError(
                ErrorCode.CONVERSATION_NOT_FOUND, f"no conversation {conversation_id!r}"
            )
        view = self.get(caller, conversation_id)
        if not result.changed:
            return view

        self._push_own(caller, Command.MSG_READ_NOTIFY, view)

        peer = view["peerId"]
        if (
            view["conversationType"] == ConversationType.P2P
            and self.apps.get(caller.app_id).settings.read_receipts
            and peer != caller.user_id
        ):
            receipt = {
                "conversationId": conversation_id,
                "conversationType": int(ConversationType.P2P),
                "fromId": caller.user_id,
                "toId": peer,
                "messageSequence": result.read_sequence,
            }
            self.router.push(caller.app_id, [peer], Command.MSG_READ_RECEIPT, receipt)
        return view

    def _push_own(self, caller: Caller, command: Command, payload: Any) -> None:
        self.router.push(
            caller.app_id, [caller.user_id], command, payload, exclude=caller.origin
        )


def conversation_id_for(caller: Caller, conversation_type: int, to_id: str) -> str:
    """The conversation a ``{conversationType, toId}`` pair names for a caller."""
    if conversation_type == ConversationType.GROUP:
        return group_conversation_id(to_id)
    return p2p_conversation_id(caller.user_id, to_id)


def preview(body: Any, recalled: bool = False) -> str:
    """A short line for a conversation list."""
    if recalled:
        return "[recalled]"
    if not isinstance(body, dict):
        return ""
    kind = body.get("type")
    if kind in ("text", "markdown"):
        text = " ".join(str(body.get("text", "")).split())
        if len(text) > PREVIEW_LENGTH:
            text = text[: PREVIEW_LENGTH - 1] + "…"
        return text
    if kind == "file":
        return f"[file] {body.get('name') or ''}".strip()
    return f"[{kind}]"


def _last_message(row: Any) -> dict[str, Any] | None:
    if row["last_key"] is None:
        return None
    recalled = bool(row["last_recalled"])
    body = None if recalled else json.loads(row["last_body"])
    return {
        "messageKey": row["last_key"],
        "messageId": row["last_message_id"],
        "fromId": row["last_from"],
        "messageSequence": row["last_sequence"],
        "messageTime": row["last_time"],
        "recalled": recalled,
        "preview": preview(body, recalled),
    }


def _message_summary(row: Any) -> dict[str, Any]:
    recalled = bool(row["recalled"])
    body = None if recalled else json.loads(row["body"])
    return {
        "messageKey": row["message_key"],
        "messageId": row["message_id"],
        "fromId": row["from_id"],
        "messageSequence": row["sequence"],
        "messageTime": row["created_at"],
        "recalled": recalled,
        "preview": preview(body, recalled),
    }
