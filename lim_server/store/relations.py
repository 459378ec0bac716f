"""Relations storage: friendships, friend requests, friend groups, marks.

A friendship is one row per owner (alice→bob and bob→alice are two rows).
Deleting it keeps the row as a tombstone (status 2) so that sync can tell
devices; blocking sets a flag on the same row and never deletes it, so that
unblocking restores the friendship as it was. Blocking someone who is not a
friend writes a status-2 row that carries only the flag.

Every change stamps the changed row with the next value of a per-user
counter (``friend:alice``, ``friendRequest:alice``, ``friendGroup:alice``),
which is what incremental sync pages by. A friend request is stamped twice,
once on the sender's counter and once on the recipient's, so that both see
it change. The writes are in :mod:`.relation_writes`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..models import p2p_conversation_id
from .database import Database

NORMAL = 1
DELETED = 2

PENDING = 0
APPROVED = 1
REJECTED = 2


def friend_counter(owner_id: str) -> str:
    return f"friend:{owner_id}"


def request_counter(user_id: str) -> str:
    return f"friendRequest:{user_id}"


def group_counter(owner_id: str) -> str:
    return f"friendGroup:{owner_id}"


@dataclass(slots=True)
class FriendFields:
    """What the owner of a friendship row may set on it."""

    remark: str | None = None
    add_source: str | None = None
    extra: dict[str, Any] | None = None


def friendship_wire(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "fromId": row["owner_id"],
        "toId": row["friend_id"],
        "remark": row["remark"],
        "addSource": row["add_source"],
        "extra": json.loads(row["extra"] or "{}"),
        "status": row["status"],
        "black": bool(row["black"]),
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "sequence": row["sequence"],
    }


def request_wire(row: sqlite3.Row, viewer: str) -> dict[str, Any]:
    """A request as ``viewer`` sees it: the sequence is the viewer's own."""
    received = row["to_id"] == viewer
    return {
        "requestId": row["request_id"],
        "fromId": row["from_id"],
        "toId": row["to_id"],
        "wording": row["wording"],
        "addSource": row["add_source"],
        "read": bool(row["read"]),
        "status": row["status"],
        "direction": "received" if received else "sent",
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "sequence": row["to_sequence"] if received else row["from_sequence"],
    }


def group_wire(row: sqlite3.Row, members: list[str]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "members": members,
        "deleted": bool(row["deleted"]),
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "sequence": row["sequence"],
    }


def now_ms() -> int:
    return int(time.time() * 1000)


FLAGS_CACHE_SIZE = 100_000


