"""User records, their SSH keys and password hashes."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ..models import User
from .counters import next_value
from .database import Database

PROFILE_COUNTER = "profiles"

PROFILE_COLUMNS = (
    "nickname",
    "avatar",
    "gender",
    "signature",
    "extra",
    "user_type",
    "disabled",
    "silenced",
    "friend_policy",
)


def row_to_user(row: sqlite3.Row) -> User:
    return User(
        app_id=row["app_id"],
        user_id=row["user_id"],
        nickname=row["nickname"],
        avatar=row["avatar"],
        gender=row["gender"],
        signature=row["signature"],
        extra=json.loads(row["extra"] or "{}"),
        user_type=row["user_type"],
        disabled=bool(row["disabled"]),
        silenced=bool(row["silenced"]),
        deleted=bool(row["deleted"]),
        friend_policy=row["friend_policy"],
        has_password=row["password_hash"] is not None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        sequence=row["sequence"],
    )


CACHE_SIZE = 100_000


class UserStore:
    """User rows, with the most recently read profiles cached in memory.

    Every message send reads its sender and receiver, so profiles are kept
    in a bounded cache. All changes to a user go through this class, which
    drops the cached profile before and after the write commits; the cache
    is never older than the database for longer than that write.
    """

    def __init__(self, db: Database, cache_size: int = CACHE_SIZE) -> None:
        self.db = db
        self.cache_size = cache_size
        self._cache: dict[tuple[int, str], User] = {}

    # reads

    def get(self, app_id: int, user_id: str) -> User | None:
        key = (app_id, user_id)
        user = self._cache.get(key)
        if user is not None:
            return user
        row = self.db.query_one(
            "SELECT * FROM users WHERE app_id = ? AND user_id = ?", (app_id, user_id)
        )
        if row is None:
            return None
        user = row_to_user(row)
        if len(self._cache) >= self.cache_size:
            # Dicts keep insertion order: drop the oldest entry.
            del self._cache[next(iter(self._cache))]
        self._cache[key] = user
        return user

    def forget(self, app_id: int, user_ids: Iterable[str]) -> None:
        """Drop cached profiles (after a change made outside this class)."""
        for user_id in user_ids:
            self._cache.pop((app_id, user_id), None)

    def get_many(self, app_id: int, user_ids: Sequence[str]) -> dict[str, User]:
        found: dict[str, User] = {}
        for start in range(0, len(user_ids), 500):
            chunk = list(user_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.query_all(
                f"SELECT * FROM users WHERE app_id = ? AND user_id IN ({marks})",
                (app_id, *chunk),
            )
            found.update((row["user_id"], row_to_user(row)) for row in rows)
        return found

    def page(
        self, app_id: int, *, after: str = "", limit: int = 100, include_deleted=False
    ) -> list[User]:
        deleted = "" if include_deleted else "AND deleted = 0"
        rows = self.db.query_all(
            f"SELECT * FROM users WHERE app_id = ? AND user_id > ? {deleted}"
            " ORDER BY user_id LIMIT ?",
            (app_id, after, limit),
        )
        return [row_to_user(row) for row in rows]

    def count(self, app_id: int) -> int:
        row = self.db.query_one(
            "SELECT count(*) FROM users WHERE app_id = ? AND deleted = 0", (app_id,)
        )
        return int(row[0]) if row else 0

    def changed_since(self, app_id: int, sequence: int, limit: int) -> list[User]:
        rows = self.db.query_all(
            "SELECT * FROM users WHERE app_id = ? AND sequence > ?"
            " ORDER BY sequence LIMIT ?",
            (app_id, sequence, limit),
        )
        return [row_to_user(row) for row in rows]

    def password_hash(self, app_id: int, user_id: str) -> str | None:
        row = self.db.query_one(
            "SELECT password_hash FROM users WHERE app_id = ? AND user_id = ?",
            (app_id, user_id),
        )
        return row[0] if row else None

    def keys(self, app_id: int, user_id: str) -> list[dict[str, Any]]:
        rows = self.db.query_all(
            "SELECT fingerprint, public_key, comment, created_at FROM user_keys"
            " WHERE app_id = ? AND user_id = ? ORDER BY created_at",
            (app_id, user_id),
        )
        return [dict(row) for row in rows]

    # writes

    async def create(self, user: User, password_hash: str | None = None) -> User:
        try:
            created: User = await self.db.write(_insert_user, user, password_hash)
        finally:
            self.forget(user.app_id, [user.user_id])
        return created

    async def upsert_many(self, app_id: int, users: list[dict[str, Any]]) -> int:
        """Create or update many users in one operation; return the row count."""
        try:
            count: int = await self.db.write(_upsert_users, app_id, users)
        finally:
            self.forget(app_id, (user["user_id"] for user in users))
        return count

    def upsert_many_blocking(self, app_id: int, users: list[dict[str, Any]]) -> int:
        try:
            count: int = self.db.write_blocking(_upsert_users, app_id, users)
        finally:
            self.forget(app_id, (user["user_id"] for user in users))
        return count

    async def update(self, app_id: int, user_id: str, fields: dict[str, Any]) -> User:
        self.forget(app_id, [user_id])
        try:
            updated: User = await self.db.write(_update_user, app_id, user_id, fields)
        finally:
            self.forget(app_id, [user_id])
        return updated

    async def set_password(self, app_id: int, user_id: str, digest: str | None) -> None:
        try:
            await self.db.write(_set_password, app_id, user_id, digest)
        finally:
            self.forget(app_id, [user_id])

    async def add_key(
        self, app_id: int, user_id: str, fingerprint: str, key: str, comment: str
    ) -> None:
        await self.db.write(_add_key, app_id, user_id, fingerprint, key, comment)

    async def remove_key(self, app_id: int, user_id: str, fingerprint: str) -> bool:
        return await self.db.write(_remove_key, app_id, user_id, fingerprint)


def _insert_user(
    conn: sqlite3.Connection, user: User, password_hash: str | None
) -> User:
    now = int(time.time())
    sequence = next_value(conn, user.app_id, PROFILE_COUNTER)
    conn.execute(
        "INSERT INTO users (app_id, user_id, nickname, avatar, gender, signature,"
        " extra, user_type, disabled, silenced, friend_policy, password_hash,"
        " created_at, updated_at, sequence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            user.app_id,
            user.user_id,
            user.nickname,
            user.avatar,
            user.gender,
            user.signature,
            json.dumps(user.extra),
            user.user_type,
            int(user.disabled),
            int(user.silenced),
            user.friend_policy,
            password_hash,
            now,
            now,
            sequence,
        ),
    )
    return user.model_copy(
        update={
            "created_at": now,
            "updated_at": now,
            "sequence": sequence,
            "has_password": password_hash is not None,
        }
    )


def _upsert_users(
    conn: sqlite3.Connection, app_id: int, users: list[dict[str, Any]]
) -> int:
    now = int(time.time())
    first = next_value(conn, app_id, PROFILE_COUNTER, len(users)) - len(users) + 1
    rows: Iterable[tuple[Any, ...]] = (
        (
            app_id,
            user["user_id"],
            user.get("nickname", ""),
            user.get("avatar", ""),
            user.get("gender", 0),
            user.get("signature", ""),
            json.dumps(user["extra"]) if user.get("extra") else "{}",
            user.get("user_type", 1),
            user.get("password_hash"),
            now,
            now,
            first + index,
        )
        for index, user in enumerate(users)
    )
    conn.executemany(
        "INSERT INTO users (app_id, user_id, nickname, avatar, gender, signature,"
        " extra, user_type, password_hash, created_at, updated_at, sequence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (app_id, user_id) DO UPDATE SET"
        " nickname = excluded.nickname, avatar = excluded.avatar,"
        " gender = excluded.gender, signature = excluded.signature,"
        " extra = excluded.extra, user_type = excluded.user_type,"
        " password_hash = coalesce(excluded.password_hash, users.password_hash),"
        " deleted = 0, updated_at = excluded.updated_at,"
        " sequence = excluded.sequence",
        rows,
    )
    return len(users)


def _update_user(
    conn: sqlite3.Connection, app_id: int, user_id: str, fields: dict[str, Any]
) -> User:
    columns = {key: value for key, value in fields.items() if key in PROFILE_COLUMNS}
    if "deleted" in fields:
        columns["deleted"] = fields["deleted"]
    if "extra" in columns:
        columns["extra"] = json.dumps(columns["extra"])
    columns["updated_at"] = int(time.time())
    columns["sequence"] = next_value(conn, app_id, PROFILE_COUNTER)
    assignments = ", ".join(f"{name} = ?" for name in columns)
    row = conn.execute(
        f"UPDATE users SET {assignments} WHERE app_id = ? AND user_id = ? RETURNING *",
        (*columns.values(), app_id, user_id),
    ).fetchone()
    if row is None:
        raise LookupError(user_id)
    return row_to_user(row)


def _set_password(
    conn: sqlite3.Connection, app_id: int, user_id: str, digest: str | None
) -> None:
    conn.execute(
        "UPDATE users SET password_hash = ? WHERE app_id = ? AND user_id = ?",
        (digest, app_id, user_id),
    )


def _add_key(
    conn: sqlite3.Connection,
    app_id: int,
    user_id: str,
    fingerprint: str,
    key: str,
    comment: str,
) -> None:
    conn.execute(
        "INSERT INTO user_keys VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
        " public_key = excluded.public_key, comment = excluded.comment",
        (app_id, user_id, fingerprint, key, comment, int(time.time())),
    )


def _remove_key(
    conn: sqlite3.Connection, app_id: int, user_id: str, fingerprint: str
) -> bool:
    cursor = conn.execute(
        "DELETE FROM user_keys WHERE app_id = ? AND user_id = ? AND fingerprint = ?",
        (app_id, user_id, fingerprint),
    )
    return cursor.rowcount > 0
