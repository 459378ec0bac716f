"""Relation writes, each one atomic operation run by the writer thread.

Every function here runs inside one writer savepoint and checks its
preconditions there, against the state it is about to change: a refusal
raises :class:`ProtocolError` before anything is written, so a refused
operation leaves nothing behind. Each returns the changed rows in their
wire form for the service to answer and push.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import p2p_conversation_id
from .counters import next_value
from .relations import (
    APPROVED,
    DELETED,
    NORMAL,
    PENDING,
    REJECTED,
    FriendFields,
    friend_counter,
    friendship_wire,
    group_counter,
    group_wire,
    now_ms,
    request_counter,
)

# friendship writes


def _get(conn: sqlite3.Connection, app_id: int, owner: str, friend: str) -> Any:
    return conn.execute(
        "SELECT * FROM friendships WHERE app_id = ? AND owner_id = ? AND friend_id = ?",
        (app_id, owner, friend),
    ).fetchone()


def _put(
    conn: sqlite3.Connection,
    app_id: int,
    owner: str,
    friend: str,
    *,
    status: int | None = None,
    black: bool | None = None,
    fields: FriendFields | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """Insert or change one row, stamp it with the owner's next sequence."""
    now = now or now_ms()
    fields = fields or FriendFields()
    sequence = next_value(conn, app_id, friend_counter(owner))
    old = _get(conn, app_id, owner, friend)
    if old is None:
        extra = json.dumps(fields.extra or {}, ensure_ascii=False)
        conn.execute(
            "INSERT INTO friendships (app_id, owner_id, friend_id, remark,"
            " add_source, extra, status, black, created_at, updated_at, sequence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                app_id,
                owner,
                friend,
                fields.remark or "",
                fields.add_source or "",
                extra,
                status or NORMAL,
                int(bool(black)),
                now,
                now,
                sequence,
            ),
        )
    else:
        revived = status == NORMAL and old["status"] != NORMAL
        conn.execute(
            "UPDATE friendships SET remark = ?, add_source = ?, extra = ?,"
            " status = ?, black = ?, created_at = ?, updated_at = ?, sequence = ?"
            " WHERE app_id = ? AND owner_id = ? AND friend_id = ?",
            (
                old["remark"] if fields.remark is None else fields.remark,
                old["add_source"] if fields.add_source is None else fields.add_source,
                old["extra"]
                if fields.extra is None
                else json.dumps(fields.extra, ensure_ascii=False),
                old["status"] if status is None else status,
                old["black"] if black is None else int(black),
                now if revived else old["created_at"],
                now,
                sequence,
                app_id,
                owner,
                friend,
            ),
        )
    return friendship_wire(_get(conn, app_id, owner, friend))


def _mark(conn: sqlite3.Connection, app_id: int, a: str, b: str) -> None:
    """Restart the stranger count of a pair whose friendship just changed."""
    conversation_id = p2p_conversation_id(a, b)
    conn.execute(
        "INSERT INTO stranger_marks (app_id, conversation_id, since_sequence)"
        " SELECT ?, ?, coalesce((SELECT last_sequence FROM conversation_sequences"
        " WHERE app_id = ? AND conversation_id = ?), 0)"
        " ON CONFLICT DO UPDATE SET since_sequence = excluded.since_sequence",
        (app_id, conversation_id, app_id, conversation_id),
    )


def _is_friend(conn: sqlite3.Connection, app_id: int, owner: str, friend: str) -> bool:
    row = _get(conn, app_id, owner, friend)
    return row is not None and row["status"] == NORMAL


def add_direct(
    conn: sqlite3.Connection,
    app_id: int,
    owner: str,
    friend: str,
    fields: FriendFields,
    one_way: bool,
) -> dict[str, Any]:
    """Make ``friend`` a friend of ``owner``, and the reverse unless one-way.

    Pending requests between the two are approved on the way, since what
    they asked for has happened.
    """
    if _is_friend(conn, app_id, owner, friend):
        raise ProtocolError(ErrorCode.FRIEND_EXISTS, f"{friend!r} is already a friend")
    now = now_ms()
    rows = [_put(conn, app_id, owner, friend, status=NORMAL, fields=fields, now=now)]
    if not one_way and not _is_friend(conn, app_id, friend, owner):
        back = FriendFields(remark="", add_source=fields.add_source, extra={})
        rows.append(
            _put(conn, app_id, friend, owner, status=NORMAL, fields=back, now=now)
        )
    _mark(conn, app_id, owner, friend)
    requests = _settle_pending(conn, app_id, owner, friend, now)
    return {"friendships": rows, "requests": requests}


