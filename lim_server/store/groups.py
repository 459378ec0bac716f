"""Groups, members and join requests: records, reads and writer operations.

Two change sequences stamp every member row, so that both sides of sync are
range scans: ``sequence`` comes from the member's own counter
(``groups:<userId>``, the "groups" sync kind: "my groups changed since N"),
``member_sequence`` from the group's counter (``gmembers:<groupId>``: "members
of this group changed since N"). A change of the group itself restamps every
current member's ``sequence``.

Joining creates (or restores) the member's row in the core ``conversations``
table with ``start_sequence`` at the group conversation's last sequence, so a
member sees the messages sent from then on. Leaving records the last
sequence they may see in ``leave_sequence``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from lim_protocol.commands import ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import group_conversation_id
from .counters import next_value
from .database import Database
from .messages import conversation_counter

OWNER = "owner"
MANAGER = "manager"
MEMBER = "member"
ROLES = (OWNER, MANAGER, MEMBER)

PRIVATE = "private"
PUBLIC = "public"
APPROVAL = "approval"
FREE = "free"

GROUP_FIELDS = ("name", "avatar", "notice", "introduction", "extra", "join_mode")


@dataclass(slots=True)
class Group:
    app_id: int
    group_id: str
    owner_id: str
    group_type: str = PRIVATE
    join_mode: str = APPROVAL
    name: str = ""
    avatar: str = ""
    notice: str = ""
    introduction: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    mute_all: bool = False
    dismissed: bool = False
    max_members: int = 0
    sequence: int = 0
    created_at: int = 0
    updated_at: int = 0


@dataclass(slots=True)
class Member:
    app_id: int
    group_id: str
    member_id: str
    role: str = MEMBER
    alias: str = ""
    mute_until: int = 0
    joined_at: int = 0
    join_sequence: int = 0
    left: bool = False
    leave_sequence: int = 0
    sequence: int = 0
    member_sequence: int = 0
    updated_at: int = 0

    @property
    def active(self) -> bool:
        return not self.left

    def muted(self, now_ms: int) -> bool:
        return self.mute_until > now_ms


@dataclass(slots=True)
class JoinRequest:
    request_id: int
    app_id: int
    group_id: str
    user_id: str
    wording: str
    status: str
    handled_by: str | None
    created_at: int
    updated_at: int


def row_to_group(row: sqlite3.Row) -> Group:
    return Group(
        app_id=row["app_id"],
        group_id=row["group_id"],
        owner_id=row["owner_id"],
        group_type=row["group_type"],
        join_mode=row["join_mode"],
        name=row["name"],
        avatar=row["avatar"],
        notice=row["notice"],
        introduction=row["introduction"],
        extra=json.loads(row["extra"] or "{}"),
        mute_all=bool(row["mute_all"]),
        dismissed=bool(row["dismissed"]),
        max_members=row["max_members"],
        sequence=row["sequence"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def row_to_member(row: sqlite3.Row) -> Member:
    return Member(
        app_id=row["app_id"],
        group_id=row["group_id"],
        member_id=row["member_id"],
        role=row["role"],
        alias=row["alias"],
        mute_until=row["mute_until"],
        joined_at=row["joined_at"],
        join_sequence=row["join_sequence"],
        left=bool(row["left_group"]),
        leave_sequence=row["leave_sequence"],
        sequence=row["sequence"],
        member_sequence=row["member_sequence"],
        updated_at=row["updated_at"],
    )


def row_to_request(row: sqlite3.Row) -> JoinRequest:
    return JoinRequest(**{key: row[key] for key in row.keys()})


def user_counter(user_id: str) -> str:
    return f"groups:{user_id}"


def member_counter(group_id: str) -> str:
    return f"gmembers:{group_id}"


def now_ms() -> int:
    return int(time.time() * 1000)


class GroupStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # reads

    def get(self, app_id: int, group_id: str) -> Group | None:
        row = self.db.query_one(
            "SELECT * FROM groups WHERE app_id = ? AND group_id = ?",
            (app_id, group_id),
        )
        return row_to_group(row) if row else None

    def member(self, app_id: int, group_id: str, member_id: str) -> Member | None:
        row = self.db.query_one(
            "SELECT * FROM group_members"
            " WHERE app_id = ? AND group_id = ? AND member_id = ?",
            (app_id, group_id, member_id),
        )
        return row_to_member(row) if row else None

    def members(self, app_id: int, group_id: str) -> list[Member]:
        rows = self.db.query_all(
            "SELECT * FROM group_members WHERE app_id = ? AND group_id = ?"
            " AND left_group = 0 ORDER BY joined_at, member_id",
            (app_id, group_id),
        )
        return [row_to_member(row) for row in rows]

    def member_ids(self, app_id: int, group_id: str) -> list[str]:
        rows = self.db.query_all(
            "SELECT member_id FROM group_members WHERE app_id = ? AND group_id = ?"
            " AND left_group = 0",
            (app_id, group_id),
        )
        return [row[0] for row in rows]

    def recipients(self, app_id: int, group_id: str, sequence: int) -> list[str]:
        """Current members who were in the group when ``sequence`` was sent."""
        rows = self.db.query_all(
            "SELECT member_id FROM group_members WHERE app_id = ? AND group_id = ?"
            " AND left_group = 0 AND join_sequence < ?",
            (app_id, group_id, sequence),
        )
        return [row[0] for row in rows]

    def senders(
        self, app_id: int, group_id: str, sequences: list[int]
    ) -> dict[int, str]:
        """The sender of each of these messages of the group, by sequence."""
        if not sequences:
            return {}
        marks = ", ".join("?" * len(sequences))
        rows = self.db.query_all(
            "SELECT sequence, from_id FROM messages WHERE app_id = ?"
            f" AND conversation_id = ? AND sequence IN ({marks})",
            (app_id, group_conversation_id(group_id), *sequences),
        )
        return {row[0]: row[1] for row in rows}

    def member_count(self, app_id: int, group_id: str) -> int:
        row = self.db.query_one(
            "SELECT count(*) FROM group_members WHERE app_id = ? AND group_id = ?"
            " AND left_group = 0",
            (app_id, group_id),
        )
        return int(row[0]) if row else 0

    def members_changed(
        self, app_id: int, group_id: str, after: int, limit: int
    ) -> list[Member]:
        rows = self.db.query_all(
            "SELECT * FROM group_members WHERE app_id = ? AND group_id = ?"
            " AND member_sequence > ? ORDER BY member_sequence LIMIT ?",
            (app_id, group_id, after, limit),
        )
        return [row_to_member(row) for row in rows]

    def joined(
        self, app_id: int, user_id: str, after: str, limit: int
    ) -> list[tuple[Group, Member]]:
        """Groups a user is in (not dismissed), by group id after ``after``."""
        rows = self.db.query_all(
            "SELECT g.*, m.role, m.alias, m.mute_until, m.joined_at,"
            " m.join_sequence, m.left_group, m.leave_sequence, m.member_id,"
            " m.sequence AS m_sequence, m.member_sequence, m.updated_at AS m_updated"
            " FROM group_members m JOIN groups g"
            " ON g.app_id = m.app_id AND g.group_id = m.group_id"
            " WHERE m.app_id = ? AND m.member_id = ? AND m.left_group = 0"
            " AND g.dismissed = 0 AND m.group_id > ? ORDER BY m.group_id LIMIT ?",
            (app_id, user_id, after, limit),
        )
        return [(row_to_group(row), _joined_member(row)) for row in rows]

    def changed_for(
        self, app_id: int, user_id: str, after: int, limit: int
    ) -> list[tuple[Group, Member]]:
        """The user's membership rows changed after ``after``, with their group."""
        rows = self.db.query_all(
            "SELECT g.*, m.role, m.alias, m.mute_until, m.joined_at,"
            " m.join_sequence, m.left_group, m.leave_sequence, m.member_id,"
            " m.sequence AS m_sequence, m.member_sequence, m.updated_at AS m_updated"
            " FROM group_members m JOIN groups g"
            " ON g.app_id = m.app_id AND g.group_id = m.group_id"
            " WHERE m.app_id = ? AND m.member_id = ? AND m.sequence > ?"
            " ORDER BY m.sequence LIMIT ?",
            (app_id, user_id, after, limit),
        )
        return [(row_to_group(row), _joined_member(row)) for row in rows]

    def counter(self, app_id: int, name: str) -> int:
        row = self.db.query_one(
            "SELECT value FROM counters WHERE app_id = ? AND name = ?", (app_id, name)
        )
        return int(row[0]) if row else 0

    def request(self, app_id: int, request_id: int) -> JoinRequest | None:
        row = self.db.query_one(
            "SELECT * FROM group_join_requests WHERE app_id = ? AND request_id = ?",
            (app_id, request_id),
        )
        return row_to_request(row) if row else None

    def requests(self, app_id: int, group_id: str, status: str | None) -> list[Any]:
        sql = "SELECT * FROM group_join_requests WHERE app_id = ? AND group_id = ?"
        params: list[Any] = [app_id, group_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = self.db.query_all(sql + " ORDER BY request_id", params)
        return [row_to_request(row) for row in rows]

    def read_states(self, app_id: int, group_id: str) -> list[sqlite3.Row]:
        """Current members with when they joined and how far they have read."""
        return self.db.query_all(
            "SELECT m.member_id, m.join_sequence, coalesce(c.read_sequence, 0)"
            " AS read_sequence FROM group_members m LEFT JOIN conversations c"
            " ON c.app_id = m.app_id AND c.owner_id = m.member_id"
            " AND c.conversation_id = ?"
            " WHERE m.app_id = ? AND m.group_id = ? AND m.left_group = 0",
            (group_conversation_id(group_id), app_id, group_id),
        )

    # writes (each runs in the writer thread, inside one savepoint)

    async def create(
        self, group: Group, members: list[tuple[str, str]], limit: int
    ) -> Group:
        result: Group = await self.db.write(_create, group, members, limit)
        return result

    async def add_members(
        self, app_id: int, group_id: str, member_ids: list[str], limit: int
    ) -> list[str]:
        added: list[str] = await self.db.write(
            _add_members, app_id, group_id, member_ids, limit
        )
        return added

    async def remove_member(self, app_id: int, group_id: str, member_id: str) -> None:
        await self.db.write(_remove_member, app_id, group_id, member_id)

    async def update_member(
        self, app_id: int, group_id: str, member_id: str, changes: dict[str, Any]
    ) -> Member:
        member: Member = await self.db.write(
            _update_member, app_id, group_id, member_id, changes
        )
        return member

    async def update(
        self, app_id: int, group_id: str, changes: dict[str, Any]
    ) -> Group:
        group: Group = await self.db.write(_update_group, app_id, group_id, changes)
        return group

    async def transfer(self, app_id: int, group_id: str, new_owner: str) -> Group:
        group: Group = await self.db.write(_transfer, app_id, group_id, new_owner)
        return group

    async def create_request(
        self, app_id: int, group_id: str, user_id: str, wording: str
    ) -> JoinRequest:
        request: JoinRequest = await self.db.write(
            _create_request, app_id, group_id, user_id, wording
        )
        return request

    async def handle_request(
        self, app_id: int, request_id: int, approve: bool, by: str, limit: int
    ) -> JoinRequest:
        request: JoinRequest = await self.db.write(
            _handle_request, app_id, request_id, approve, by, limit
        )
        return request

    async def mark_read(
        self, app_id: int, owner_id: str, group_id: str, sequence: int
    ) -> int:
        read: int = await self.db.write(
            _mark_read, app_id, owner_id, group_id, sequence
        )
        return read

    async def import_groups(
        self, app_id: int, rows: list[tuple[int, Group]]
    ) -> list[dict[str, Any]]:
        rejected: list[dict[str, Any]] = await self.db.write(
            _import_groups, app_id, rows
        )
        return rejected

    async def import_members(
        self, app_id: int, rows: list[tuple[int, dict[str, Any]]], limit: int
    ) -> list[dict[str, Any]]:
        rejected: list[dict[str, Any]] = await self.db.write(
            _import_members, app_id, rows, limit
        )
        return rejected


def _joined_member(row: sqlite3.Row) -> Member:
    return Member(
        app_id=row["app_id"],
        group_id=row["group_id"],
        member_id=row["member_id"],
        role=row["role"],
        alias=row["alias"],
        mute_until=row["mute_until"],
        joined_at=row["joined_at"],
        join_sequence=row["join_sequence"],
        left=bool(row["left_group"]),
        leave_sequence=row["leave_sequence"],
        sequence=row["m_sequence"],
        member_sequence=row["member_sequence"],
        updated_at=row["m_updated"],
    )


# writer operations


def _group(conn: sqlite3.Connection, app_id: int, group_id: str) -> Group:
    row = conn.execute(
        "SELECT * FROM groups WHERE app_id = ? AND group_id = ?", (app_id, group_id)
    ).fetchone()
    if row is None:
        raise ProtocolError(ErrorCode.GROUP_NOT_FOUND, f"no group {group_id!r}")
    return row_to_group(row)


def _member(
    conn: sqlite3.Connection, app_id: int, group_id: str, member_id: str
) -> Member | None:
    row = conn.execute(
        "SELECT * FROM group_members WHERE app_id = ? AND group_id = ?"
        " AND member_id = ?",
        (app_id, group_id, member_id),
    ).fetchone()
    return row_to_member(row) if row else None


def _last_sequence(conn: sqlite3.Connection, app_id: int, group_id: str) -> int:
    row = conn.execute(
        "SELECT last_sequence FROM conversation_sequences"
        " WHERE app_id = ? AND conversation_id = ?",
        (app_id, group_conversation_id(group_id)),
    ).fetchone()
    return int(row[0]) if row else 0


def _active_count(conn: sqlite3.Connection, app_id: int, group_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM group_members WHERE app_id = ? AND group_id = ?"
        " AND left_group = 0",
        (app_id, group_id),
    ).fetchone()
    return int(row[0])


def _not_member(member_id: str) -> ProtocolError:
    return ProtocolError(ErrorCode.GROUP_NOT_MEMBER, f"{member_id!r} is not a member")


def _capacity(group: Group, limit: int) -> int:
    return min(group.max_members, limit) if group.max_members else limit


def _stamp(conn: sqlite3.Connection, app_id: int, group_id: str, member_id: str):
    # Every member change is visible to both kinds of sync.
    conn.execute(
        "UPDATE group_members SET sequence = ?, member_sequence = ?, updated_at = ?"
        " WHERE app_id = ? AND group_id = ? AND member_id = ?",
        (
            next_value(conn, app_id, user_counter(member_id)),
            next_value(conn, app_id, member_counter(group_id)),
            now_ms(),
            app_id,
            group_id,
            member_id,
        ),
    )


def _stamp_all(conn: sqlite3.Connection, app_id: int, group_id: str) -> None:
    # A change of the group shows in each current member's "groups" kind.
    members = conn.execute(
        "SELECT member_id FROM group_members WHERE app_id = ? AND group_id = ?"
        " AND left_group = 0",
        (app_id, group_id),
    ).fetchall()
    for (member_id,) in members:
        conn.execute(
            "UPDATE group_members SET sequence = ?"
            " WHERE app_id = ? AND group_id = ? AND member_id = ?",
            (
                next_value(conn, app_id, user_counter(member_id)),
                app_id,
                group_id,
                member_id,
            ),
        )


def _join(
    conn: sqlite3.Connection,
    app_id: int,
    group_id: str,
    member_id: str,
    role: str = MEMBER,
    alias: str = "",
    joined_at: int | None = None,
) -> None:
    existing = _member(conn, app_id, group_id, member_id)
    if existing is not None and existing.active:
        raise ProtocolError(
            ErrorCode.GROUP_ALREADY_MEMBER, f"{member_id!r} is already a member"
        )
    last = _last_sequence(conn, app_id, group_id)
    now = now_ms()
    conn.execute(
        "INSERT INTO group_members (app_id, group_id, member_id, role, alias,"
        " mute_until, joined_at, join_sequence, left_group, leave_sequence,"
        " updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 0, 0, ?)"
        " ON CONFLICT DO UPDATE SET role = excluded.role, alias = excluded.alias,"
        " mute_until = 0, joined_at = excluded.joined_at,"
        " join_sequence = excluded.join_sequence, left_group = 0,"
        " leave_sequence = 0, updated_at = excluded.updated_at",
        (app_id, group_id, member_id, role, alias, joined_at or now, last, now),
    )
    _stamp(conn, app_id, group_id, member_id)

    # The member's conversation starts at the group's current last sequence.
    conn.execute(
        "INSERT INTO conversations (app_id, owner_id, conversation_id,"
        " conversation_type, peer_id, read_sequence, start_sequence, sequence,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET deleted = 0,"
        " read_sequence = excluded.read_sequence,"
        " start_sequence = excluded.start_sequence,"
        " sequence = excluded.sequence, updated_at = excluded.updated_at",
        (
            app_id,
            member_id,
            group_conversation_id(group_id),
            int(ConversationType.GROUP),
            group_id,
            last,
            last,
            next_value(conn, app_id, conversation_counter(member_id)),
            now,
        ),
    )


def _create(
    conn: sqlite3.Connection, group: Group, members: list[tuple[str, str]], limit: int
) -> Group:
    exists = conn.execute(
        "SELECT 1 FROM groups WHERE app_id = ? AND group_id = ?",
        (group.app_id, group.group_id),
    ).fetchone()
    if exists:
        raise ProtocolError(ErrorCode.GROUP_EXISTS, f"group {group.group_id!r} exists")
    if len(members) > _capacity(group, limit):
        raise ProtocolError(
            ErrorCode.GROUP_FULL, f"a group holds at most {_capacity(group, limit)}"
        )
    _insert_group(conn, group)
    for member_id, role in members:
        _join(conn, group.app_id, group.group_id, member_id, role)
    return _group(conn, group.app_id, group.group_id)


def _insert_group(conn: sqlite3.Connection, group: Group) -> None:
    now = now_ms()
    conn.execute(
        "INSERT INTO groups (app_id, group_id, owner_id, group_type, join_mode,"
        " name, avatar, notice, introduction, extra, mute_all, max_members,"
        " sequence, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        (
            group.app_id,
            group.group_id,
            group.owner_id,
            group.group_type,
            group.join_mode,
            group.name,
            group.avatar,
            group.notice,
            group.introduction,
            json.dumps(group.extra, ensure_ascii=False),
            int(group.mute_all),
            group.max_members,
            group.created_at or now,
            now,
        ),
    )


