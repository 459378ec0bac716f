"""Writer operations of the groups component.

Each runs in the writer thread inside its own savepoint (``Database.write``);
a :class:`ProtocolError` raised here rolls back that operation only.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from lim_protocol.commands import ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import group_conversation_id
from .appends import conversation_counter
from .counters import next_value
from .group_records import (
    MEMBER,
    OWNER,
    Group,
    JoinRequest,
    Member,
    member_counter,
    now_ms,
    row_to_group,
    row_to_member,
    row_to_request,
    user_counter,
)


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


def create_group(
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


def add_members(
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


def remove_member(
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


def update_member(
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


def update_group(
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


def transfer(
    conn: sqlite3.Connection, app_id: int, group_id: str, new_owner: str
) -> Group:
    group = _group(conn, app_id, group_id)
    member = _member(conn, app_id, group_id, new_owner)
    if member is None or member.left:
        raise _not_member(new_owner)
    update_member(conn, app_id, group_id, group.owner_id, {"role": MEMBER})
    update_member(conn, app_id, group_id, new_owner, {"role": OWNER, "mute_until": 0})
    return update_group(conn, app_id, group_id, {"owner_id": new_owner})


def create_request(
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


def handle_request(
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
            add_members(conn, app_id, request.group_id, [request.user_id], limit)
    conn.execute(
        "UPDATE group_join_requests SET status = ?, handled_by = ?, updated_at = ?"
        " WHERE request_id = ?",
        ("approved" if approve else "rejected", by, now_ms(), request_id),
    )
    return _request(conn, app_id, request_id)


def mark_read(
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


def import_groups(
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


def import_members(
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