def _settle_pending(
    conn: sqlite3.Connection, app_id: int, a: str, b: str, now: int
) -> list[sqlite3.Row]:
    rows = conn.execute(
        "SELECT request_id FROM friend_requests WHERE app_id = ? AND status = 0"
        " AND ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?))",
        (app_id, a, b, b, a),
    ).fetchall()
    return [_set_request(conn, app_id, row[0], APPROVED, now) for row in rows]


def update(
    conn: sqlite3.Connection,
    app_id: int,
    owner: str,
    friend: str,
    fields: FriendFields,
) -> dict[str, Any]:
    if not _is_friend(conn, app_id, owner, friend):
        raise ProtocolError(ErrorCode.FRIEND_NOT_FOUND, f"{friend!r} is not a friend")
    return _put(conn, app_id, owner, friend, fields=fields)


def delete(
    conn: sqlite3.Connection, app_id: int, owner: str, friend: str
) -> dict[str, Any]:
    if not _is_friend(conn, app_id, owner, friend):
        raise ProtocolError(ErrorCode.FRIEND_NOT_FOUND, f"{friend!r} is not a friend")
    return _remove(conn, app_id, owner, [friend])


def delete_all(conn: sqlite3.Connection, app_id: int, owner: str) -> dict[str, Any]:
    friends = [
        row[0]
        for row in conn.execute(
            "SELECT friend_id FROM friendships WHERE app_id = ? AND owner_id = ?"
            " AND status = 1 ORDER BY friend_id",
            (app_id, owner),
        )
    ]
    return _remove(conn, app_id, owner, friends)


def _remove(
    conn: sqlite3.Connection, app_id: int, owner: str, friends: list[str]
) -> dict[str, Any]:
    now = now_ms()
    rows = [
        _put(conn, app_id, owner, friend, status=DELETED, now=now) for friend in friends
    ]
    for friend in friends:
        _mark(conn, app_id, owner, friend)

    # A deleted friend leaves every friend group of the owner.
    names: set[str] = set()
    for friend in friends:
        for (name,) in conn.execute(
            "DELETE FROM friend_group_members WHERE app_id = ? AND owner_id = ?"
            " AND friend_id = ? RETURNING name",
            (app_id, owner, friend),
        ).fetchall():
            names.add(name)
    groups = [_touch_group(conn, app_id, owner, name, now) for name in sorted(names)]
    return {"friendships": rows, "groups": groups}


def set_black(
    conn: sqlite3.Connection, app_id: int, owner: str, target: str, black: bool
) -> dict[str, Any]:
    row = _get(conn, app_id, owner, target)
    current = bool(row and row["black"])
    if black and current:
        raise ProtocolError(
            ErrorCode.BLACKLIST_EXISTS, f"{target!r} is already blocked"
        )
    if not black and not current:
        raise ProtocolError(ErrorCode.BLACKLIST_NOT_FOUND, f"{target!r} is not blocked")
    status = None if row is not None else DELETED
    return _put(conn, app_id, owner, target, status=status, black=black)


def import_rows(
    conn: sqlite3.Connection, app_id: int, rows: list[dict[str, Any]]
) -> int:
    """Create or restore many friendship rows; sequences in row order."""
    now = now_ms()
    per_owner: dict[str, int] = {}
    for row in rows:
        per_owner[row["fromId"]] = per_owner.get(row["fromId"], 0) + 1
    next_sequence = {
        owner: next_value(conn, app_id, friend_counter(owner), count) - count + 1
        for owner, count in per_owner.items()
    }
    params = []
    for row in rows:
        owner = row["fromId"]
        sequence = next_sequence[owner]
        next_sequence[owner] = sequence + 1
        params.append(
            (
                app_id,
                owner,
                row["toId"],
                row.get("remark") or "",
                row.get("addSource") or "",
                json.dumps(row.get("extra") or {}, ensure_ascii=False),
                now,
                now,
                sequence,
            )
        )
    conn.executemany(
        "INSERT INTO friendships (app_id, owner_id, friend_id, remark, add_source,"
        " extra, status, black, created_at, updated_at, sequence)"
        " VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET remark = excluded.remark,"
        " add_source = excluded.add_source, extra = excluded.extra, status = 1,"
        " updated_at = excluded.updated_at, sequence = excluded.sequence",
        params,
    )
    return len(params)


# request writes


def _request_row(conn: sqlite3.Connection, app_id: int, request_id: int) -> Any:
    return conn.execute(
        "SELECT * FROM friend_requests WHERE app_id = ? AND request_id = ?",
        (app_id, request_id),
    ).fetchone()