class RelationStore:
    """Reads of friendships, requests and friend groups; writes through the writer.

    ``flags`` answers from a bounded in-memory cache. Every change to these
    tables goes through ``write``, which empties the cache once the change has
    committed, so a cached answer never outlives the row it came from.
    """

    def __init__(self, db: Database, cache_size: int = FLAGS_CACHE_SIZE) -> None:
        self.db = db
        self.cache_size = cache_size
        self._flags: dict[tuple[int, str, str], tuple[int, bool]] = {}

    # friendship reads

    def friendship(self, app_id: int, owner_id: str, friend_id: str) -> Any:
        return self.db.query_one(
            "SELECT * FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND friend_id = ?",
            (app_id, owner_id, friend_id),
        )

    def flags(self, app_id: int, owner_id: str, friend_id: str) -> tuple[int, bool]:
        """``(status, black)`` of one row; ``(0, False)`` when there is none.

        The narrow read that every checked 1:1 message makes.
        """
        key = (app_id, owner_id, friend_id)
        flags = self._flags.get(key)
        if flags is not None:
            return flags
        row = self.db.reader.execute(
            "SELECT status, black FROM friendships WHERE app_id = ?"
            " AND owner_id = ? AND friend_id = ?",
            key,
        ).fetchone()
        flags = (row[0], bool(row[1])) if row else (0, False)
        if len(self._flags) >= self.cache_size:
            del self._flags[next(iter(self._flags))]
        self._flags[key] = flags
        return flags

    def friendships(
        self, app_id: int, owner_id: str, after: str = "", limit: int = 1000
    ) -> list[sqlite3.Row]:
        """Normal friendships of an owner in friend id order (blocked included)."""
        return self.db.query_all(
            "SELECT * FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND status = 1 AND friend_id > ? ORDER BY friend_id LIMIT ?",
            (app_id, owner_id, after, limit),
        )

    def friend_ids(self, app_id: int, owner_id: str) -> list[str]:
        rows = self.db.query_all(
            "SELECT friend_id FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND status = 1 AND black = 0 ORDER BY friend_id",
            (app_id, owner_id),
        )
        return [row[0] for row in rows]

    def pairs(
        self, app_id: int, owner_id: str, other_ids: Sequence[str]
    ) -> dict[tuple[str, str], sqlite3.Row]:
        """Rows between ``owner_id`` and each other id, in both directions."""
        found: dict[tuple[str, str], sqlite3.Row] = {}
        for start in range(0, len(other_ids), 400):
            chunk = list(other_ids[start : start + 400])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query_all(
                "SELECT * FROM friendships WHERE app_id = ? AND ("
                f"(owner_id = ? AND friend_id IN ({marks})) OR"
                f" (friend_id = ? AND owner_id IN ({marks})))",
                (app_id, owner_id, *chunk, owner_id, *chunk),
            )
            found.update(((r["owner_id"], r["friend_id"]), r) for r in rows)
        return found

    def existing_users(self, app_id: int, user_ids: Sequence[str]) -> set[str]:
        """Which of these user ids exist and are not deleted."""
        found: set[str] = set()
        for start in range(0, len(user_ids), 500):
            chunk = list(user_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query_all(
                "SELECT user_id FROM users WHERE app_id = ? AND deleted = 0"
                f" AND user_id IN ({marks})",
                (app_id, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    def blocked(self, app_id: int, owner_id: str) -> list[sqlite3.Row]:
        return self.db.query_all(
            "SELECT * FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND black = 1 ORDER BY friend_id",
            (app_id, owner_id),
        )

    def is_blocked(self, app_id: int, owner_id: str, target_id: str) -> bool:
        row = self.db.query_one(
            "SELECT black FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND friend_id = ?",
            (app_id, owner_id, target_id),
        )
        return bool(row and row[0])

    def count(self, app_id: int) -> int:
        row = self.db.query_one(
            "SELECT count(*) FROM friendships WHERE app_id = ? AND status = 1",
            (app_id,),
        )
        return int(row[0]) if row else 0

    # request reads

    def request(self, app_id: int, request_id: int) -> sqlite3.Row | None:
        return self.db.query_one(
            "SELECT * FROM friend_requests WHERE app_id = ? AND request_id = ?",
            (app_id, request_id),
        )

    def requests(
        self, app_id: int, user_id: str, direction: str, pending_only: bool
    ) -> list[sqlite3.Row]:
        column = "to_id" if direction == "received" else "from_id"
        pending = "AND status = 0" if pending_only else ""
        return self.db.query_all(
            f"SELECT * FROM friend_requests WHERE app_id = ? AND {column} = ?"
            f" {pending} ORDER BY updated_at DESC, request_id DESC",
            (app_id, user_id),
        )

    # group reads

    def groups(self, app_id: int, owner_id: str) -> list[dict[str, Any]]:
        rows = self.db.query_all(
            "SELECT * FROM friend_groups WHERE app_id = ? AND owner_id = ?"
            " AND deleted = 0 ORDER BY name",
            (app_id, owner_id),
        )
        return [self._group_wire(row) for row in rows]

    def _group_wire(self, row: sqlite3.Row) -> dict[str, Any]:
        members = self.db.query_all(
            "SELECT friend_id FROM friend_group_members WHERE app_id = ?"
            " AND owner_id = ? AND name = ? ORDER BY friend_id",
            (row["app_id"], row["owner_id"], row["name"]),
        )
        return group_wire(row, [m[0] for m in members])

    # sync reads

    def counter(self, app_id: int, name: str) -> int:
        row = self.db.query_one(
            "SELECT value FROM counters WHERE app_id = ? AND name = ?", (app_id, name)
        )
        return int(row[0]) if row else 0

    def friendships_after(
        self, app_id: int, owner_id: str, sequence: int, limit: int
    ) -> list[dict[str, Any]]:
        rows = self.db.query_all(
            "SELECT * FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND sequence > ? ORDER BY sequence LIMIT ?",
            (app_id, owner_id, sequence, limit),
        )
        return [friendship_wire(row) for row in rows]

    def requests_after(
        self, app_id: int, user_id: str, sequence: int, limit: int
    ) -> list[dict[str, Any]]:
        rows = self.db.query_all(
            "SELECT * FROM (SELECT *, to_sequence AS seq FROM friend_requests"
            " WHERE app_id = ? AND to_id = ? AND to_sequence > ?"
            " UNION ALL SELECT *, from_sequence AS seq FROM friend_requests"
            " WHERE app_id = ? AND from_id = ? AND from_sequence > ?"
            " AND to_id != from_id) ORDER BY seq LIMIT ?",
            (app_id, user_id, sequence, app_id, user_id, sequence, limit),
        )
        return [request_wire(row, user_id) for row in rows]

    def groups_after(
        self, app_id: int, owner_id: str, sequence: int, limit: int
    ) -> list[dict[str, Any]]:
        rows = self.db.query_all(
            "SELECT * FROM friend_groups WHERE app_id = ? AND owner_id = ?"
            " AND sequence > ? ORDER BY sequence LIMIT ?",
            (app_id, owner_id, sequence, limit),
        )
        return [self._group_wire(row) for row in rows]

    # the stranger quota

    def unanswered(self, app_id: int, sender_id: str, receiver_id: str) -> int:
        """Messages ``sender_id`` sent since the receiver last answered.

        Counted from the stored messages of their conversation after the
        later of the receiver's last message and the last change of a
        friendship between them, so the count is as durable as the messages.
        """
        conversation_id = p2p_conversation_id(sender_id, receiver_id)
        mark = self.db.query_one(
            "SELECT since_sequence FROM stranger_marks"
            " WHERE app_id = ? AND conversation_id = ?",
            (app_id, conversation_id),
        )
        since = int(mark[0]) if mark else 0
        reply = self.db.query_one(
            "SELECT max(sequence) FROM messages WHERE app_id = ?"
            " AND conversation_id = ? AND sequence > ? AND from_id = ?",
            (app_id, conversation_id, since, receiver_id),
        )
        if reply and reply[0] is not None:
            since = int(reply[0])
        row = self.db.query_one(
            "SELECT count(*) FROM messages WHERE app_id = ?"
            " AND conversation_id = ? AND sequence > ? AND from_id = ?",
            (app_id, conversation_id, since, sender_id),
        )
        return int(row[0]) if row else 0

    # writes: each is one atomic operation in the writer

    async def write(self, operation: Any, *args: Any) -> Any:
        try:
            return await self.db.write(operation, *args)
        finally:
            # Writes are rare next to sends: forgetting everything is simplest.
            self._flags.clear()
