"""Incremental sync: one call for every cursor, then pulls by sequence.

Each synced kind registers a puller: ``(caller, lastSequence, maxLimit)`` to
``(rows, maxSequence)`` with rows ascending by their change sequence,
tombstones included. Messages are pulled per conversation by sequence range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lim_protocol.errors import ErrorCode, ProtocolError

from ..store import Store
from .context import Caller

MAX_LIMIT = 1000

Puller = Callable[[Caller, int, int], tuple[list[dict[str, Any]], int]]
CursorSource = Callable[[Caller], int]


class SyncService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.pullers: dict[str, Puller] = {}
        self.cursor_sources: dict[str, CursorSource] = {}
        # Conversation access beyond "you have a row for it" (groups add the
        # end of a removed member's visibility here).
        self.visible_range: Callable[[Caller, Any], tuple[int, int]] | None = None
        self.register("conversations", self._pull_conversations, self._conv_cursor)

    def register(self, kind: str, puller: Puller, cursor: CursorSource) -> None:
        self.pullers[kind] = puller
        self.cursor_sources[kind] = cursor

    def cursors(self, caller: Caller) -> dict[str, Any]:
        """Every cursor of the user: one per synced kind, one per conversation."""
        kinds = {kind: source(caller) for kind, source in self.cursor_sources.items()}
        conversations = [
            {
                "conversationId": row["conversation_id"],
                "conversationType": row["conversation_type"],
                "peerId": row["peer_id"],
                "lastSequence": self._visible_last(caller, row),
                "readSequence": row["read_sequence"],
                "startSequence": row["start_sequence"],
                "recallSequence": row["recall_sequence"],
            }
            for row in self.store.messages.cursors(caller.app_id, caller.user_id)
        ]
        return {"kinds": kinds, "conversations": conversations}

    def _visible_last(self, caller: Caller, row: Any) -> int:
        if self.visible_range is not None:
            return min(row["last_sequence"], self.visible_range(caller, row)[1])
        return int(row["last_sequence"])

    def pull(
        self, caller: Caller, kind: str, last_sequence: int, max_limit: int
    ) -> dict[str, Any]:
        puller = self.pullers.get(kind)
        if puller is None:
            raise ProtocolError(ErrorCode.INVALID_PARAMS, f"unknown sync kind {kind!r}")
        limit = _limit(max_limit)
        rows, max_sequence = puller(caller, last_sequence, limit)
        last = rows[-1]["sequence"] if rows else last_sequence
        return {
            "maxSequence": max_sequence,
            "completed": last >= max_sequence,
            "dataList": rows,
        }

    def pull_messages(
        self, caller: Caller, conversation_id: str, last_sequence: int, max_limit: int
    ) -> dict[str, Any]:
        """Messages of one conversation after ``last_sequence``, ascending."""
        row = self._conversation(caller, conversation_id)
        start, end = row["start_sequence"], row["last_sequence"]
        if self.visible_range is not None:
            start, end = self.visible_range(caller, row)
        after = max(last_sequence, start)
        messages = self.store.messages.after(
            caller.app_id, conversation_id, after, _limit(max_limit)
        )
        messages = [message for message in messages if message.sequence <= end]
        last = messages[-1].sequence if messages else max(after, last_sequence)
        return {
            "maxSequence": end,
            "completed": last >= end,
            "dataList": [message.to_wire() for message in messages],
        }

    def history(
        self, caller: Caller, conversation_id: str, before: int, max_limit: int
    ) -> list[dict[str, Any]]:
        """Messages before a sequence (0 for the newest), for scrolling back."""
        row = self._conversation(caller, conversation_id)
        start, end = row["start_sequence"], row["last_sequence"]
        if self.visible_range is not None:
            start, end = self.visible_range(caller, row)
        ceiling = end + 1 if before <= 0 else min(before, end + 1)
        messages = self.store.messages.before(
            caller.app_id, conversation_id, ceiling, _limit(max_limit)
        )
        return [m.to_wire() for m in messages if m.sequence > start]

    def _conversation(self, caller: Caller, conversation_id: str) -> Any:
        row = self.store.messages.conversation(
            caller.app_id, caller.user_id, conversation_id
        )
        if row is not None:
            return row
        raise ProtocolError(
            ErrorCode.CONVERSATION_NOT_FOUND, f"no conversation {conversation_id!r}"
        )

    # the conversations kind

    def _conv_cursor(self, caller: Caller) -> int:
        row = self.store.db.query_one(
            "SELECT value FROM counters WHERE app_id = ? AND name = ?",
            (caller.app_id, f"conv:{caller.user_id}"),
        )
        return int(row[0]) if row else 0

    def _pull_conversations(
        self, caller: Caller, last: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        rows = self.store.db.query_all(
            "SELECT c.*, coalesce(s.last_sequence, 0) AS last_sequence"
            " FROM conversations c LEFT JOIN conversation_sequences s"
            " ON s.app_id = c.app_id AND s.conversation_id = c.conversation_id"
            " WHERE c.app_id = ? AND c.owner_id = ? AND c.sequence > ?"
            " ORDER BY c.sequence LIMIT ?",
            (caller.app_id, caller.user_id, last, limit),
        )
        data = [
            {
                "conversationId": row["conversation_id"],
                "conversationType": row["conversation_type"],
                "peerId": row["peer_id"],
                "readSequence": row["read_sequence"],
                "lastSequence": row["last_sequence"],
                "pinned": bool(row["pinned"]),
                "muted": bool(row["muted"]),
                "deleted": bool(row["deleted"]),
                "sequence": row["sequence"],
                "updatedAt": row["updated_at"],
            }
            for row in rows
        ]
        return data, self._conv_cursor(caller)


def _limit(max_limit: int) -> int:
    return max(1, min(int(max_limit or MAX_LIMIT), MAX_LIMIT))