def _set_request(
    conn: sqlite3.Connection, app_id: int, request_id: int, status: int, now: int
) -> sqlite3.Row:
    row = _request_row(conn, app_id, request_id)
    conn.execute(
        "UPDATE friend_requests SET status = ?, read = 1, updated_at = ?,"
        " from_sequence = ?, to_sequence = ? WHERE request_id = ?",
        (
            status,
            now,
            next_value(conn, app_id, request_counter(row["from_id"])),
            next_value(conn, app_id, request_counter(row["to_id"])),
            request_id,
        ),
    )
    return _request_row(conn, app_id, request_id)


def create_request(
    conn: sqlite3.Connection,
    app_id: int,
    from_id: str,
    to_id: str,
    wording: str,
    fields: FriendFields,
) -> sqlite3.Row:
    """Open a request, or refresh the pending one from the same sender."""
    if _is_friend(conn, app_id, from_id, to_id):
        raise ProtocolError(ErrorCode.FRIEND_EXISTS, f"{to_id!r} is already a friend")
    now = now_ms()
    from_sequence = next_value(conn, app_id, request_counter(from_id))
    to_sequence = next_value(conn, app_id, request_counter(to_id))
    extra = json.dumps(fields.extra or {}, ensure_ascii=False)
    pending = conn.execute(
        "SELECT request_id FROM friend_requests WHERE app_id = ? AND from_id = ?"
        " AND to_id = ? AND status = 0",
        (app_id, from_id, to_id),
    ).fetchone()
    if pending is not None:
        conn.execute(
            "UPDATE friend_requests SET wording = ?, add_source = ?, remark = ?,"
            " extra = ?, read = 0, updated_at = ?, from_sequence = ?,"
            " to_sequence = ? WHERE request_id = ?",
            (
                wording,
                fields.add_source or "",
                fields.remark or "",
                extra,
                now,
                from_sequence,
                to_sequence,
                pending[0],
            ),
        )
        request_id = pending[0]
    else:
        request_id = conn.execute(
            "INSERT INTO friend_requests (app_id, from_id, to_id, wording,"
            " add_source, remark, extra, created_at, updated_at, from_sequence,"
            " to_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING request_id",
            (
                app_id,
                from_id,
                to_id,
                wording,
                fields.add_source or "",
                fields.remark or "",
                extra,
                now,
                now,
                from_sequence,
                to_sequence,
            ),
        ).fetchone()[0]
    return _request_row(conn, app_id, request_id)


def _pending_for(
    conn: sqlite3.Connection, app_id: int, user_id: str, request_id: int
) -> sqlite3.Row:
    row = _request_row(conn, app_id, request_id)
    if row is None:
        raise ProtocolError(
            ErrorCode.FRIEND_REQUEST_NOT_FOUND, f"no friend request {request_id}"
        )
    if row["to_id"] != user_id:
        raise ProtocolError(
            ErrorCode.FRIEND_REQUEST_NOT_FOUND,
            f"friend request {request_id} is not addressed to you",
        )
    if row["status"] != PENDING:
        state = "approved" if row["status"] == APPROVED else "rejected"
        raise ProtocolError(
            ErrorCode.FRIEND_REQUEST_HANDLED,
            f"friend request {request_id} was already {state}",
        )
    return row


def approve(
    conn: sqlite3.Connection,
    app_id: int,
    user_id: str,
    request_id: int,
    fields: FriendFields,
) -> dict[str, Any]:
    """Approve a request addressed to ``user_id``: both rows become normal."""
    row = _pending_for(conn, app_id, user_id, request_id)
    now = now_ms()
    requester = FriendFields(
        remark=row["remark"],
        add_source=row["add_source"],
        extra=json.loads(row["extra"] or "{}"),
    )
    if fields.add_source is None:
        fields = FriendFields(fields.remark, row["add_source"], fields.extra)
    rows = [
        _put(conn, app_id, row["from_id"], user_id, status=NORMAL, fields=requester),
        _put(conn, app_id, user_id, row["from_id"], status=NORMAL, fields=fields),
    ]
    _mark(conn, app_id, row["from_id"], user_id)
    requests = _settle_pending(conn, app_id, row["from_id"], user_id, now)
    return {"friendships": rows, "requests": requests}


def reject(
    conn: sqlite3.Connection, app_id: int, user_id: str, request_id: int
) -> sqlite3.Row:
    _pending_for(conn, app_id, user_id, request_id)
    return _set_request(conn, app_id, request_id, REJECTED, now_ms())


def read_all(conn: sqlite3.Connection, app_id: int, user_id: str) -> list[sqlite3.Row]:
    """Mark every unread request addressed to ``user_id`` as read."""
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT request_id FROM friend_requests WHERE app_id = ? AND to_id = ?"
            " AND read = 0 ORDER BY request_id",
            (app_id, user_id),
        )
    ]
    rows = []
    for request_id in ids:
        conn.execute(
            "UPDATE friend_requests SET read = 1, to_sequence = ? WHERE request_id = ?",
            (next_value(conn, app_id, request_counter(user_id)), request_id),
        )
        rows.append(_request_row(conn, app_id, request_id))
    return rows


