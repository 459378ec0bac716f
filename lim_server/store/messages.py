"""Message storage: append with idempotency and dense sequences, range reads.

Every conversation (1:1 or group) has one row in ``conversation_sequences``
holding its last sequence. Appending a message bumps it inside the writer's
transaction, so sequences are dense and follow commit order. The unique
index on ``(app_id, from_id, message_id)`` makes a resend find the original
for as long as the message is stored.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from ..models import StoredMessage
from .counters import next_value
from .database import Database, Settle
from .keys import MessageKeyGenerator


@dataclass(slots=True)
class NewMessage:
    app_id: int
    conversation_id: str
    conversation_type: int
    from_id: str
    to_id: str
    message_id: str
    body: Any
    # 1:1 messages index the conversation for both parties; group messages
    # are stored once and index nobody (members' rows exist from joining).
    owners: tuple[tuple[str, str], ...] = ()


def row_to_message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        message_key=row["message_key"],
        app_id=row["app_id"],
        conversation_id=row["conversation_id"],
        conversation_type=row["conversation_type"],
        sequence=row["sequence"],
        from_id=row["from_id"],
        to_id=row["to_id"],
        message_id=row["message_id"],
        body=json.loads(row["body"]),
        created_at=row["created_at"],
        recalled=bool(row["recalled"]),
    )


def conversation_counter(owner_id: str) -> str:
    return f"conv:{owner_id}"


class MessageStore:
    def __init__(self, db: Database, node_id: int = 0) -> None:
        self.db = db
        self.keys = MessageKeyGenerator(node_id, self._largest_key())

    def _largest_key(self) -> int:
        row = self.db.query_one("SELECT max(message_key) FROM messages")
        return int(row[0]) if row and row[0] is not None else 0

    # writes

    def submit_append(self, message: NewMessage, settle: Settle) -> None:
        """Queue an append; ``settle`` gets ``(stored, duplicate)`` or an error."""
        self.db.submit_then(settle, _append, self.keys, message)

    async def append(self, message: NewMessage) -> tuple[StoredMessage, bool]:
        result: tuple[StoredMessage, bool] = await self.db.write(
            _append, self.keys, message
        )
        return result

    async def purge_before(self, app_id: int, cutoff_ms: int) -> int:
        return await self.db.write(_purge, app_id, cutoff_ms)

    # reads

    def find(self, app_id: int, from_id: str, message_id: str) -> StoredMessage | None:
        row = self.db.query_one(
            "SELECT * FROM messages"
            " WHERE app_id = ? AND from_id = ? AND message_id = ?",
            (app_id, from_id, message_id),
        )
        return row_to_message(row) if row else None

    def get(self, app_id: int, message_key: int) -> StoredMessage | None:
        row = self.db.query_one(
            "SELECT * FROM messages WHERE message_key = ? AND app_id = ?",
            (message_key, app_id),
        )
        return row_to_message(row) if row else None

    def after(
        self, app_id: int, conversation_id: str, sequence: int, limit: int
    ) -> list[StoredMessage]:
        """Messages with a sequence above ``sequence``, ascending."""
        rows = self.db.query_all(
            "SELECT * FROM messages WHERE app_id = ? AND conversation_id = ?"
            " AND sequence > ? ORDER BY sequence LIMIT ?",
            (app_id, conversation_id, sequence, limit),
        )
        return [row_to_message(row) for row in rows]

    def before(
        self, app_id: int, conversation_id: str, sequence: int, limit: int
    ) -> list[StoredMessage]:
        """Messages with a sequence below ``sequence``, ascending."""
        rows = self.db.query_all(
            "SELECT * FROM messages WHERE app_id = ? AND conversation_id = ?"
            " AND sequence < ? ORDER BY sequence DESC LIMIT ?",
            (app_id, conversation_id, sequence, limit),
        )
        return [row_to_message(row) for row in reversed(rows)]

    def last_sequence(self, app_id: int, conversation_id: str) -> int:
        row = self.db.query_one(
            "SELECT last_sequence FROM conversation_sequences"
            " WHERE app_id = ? AND conversation_id = ?",
            (app_id, conversation_id),
        )
        return int(row[0]) if row else 0

    def cursors(self, app_id: int, owner_id: str) -> list[sqlite3.Row]:
        """Every conversation of a user with its last and read sequences."""
        return self.db.query_all(
            "SELECT c.conversation_id, c.conversation_type, c.peer_id,"
            " c.read_sequence, c.start_sequence, c.deleted,"
            " coalesce(s.last_sequence, 0) AS last_sequence,"
            " coalesce(s.recall_sequence, 0) AS recall_sequence"
            " FROM conversations c LEFT JOIN conversation_sequences s"
            " ON s.app_id = c.app_id AND s.conversation_id = c.conversation_id"
            " WHERE c.app_id = ? AND c.owner_id = ?",
            (app_id, owner_id),
        )

    def conversation(
        self, app_id: int, owner_id: str, conversation_id: str
    ) -> sqlite3.Row | None:
        """One conversation of a user with its last sequence, or ``None``."""
        return self.db.query_one(
            "SELECT c.*, coalesce(s.last_sequence, 0) AS last_sequence"
            " FROM conversations c LEFT JOIN conversation_sequences s"
            " ON s.app_id = c.app_id AND s.conversation_id = c.conversation_id"
            " WHERE c.app_id = ? AND c.owner_id = ? AND c.conversation_id = ?",
            (app_id, owner_id, conversation_id),
        )

    def count(self, app_id: int | None = None) -> int:
        if app_id is None:
            row = self.db.query_one("SELECT count(*) FROM messages")
        else:
            row = self.db.query_one(
                "SELECT count(*) FROM messages WHERE app_id = ?", (app_id,)
            )
        return int(row[0]) if row else 0


def _append(
    conn: sqlite3.Connection, keys: MessageKeyGenerator, message: NewMessage
) -> tuple[StoredMessage, bool]:
    existing = conn.execute(
        "SELECT * FROM messages WHERE app_id = ? AND from_id = ? AND message_id = ?",
        (message.app_id, message.from_id, message.message_id),
    ).fetchone()
    if existing is not None:
        return row_to_message(existing), True

    sequence = conn.execute(
        "INSERT INTO conversation_sequences (app_id, conversation_id, last_sequence)"
        " VALUES (?, ?, 1) ON CONFLICT (app_id, conversation_id)"
        " DO UPDATE SET last_sequence = last_sequence + 1 RETURNING last_sequence",
        (message.app_id, message.conversation_id),
    ).fetchone()[0]
    stored = StoredMessage(
        message_key=keys.next_key(),
        app_id=message.app_id,
        conversation_id=message.conversation_id,
        conversation_type=message.conversation_type,
        sequence=sequence,
        from_id=message.from_id,
        to_id=message.to_id,
        message_id=message.message_id,
        body=message.body,
        created_at=int(time.time() * 1000),
    )
    conn.execute(
        "INSERT INTO messages (message_key, app_id, conversation_id,"
        " conversation_type, sequence, from_id, to_id, message_id, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            stored.message_key,
            stored.app_id,
            stored.conversation_id,
            stored.conversation_type,
            stored.sequence,
            stored.from_id,
            stored.to_id,
            stored.message_id,
            json.dumps(stored.body, ensure_ascii=False),
            stored.created_at,
        ),
    )
    # The sender has read everything up to their own message: their read
    # sequence moves in the same transaction, so it is never unread for them.
    for owner_id, peer_id in message.owners:
        _touch_conversation(conn, message, owner_id, peer_id, stored)
    if all(owner_id != message.from_id for owner_id, _ in message.owners):
        advance_read(
            conn, message.app_id, message.from_id, message.conversation_id, sequence
        )
    return stored, False


def advance_read(
    conn: sqlite3.Connection,
    app_id: int,
    owner_id: str,
    conversation_id: str,
    sequence: int,
) -> None:
    """Mark a conversation read up to ``sequence`` for its owner (writer only).

    A read only moves forward; it needs no sync stamp because the cursors call
    reports every read sequence. Group appends (which index no owner) get the
    sender's read advanced through this.
    """
    conn.execute(
        "UPDATE conversations SET read_sequence = ?"
        " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?"
        " AND read_sequence < ?",
        (sequence, app_id, owner_id, conversation_id, sequence),
    )


def _touch_conversation(
    conn: sqlite3.Connection,
    message: NewMessage,
    owner_id: str,
    peer_id: str,
    stored: StoredMessage,
) -> None:
    # Only a new or a deleted conversation changes for sync; a new message in
    # a visible conversation shows up through the cursors alone.
    key = (message.app_id, owner_id, message.conversation_id)
    read = 0
    if owner_id == message.from_id:
        read = stored.sequence
        visible = conn.execute(
            "UPDATE conversations SET read_sequence = max(read_sequence, ?)"
            " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?"
            " AND deleted = 0",
            (read, *key),
        ).rowcount
    else:
        row = conn.execute(
            "SELECT deleted FROM conversations"
            " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?",
            key,
        ).fetchone()
        visible = row is not None and not row[0]
    if visible:
        return
    sequence = next_value(conn, message.app_id, conversation_counter(owner_id))
    conn.execute(
        "INSERT INTO conversations (app_id, owner_id, conversation_id,"
        " conversation_type, peer_id, read_sequence, sequence, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET deleted = 0,"
        " read_sequence = max(read_sequence, excluded.read_sequence),"
        " sequence = excluded.sequence, updated_at = excluded.updated_at",
        (*key, message.conversation_type, peer_id, read, sequence, stored.created_at),
    )


def _purge(conn: sqlite3.Connection, app_id: int, cutoff_ms: int) -> int:
    cursor = conn.execute(
        "DELETE FROM messages WHERE app_id = ? AND created_at < ?", (app_id, cutoff_ms)
    )
    return cursor.rowcount