def _add_members(
    conn: sqlite3.Connection,
    app_id: int,
    group_id: str,
    member_ids: list[str],
    limit: int,
) -> list[str]:
    group = _group(conn, app_id, group_id)
    new = []
    for member_id in dict.fromkeys(member_ids):
        member = _member(conn, app_id, group_id, member_id)
        if member is None or member.left:
            new.append(member_id)
    capacity = _capacity(group, limit)
    if _active_count(conn, app_id, group_id) + len(new) > capacity:
        raise ProtocolError(ErrorCode.GROUP_FULL, f"a group holds at most {capacity}")
    for member_id in new:
        _join(conn, app_id, group_id, member_id)
    return new


def _remove_member(
    conn: sqlite3.Connection, app_id: int, group_id: str, member_id: str
) -> None:
    member = _member(conn, app_id, group_id, member_id)
    if member is None or member.left:
        raise _not_member(member_id)
    conn.execute(
        "UPDATE group_members SET left_group = 1, leave_sequence = ?"
        " WHERE app_id = ? AND group_id = ? AND member_id = ?",
        (_last_sequence(conn, app_id, group_id), app_id, group_id, member_id),
    )
    _stamp(conn, app_id, group_id, member_id)


def _update_member(
    conn: sqlite3.Connection,
    app_id: int,
    group_id: str,
    member_id: str,
    changes: dict[str, Any],
) -> Member:
    member = _member(conn, app_id, group_id, member_id)
    if member is None or member.left:
        raise _not_member(member_id)
    columns = {k: v for k, v in changes.items() if k in ("role", "alias", "mute_until")}
    if columns:
        assignments = ", ".join(f"{column} = ?" for column in columns)
        conn.execute(
            f"UPDATE group_members SET {assignments}"
            " WHERE app_id = ? AND group_id = ? AND member_id = ?",
            (*columns.values(), app_id, group_id, member_id),
        )
        _stamp(conn, app_id, group_id, member_id)
    updated = _member(conn, app_id, group_id, member_id)
    assert updated is not None
    return updated