# friend group writes


def _group(conn: sqlite3.Connection, app_id: int, owner: str, name: str) -> Any:
    return conn.execute(
        "SELECT * FROM friend_groups WHERE app_id = ? AND owner_id = ? AND name = ?",
        (app_id, owner, name),
    ).fetchone()


def _touch_group(
    conn: sqlite3.Connection, app_id: int, owner: str, name: str, now: int
) -> dict[str, Any]:
    conn.execute(
        "UPDATE friend_groups SET updated_at = ?, sequence = ?"
        " WHERE app_id = ? AND owner_id = ? AND name = ?",
        (now, next_value(conn, app_id, group_counter(owner)), app_id, owner, name),
    )
    members = [
        row[0]
        for row in conn.execute(
            "SELECT friend_id FROM friend_group_members WHERE app_id = ?"
            " AND owner_id = ? AND name = ? ORDER BY friend_id",
            (app_id, owner, name),
        )
    ]
    return group_wire(_group(conn, app_id, owner, name), members)


def _live_group(conn: sqlite3.Connection, app_id: int, owner: str, name: str) -> Any:
    row = _group(conn, app_id, owner, name)
    if row is None or row["deleted"]:
        raise ProtocolError(
            ErrorCode.FRIEND_GROUP_NOT_FOUND, f"no friend group {name!r}"
        )
    return row


def _require_friends(
    conn: sqlite3.Connection, app_id: int, owner: str, friends: Iterable[str]
) -> None:
    for friend in friends:
        if not _is_friend(conn, app_id, owner, friend):
            raise ProtocolError(
                ErrorCode.FRIEND_NOT_FOUND, f"{friend!r} is not a friend"
            )


def create_group(
    conn: sqlite3.Connection,
    app_id: int,
    owner: str,
    name: str,
    members: list[str],
) -> dict[str, Any]:
    row = _group(conn, app_id, owner, name)
    if row is not None and not row["deleted"]:
        raise ProtocolError(ErrorCode.FRIEND_GROUP_EXISTS, f"{name!r} already exists")
    _require_friends(conn, app_id, owner, members)
    now = now_ms()
    conn.execute(
        "INSERT INTO friend_groups (app_id, owner_id, name, created_at, updated_at,"
        " sequence) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT DO UPDATE SET deleted = 0,"
        " created_at = excluded.created_at",
        (app_id, owner, name, now, now),
    )
    _add_members(conn, app_id, owner, name, members, now)
    return _touch_group(conn, app_id, owner, name, now)


def _add_members(
    conn: sqlite3.Connection,
    app_id: int,
    owner: str,
    name: str,
    members: list[str],
    now: int,
) -> None:
    conn.executemany(
        "INSERT INTO friend_group_members (app_id, owner_id, name, friend_id,"
        " added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(app_id, owner, name, member, now) for member in members],
    )


def delete_group(
    conn: sqlite3.Connection, app_id: int, owner: str, name: str
) -> dict[str, Any]:
    _live_group(conn, app_id, owner, name)
    conn.execute(
        "DELETE FROM friend_group_members WHERE app_id = ? AND owner_id = ?"
        " AND name = ?",
        (app_id, owner, name),
    )
    conn.execute(
        "UPDATE friend_groups SET deleted = 1 WHERE app_id = ? AND owner_id = ?"
        " AND name = ?",
        (app_id, owner, name),
    )
    return _touch_group(conn, app_id, owner, name, now_ms())


def add_group_members(
    conn: sqlite3.Connection, app_id: int, owner: str, name: str, members: list[str]
) -> dict[str, Any]:
    _live_group(conn, app_id, owner, name)
    _require_friends(conn, app_id, owner, members)
    now = now_ms()
    _add_members(conn, app_id, owner, name, members, now)
    return _touch_group(conn, app_id, owner, name, now)


def remove_group_members(
    conn: sqlite3.Connection, app_id: int, owner: str, name: str, members: list[str]
) -> dict[str, Any]:
    _live_group(conn, app_id, owner, name)
    for member in members:
        gone = conn.execute(
            "DELETE FROM friend_group_members WHERE app_id = ? AND owner_id = ?"
            " AND name = ? AND friend_id = ?",
            (app_id, owner, name, member),
        ).rowcount
        if not gone:
            raise ProtocolError(
                ErrorCode.FRIEND_NOT_FOUND, f"{member!r} is not in {name!r}"
            )
    return _touch_group(conn, app_id, owner, name, now_ms())
