"""Appending messages in runs: one set of statements for many messages.

The writer hands every run of consecutive appends in a transaction to
:func:`append_many`, which leaves the database exactly as appending them one
by one would, with a handful of statements instead of seven per message:

- one read finds the messages already stored (a resend) and one the
  conversation rows already visible to their owners;
- each conversation's sequence moves once, by the number of new messages;
- the messages go in with one ``executemany``;
- a sender's read sequence moves once per conversation, to their last
  message, and a conversation new (or deleted) for its owner is created (or
  brought back) once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json

from ..models import StoredMessage
from .counters import next_value
from .keys import MessageKeyGenerator

Appended = tuple[StoredMessage, bool]


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


# Both lookups walk a JSON array of keys and probe the unique index with
# each (CROSS JOIN keeps SQLite from scanning the table instead).
_STORED = (
    "SELECT m.* FROM json_each(?) AS k CROSS JOIN messages AS m"
    " ON m.app_id = k.value ->> 0 AND m.from_id = k.value ->> 1"
    " AND m.message_id = k.value ->> 2"
)
_VISIBLE = (
    "SELECT c.app_id, c.owner_id, c.conversation_id"
    " FROM json_each(?) AS k CROSS JOIN conversations AS c"
    " ON c.app_id = k.value ->> 0 AND c.owner_id = k.value ->> 1"
    " AND c.conversation_id = k.value ->> 2 WHERE c.deleted = 0"
)
_BUMP = (
    "INSERT INTO conversation_sequences (app_id, conversation_id, last_sequence)"
    " VALUES (?, ?, ?) ON CONFLICT (app_id, conversation_id)"
    " DO UPDATE SET last_sequence = last_sequence + excluded.last_sequence"
    " RETURNING last_sequence"
)
_INSERT = (
    "INSERT INTO messages (message_key, app_id, conversation_id,"
    " conversation_type, sequence, from_id, to_id, message_id, body, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_READ = (
    "UPDATE conversations SET read_sequence = ?"
    " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?"
    " AND read_sequence < ?"
)
_REVIVE = (
    "INSERT INTO conversations (app_id, owner_id, conversation_id,"
    " conversation_type, peer_id, read_sequence, sequence, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET deleted = 0,"
    " read_sequence = max(read_sequence, excluded.read_sequence),"
    " sequence = excluded.sequence, updated_at = excluded.updated_at"
)

# (app_id, owner_id, conversation_id)
OwnerKey = tuple[int, str, str]


def append_many(
    conn: sqlite3.Connection,
    keys: MessageKeyGenerator,
    messages: Sequence[NewMessage],
) -> list[Appended]:
    """Append messages in order; each yields ``(stored, duplicate)`` (writer only)."""
    results: list[Appended | None] = [None] * len(messages)
    fresh, repeats = _find_stored(conn, messages, results)
    if fresh:
        _store(conn, keys, fresh, results)
    for index, first in repeats:
        original = results[first]
        assert original is not None
        results[index] = (original[0], True)
    return results  # type: ignore[return-value]


def _find_stored(
    conn: sqlite3.Connection,
    messages: Sequence[NewMessage],
    results: list[Appended | None],
) -> tuple[list[tuple[int, NewMessage]], list[tuple[int, int]]]:
    """Fill in resends of stored messages.

    Returns the new messages with their index, and the messages sent twice
    in this run as ``(index, index of the first)``.
    """
    wanted = [(m.app_id, m.from_id, m.message_id) for m in messages]
    stored = {
        (row["app_id"], row["from_id"], row["message_id"]): row_to_message(row)
        for row in conn.execute(_STORED, (to_json(wanted).decode(),))
    }
    fresh: list[tuple[int, NewMessage]] = []
    repeats: list[tuple[int, int]] = []
    first_of: dict[tuple[int, str, str], int] = {}
    for index, key in enumerate(wanted):
        original = stored.get(key)
        if original is not None:
            results[index] = (original, True)
        elif key in first_of:
            repeats.append((index, first_of[key]))
        else:
            first_of[key] = index
            fresh.append((index, messages[index]))
    return fresh, repeats


def _store(
    conn: sqlite3.Connection,
    keys: MessageKeyGenerator,
    fresh: list[tuple[int, NewMessage]],
    results: list[Appended | None],
) -> None:
    created_at = int(time.time() * 1000)
    next_sequence = _bump_sequences(conn, fresh)
    rows = []
    appended = []
    for index, message in fresh:
        conversation = (message.app_id, message.conversation_id)
        sequence = next_sequence[conversation]
        next_sequence[conversation] = sequence + 1
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
            created_at=created_at,
        )
        results[index] = (stored, False)
        appended.append((stored, message))
        rows.append(_row(stored))
    conn.executemany(_INSERT, rows)
    _touch_conversations(conn, appended)


def _bump_sequences(
    conn: sqlite3.Connection, fresh: list[tuple[int, NewMessage]]
) -> dict[tuple[int, str], int]:
    """Move each conversation's sequence once; return each one's first new value."""
    counts: dict[tuple[int, str], int] = {}
    for _, message in fresh:
        key = (message.app_id, message.conversation_id)
        counts[key] = counts.get(key, 0) + 1
    first: dict[tuple[int, str], int] = {}
    for (app_id, conversation_id), count in counts.items():
        last = conn.execute(_BUMP, (app_id, conversation_id, count)).fetchone()[0]
        first[app_id, conversation_id] = last - count + 1
    return first


def _row(stored: StoredMessage) -> tuple[Any, ...]:
    return (
        stored.message_key,
        stored.app_id,
        stored.conversation_id,
        stored.conversation_type,
        stored.sequence,
        stored.from_id,
        stored.to_id,
        stored.message_id,
        to_json(stored.body).decode(),
        stored.created_at,
    )


def _touch_conversations(
    conn: sqlite3.Connection, appended: list[tuple[StoredMessage, NewMessage]]
) -> None:
    """Index new messages in their owners' conversation lists.

    The sender has read everything up to their own message, so their read
    sequence moves in the same transaction and it never counts as unread.
    Only a new or a deleted conversation changes for sync; a new message in
    a visible conversation shows up through the cursors alone.
    """
    own_read: dict[OwnerKey, int] = {}
    # Owners whose row must exist: key -> (type, peer, first message time).
    indexed: dict[OwnerKey, tuple[int, str, int]] = {}
    for stored, message in appended:
        own_read[message.app_id, message.from_id, message.conversation_id] = (
            stored.sequence
        )
        for owner_id, peer_id in message.owners:
            key = (message.app_id, owner_id, message.conversation_id)
            if key not in indexed:
                indexed[key] = (message.conversation_type, peer_id, stored.created_at)

    visible = _visible(conn, list(indexed))
    for key, (conversation_type, peer_id, created_at) in indexed.items():
        if key in visible:
            continue
        app_id, owner_id, _ = key
        sequence = next_value(conn, app_id, conversation_counter(owner_id))
        read = own_read.get(key, 0)
        conn.execute(
            _REVIVE, (*key, conversation_type, peer_id, read, sequence, created_at)
        )
    conn.executemany(
        _READ,
        [(read, *key, read) for key, read in own_read.items()],
    )


def _visible(conn: sqlite3.Connection, wanted: list[OwnerKey]) -> set[OwnerKey]:
    if not wanted:
        return set()
    rows = conn.execute(_VISIBLE, (to_json(wanted).decode(),))
    return {(row[0], row[1], row[2]) for row in rows}