def _update_group(
    conn: sqlite3.Connection, app_id: int, group_id: str, changes: dict[str, Any]
) -> Group:
    _group(conn, app_id, group_id)
    columns = dict(changes)
    if "extra" in columns:
        columns["extra"] = json.dumps(columns["extra"], ensure_ascii=False)
    for flag in ("mute_all", "dismissed"):
        if flag in columns:
            columns[flag] = int(columns[flag])
    if columns:
        assignments = ", ".join(f"{column} = ?" for column in columns)
        conn.execute(
            f"UPDATE groups SET {assignments}, sequence = sequence + 1,"
            " updated_at = ? WHERE app_id = ? AND group_id = ?",
            (*columns.values(), now_ms(), app_id, group_id),
        )
        _stamp_all(conn, app_id, group_id)
    return _group(conn, app_id, group_id)


def _transfer(
    conn: sqlite3.Connection, app_id: int, group_id: str, new_owner: str
) -> Group:
    group = _group(conn, app_id, group_id)
    member = _member(conn, app_id, group_id, new_owner)
    if member is None or member.left:
        raise _not_member(new_owner)
    _update_member(conn, app_id, group_id, group.owner_id, {"role": MEMBER})
    _update_member(conn, app_id, group_id, new_owner, {"role": OWNER, "mute_until": 0})
    return _update_group(conn, app_id, group_id, {"owner_id": new_owner})


