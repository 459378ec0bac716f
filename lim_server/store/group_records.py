"""Records of the groups component: groups, members, join requests.

Two change sequences stamp every member row (see :mod:`.groups`): ``sequence``
from the member's own counter, ``member_sequence`` from the group's.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

OWNER = "owner"
MANAGER = "manager"
MEMBER = "member"
ROLES = (OWNER, MANAGER, MEMBER)

PRIVATE = "private"
PUBLIC = "public"
APPROVAL = "approval"
FREE = "free"


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


def row_to_member(
    row: sqlite3.Row, sequence: str = "sequence", updated_at: str = "updated_at"
) -> Member:
    """A member from its row; joins rename the two columns groups also have."""
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
        sequence=row[sequence],
        member_sequence=row["member_sequence"],
        updated_at=row[updated_at],
    )


def row_to_request(row: sqlite3.Row) -> JoinRequest:
    return JoinRequest(**{key: row[key] for key in row.keys()})


def user_counter(user_id: str) -> str:
    return f"groups:{user_id}"


def member_counter(group_id: str) -> str:
    return f"gmembers:{group_id}"


def now_ms() -> int:
    return int(time.time() * 1000)


def joined_member(row: sqlite3.Row) -> Member:
    """A member from a row joined with its group (``m_``-prefixed columns)."""
    return row_to_member(row, sequence="m_sequence", updated_at="m_updated")
