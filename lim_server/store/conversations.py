"""The per-user conversation index: list, flags, reads, and message recalls.

Rows of ``conversations`` are created by message appends (1:1) or by joining
a group. Every change made here stamps the row with the owner's next
``conv:<owner>`` counter value, so "changed since N" sync sees it; a deleted
conversation stays as a tombstone row (``deleted = 1``) until the next
message brings it back.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from .appends import conversation_counter
from .counters import next_value
from .database import Database

FLAGS = ("pinned", "muted")

_SELECT = (
    "SELECT c.*, coalesce(s.last_sequence, 0) AS last_sequence,"
    " coalesce(s.recall_sequence, 0) AS recall_sequence,"
    " m.message_key AS last_key, m.message_id AS last_message_id,"
    " m.from_id AS last_from, m.body AS last_body, m.created_at AS last_time,"
    " m.recalled AS last_recalled"
    " FROM conversations c LEFT JOIN conversation_sequences s"
    " ON s.app_id = c.app_id AND s.conversation_id = c.conversation_id"
    " LEFT JOIN messages m ON m.app_id = c.app_id"
    " AND m.conversation_id = c.conversation_id AND m.sequence = s.last_sequence"
)


@dataclass(slots=True)
class ReadResult:
    read_sequence: int
    last_sequence: int
    changed: bool
    sequence: int


@dataclass(slots=True)
class RecallRecord:
    conversation_id: str
    recall_sequence: int
    message_key: int
    message_sequence: int
    from_id: str
    recalled_by: str
    recalled_at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "conversationId": self.conversation_id,
            "recallSequence": self.recall_sequence,
            "messageKey": self.message_key,
            "messageSequence": self.message_sequence,
            "fromId": self.from_id,
            "recalledBy": self.recalled_by,
            "recallTime": self.recalled_at,
        }


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # reads

    def visible(self, app_id: int, owner_id: str) -> list[sqlite3.Row]:
        """Visible conversations: pinned first, then by last activity."""
        return self.db.query_all(
            _SELECT + " WHERE c.app_id = ? AND c.owner_id = ? AND c.deleted = 0"
            # Message keys are time-ordered and unique: they break ties
            # between messages stored in the same millisecond.
            " ORDER BY c.pinned DESC, coalesce(m.created_at, c.updated_at) DESC,"
            " m.message_key DESC, c.conversation_id",
            (app_id, owner_id),
        )

    def get(self, app_id: int, owner_id: str, conversation_id: str) -> Any:
        return self.db.query_one(
            _SELECT
            + " WHERE c.app_id = ? AND c.owner_id = ? AND c.conversation_id = ?",
            (app_id, owner_id, conversation_id),
        )

    def changed_since(
        self, app_id: int, owner_id: str, after: int, limit: int
    ) -> list[sqlite3.Row]:
        """Rows stamped after ``after``, tombstones included, ascending."""
        return self.db.query_all(
            _SELECT + " WHERE c.app_id = ? AND c.owner_id = ? AND c.sequence > ?"
            " ORDER BY c.sequence LIMIT ?",
            (app_id, owner_id, after, limit),
        )

    def message_at(self, app_id: int, conversation_id: str, sequence: int) -> Any:
        return self.db.query_one(
            "SELECT * FROM messages WHERE app_id = ? AND conversation_id = ?"
            " AND sequence = ?",
            (app_id, conversation_id, sequence),
        )

    def recalls_after(
        self, app_id: int, conversation_id: str, after: int, limit: int
    ) -> list[RecallRecord]:
        rows = self.db.query_all(
            "SELECT * FROM message_recalls WHERE app_id = ? AND conversation_id = ?"
            " AND recall_sequence > ? ORDER BY recall_sequence LIMIT ?",
            (app_id, conversation_id, after, limit),
        )
        return [_recall_record(row) for row in rows]

    def recall_sequence(self, app_id: int, conversation_id: str) -> int:
        row = self.db.query_one(
            "SELECT recall_sequence FROM conversation_sequences"
            " WHERE app_id = ? AND conversation_id = ?",
            (app_id, conversation_id),
        )
        return int(row[0]) if row else 0

    # writes

    async def set_flags(
        self, app_id: int, owner_id: str, conversation_id: str, changes: dict[str, int]
    ) -> bool | None:
        """Change flags; ``None`` if there is no such visible conversation."""
        return await self.db.write(
            _set_flags, app_id, owner_id, conversation_id, changes
        )

    async def delete(self, app_id: int, owner_id: str, conversation_id: str) -> bool:
        """Hide a conversation (and clear its unread) until its next message."""
        return await self.db.write(_delete, app_id, owner_id, conversation_id)

    async def mark_read(
        self, app_id: int, owner_id: str, conversation_id: str, sequence: int
    ) -> ReadResult | None:
        """Move the read sequence forward (``0``: to the last message)."""
        return await self.db.write(
            _mark_read, app_id, owner_id, conversation_id, sequence
        )

    async def recall(
        self, app_id: int, message_key: int, recalled_by: str
    ) -> RecallRecord | None:
        """Tombstone a message; ``None`` if it was recalled already."""
        return await self.db.write(_recall, app_id, message_key, recalled_by)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _where() -> str:
    return " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?"


def _stamp(conn: sqlite3.Connection, app_id: int, owner_id: str) -> int:
    return next_value(conn, app_id, conversation_counter(owner_id))


def _set_flags(
    conn: sqlite3.Connection,
    app_id: int,
    owner_id: str,
    conversation_id: str,
    changes: dict[str, int],
) -> bool | None:
    key = (app_id, owner_id, conversation_id)
    row = conn.execute(
        "SELECT pinned, muted, deleted FROM conversations" + _where(), key
    ).fetchone()
    if row is None or row["deleted"]:
        return None
    if all(row[name] == value for name, value in changes.items()):
        return False
    assignments = ", ".join(f"{name} = ?" for name in changes if name in FLAGS)
    conn.execute(
        f"UPDATE conversations SET {assignments}, sequence = ?, updated_at = ?"
        + _where(),
        (*changes.values(), _stamp(conn, app_id, owner_id), _now_ms(), *key),
    )
    return True


def _delete(
    conn: sqlite3.Connection, app_id: int, owner_id: str, conversation_id: str
) -> bool:
    key = (app_id, owner_id, conversation_id)
    row = conn.execute("SELECT deleted FROM conversations" + _where(), key).fetchone()
    if row is None or row["deleted"]:
        return False
    last = conn.execute(
        "SELECT last_sequence FROM conversation_sequences"
        " WHERE app_id = ? AND conversation_id = ?",
        (app_id, conversation_id),
    ).fetchone()
    conn.execute(
        "UPDATE conversations SET deleted = 1,"
        " read_sequence = max(read_sequence, ?), sequence = ?, updated_at = ?"
        + _where(),
        (last[0] if last else 0, _stamp(conn, app_id, owner_id), _now_ms(), *key),
    )
    return True


def _mark_read(
    conn: sqlite3.Connection,
    app_id: int,
    owner_id: str,
    conversation_id: str,
    sequence: int,
) -> ReadResult | None:
    row = conn.execute(
        "SELECT c.read_sequence, c.sequence, coalesce(s.last_sequence, 0)"
        " FROM conversations c LEFT JOIN conversation_sequences s"
        " ON s.app_id = c.app_id AND s.conversation_id = c.conversation_id"
        " WHERE c.app_id = ? AND c.owner_id = ? AND c.conversation_id = ?",
        (app_id, owner_id, conversation_id),
    ).fetchone()
    if row is None:
        return None
    read, stamp, last = row
    target = last if sequence <= 0 else min(sequence, last)
    if target <= read:
        return ReadResult(read, last, False, stamp)
    stamp = _stamp(conn, app_id, owner_id)
    conn.execute(
        "UPDATE conversations SET read_sequence = ?, sequence = ?, updated_at = ?"
        + _where(),
        (target, stamp, _now_ms(), app_id, owner_id, conversation_id),
    )
    return ReadResult(target, last, True, stamp)


def _recall(
    conn: sqlite3.Connection, app_id: int, message_key: int, recalled_by: str
) -> RecallRecord | None:
    # The body leaves storage; the row stays so that sequences keep no hole.
    changed = conn.execute(
        "UPDATE messages SET recalled = 1, body = 'null'"
        " WHERE message_key = ? AND app_id = ? AND recalled = 0",
        (message_key, app_id),
    ).rowcount
    if not changed:
        return None
    message = conn.execute(
        "SELECT conversation_id, sequence, from_id FROM messages WHERE message_key = ?",
        (message_key,),
    ).fetchone()
    recall_sequence = conn.execute(
        "UPDATE conversation_sequences SET recall_sequence = recall_sequence + 1"
        " WHERE app_id = ? AND conversation_id = ? RETURNING recall_sequence",
        (app_id, message["conversation_id"]),
    ).fetchone()[0]
    record = RecallRecord(
        conversation_id=message["conversation_id"],
        recall_sequence=recall_sequence,
        message_key=message_key,
        message_sequence=message["sequence"],
        from_id=message["from_id"],
        recalled_by=recalled_by,
        recalled_at=_now_ms(),
    )
    conn.execute(
        "INSERT INTO message_recalls (app_id, conversation_id, recall_sequence,"
        " message_key, message_sequence, from_id, recalled_by, recalled_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            app_id,
            record.conversation_id,
            record.recall_sequence,
            record.message_key,
            record.message_sequence,
            record.from_id,
            record.recalled_by,
            record.recalled_at,
        ),
    )
    return record


def _recall_record(row: sqlite3.Row) -> RecallRecord:
    return RecallRecord(
        conversation_id=row["conversation_id"],
        recall_sequence=row["recall_sequence"],
        message_key=row["message_key"],
        message_sequence=row["message_sequence"],
        from_id=row["from_id"],
        recalled_by=row["recalled_by"],
        recalled_at=row["recalled_at"],
    )