def _create_request(
    conn: sqlite3.Connection, app_id: int, group_id: str, user_id: str, wording: str
) -> JoinRequest:
    # One pending request per user and group: asking again updates the wording.
    now = now_ms()
    row = conn.execute(
        "SELECT request_id FROM group_join_requests WHERE app_id = ?"
        " AND group_id = ? AND user_id = ? AND status = 'pending'",
        (app_id, group_id, user_id),
    ).fetchone()
    if row is not None:
        conn.execute(
            "UPDATE group_join_requests SET wording = ?, updated_at = ?"
            " WHERE request_id = ?",
            (wording, now, row[0]),
        )
        request_id = row[0]
    else:
        request_id = conn.execute(
            "INSERT INTO group_join_requests (app_id, group_id, user_id, wording,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (app_id, group_id, user_id, wording, now, now),
        ).lastrowid
    return _request(conn, app_id, int(request_id))


def _request(conn: sqlite3.Connection, app_id: int, request_id: int) -> JoinRequest:
    row = conn.execute(
        "SELECT * FROM group_join_requests WHERE app_id = ? AND request_id = ?",
        (app_id, request_id),
    ).fetchone()
    if row is None:
        raise ProtocolError(
            ErrorCode.GROUP_JOIN_REQUEST_NOT_FOUND, f"no join request {request_id}"
        )
    return row_to_request(row)


