"""Message storage: append with idempotency and dense sequences, range reads.

Every conversation (1:1 or group) has one row in ``conversation_sequences``
holding its last sequence. Appending a message bumps it inside the writer's
transaction, so sequences are dense and follow commit order. The unique
index on ``(app_id, from_id, message_id)`` makes a resend find the original
for as long as the message is stored. The appends themselves are in
:mod:`.appends`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from typing import Any

from ..models import StoredMessage
from .appends import NewMessage, append_many, row_to_message
from .database import Database, Settle, settle_future
from .keys import MessageKeyGenerator


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
        self.db.submit_together(settle, append_many, self.keys, message)

    async def append(self, message: NewMessage) -> tuple[StoredMessage, bool]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.submit_append(message, partial(settle_future, future))
        result: tuple[StoredMessage, bool] = await future
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


def _purge(conn: sqlite3.Connection, app_id: int, cutoff_ms: int) -> int:
    cursor = conn.execute(
        "DELETE FROM messages WHERE app_id = ? AND created_at < ?", (app_id, cutoff_ms)
    )
    return cursor.rowcount