def _handle_request(
    conn: sqlite3.Connection,
    app_id: int,
    request_id: int,
    approve: bool,
    by: str,
    limit: int,
) -> JoinRequest:
    request = _request(conn, app_id, request_id)
    if request.status != "pending":
        raise ProtocolError(
            ErrorCode.GROUP_JOIN_REQUEST_HANDLED, f"request already {request.status}"
        )
    if approve:
        member = _member(conn, app_id, request.group_id, request.user_id)
        if member is None or member.left:
            _add_members(conn, app_id, request.group_id, [request.user_id], limit)
    conn.execute(
        "UPDATE group_join_requests SET status = ?, handled_by = ?, updated_at = ?"
        " WHERE request_id = ?",
        ("approved" if approve else "rejected", by, now_ms(), request_id),
    )
    return _request(conn, app_id, request_id)


def _mark_read(
    conn: sqlite3.Connection, app_id: int, owner_id: str, group_id: str, sequence: int
) -> int:
    conversation_id = group_conversation_id(group_id)
    row = conn.execute(
        "SELECT read_sequence FROM conversations"
        " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?",
        (app_id, owner_id, conversation_id),
    ).fetchone()
    if row is None:
        raise ProtocolError(ErrorCode.GROUP_NOT_MEMBER, "not a member of this group")
    if sequence <= row[0]:
        return int(row[0])
    conn.execute(
        "UPDATE conversations SET read_sequence = ?, sequence = ?, updated_at = ?"
        " WHERE app_id = ? AND owner_id = ? AND conversation_id = ?",
        (
            sequence,
            next_value(conn, app_id, conversation_counter(owner_id)),
            now_ms(),
            app_id,
            owner_id,
            conversation_id,
        ),
    )
    return sequence


def _import_groups(
    conn: sqlite3.Connection, app_id: int, rows: list[tuple[int, Group]]
) -> list[dict[str, Any]]:
    rejected = []
    for index, group in rows:
        try:
            conn.execute("SAVEPOINT row")
            exists = conn.execute(
                "SELECT 1 FROM groups WHERE app_id = ? AND group_id = ?",
                (app_id, group.group_id),
            ).fetchone()
            if exists:
                raise ProtocolError(
                    ErrorCode.GROUP_EXISTS, f"group {group.group_id!r} exists"
                )
            _insert_group(conn, group)
            _join(conn, app_id, group.group_id, group.owner_id, OWNER)
            conn.execute("RELEASE row")
        except ProtocolError as exc:
            conn.execute("ROLLBACK TO row")
            conn.execute("RELEASE row")
            rejected.append({"index": index, "code": exc.code, "msg": exc.msg})
    return rejected


def _import_members(
    conn: sqlite3.Connection,
    app_id: int,
    rows: list[tuple[int, dict[str, Any]]],
    limit: int,
) -> list[dict[str, Any]]:
    rejected = []
    for index, row in rows:
        try:
            conn.execute("SAVEPOINT row")
            group = _group(conn, app_id, row["group_id"])
            if group.dismissed:
                raise ProtocolError(ErrorCode.GROUP_DISMISSED, "group is dismissed")
            capacity = _capacity(group, limit)
            if _active_count(conn, app_id, group.group_id) >= capacity:
                raise ProtocolError(
                    ErrorCode.GROUP_FULL, f"a group holds at most {capacity}"
                )
            _join(
                conn,
                app_id,
                group.group_id,
                row["member_id"],
                row["role"],
                row["alias"],
                row.get("joined_at"),
            )
            conn.execute("RELEASE row")
        except ProtocolError as exc:
            conn.execute("ROLLBACK TO row")
            conn.execute("RELEASE row")
            rejected.append({"index": index, "code": exc.code, "msg": exc.msg})
    return rejected
