"""Groups, members and join requests: the repository (reads and writes).

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

import sqlite3
from typing import Any

from ..models import group_conversation_id
from . import group_ops as ops
from .database import Database
from .group_records import (
    APPROVAL,
    FREE,
    MANAGER,
    MEMBER,
    OWNER,
    PRIVATE,
    PUBLIC,
    ROLES,
    Group,
    JoinRequest,
    Member,
    joined_member,
    member_counter,
    now_ms,
    row_to_group,
    row_to_member,
    row_to_request,
    user_counter,
)

__all__ = [
    "APPROVAL",
    "FREE",
    "MANAGER",
    "MEMBER",
    "OWNER",
    "PRIVATE",
    "PUBLIC",
    "ROLES",
    "Group",
    "GroupStore",
    "JoinRequest",
    "Member",
    "member_counter",
    "now_ms",
    "user_counter",
]


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
        return [(row_to_group(row), joined_member(row)) for row in rows]

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
        return [(row_to_group(row), joined_member(row)) for row in rows]

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
        result: Group = await self.db.write(ops.create_group, group, members, limit)
        return result

    async def add_members(
        self, app_id: int, group_id: str, member_ids: list[str], limit: int
    ) -> list[str]:
        added: list[str] = await self.db.write(
            ops.add_members, app_id, group_id, member_ids, limit
        )
        return added

    async def remove_member(self, app_id: int, group_id: str, member_id: str) -> None:
        await self.db.write(ops.remove_member, app_id, group_id, member_id)

    async def update_member(
        self, app_id: int, group_id: str, member_id: str, changes: dict[str, Any]
    ) -> Member:
        member: Member = await self.db.write(
            ops.update_member, app_id, group_id, member_id, changes
        )
        return member

    async def update(
        self, app_id: int, group_id: str, changes: dict[str, Any]
    ) -> Group:
        group: Group = await self.db.write(ops.update_group, app_id, group_id, changes)
        return group

    async def transfer(self, app_id: int, group_id: str, new_owner: str) -> Group:
        group: Group = await self.db.write(ops.transfer, app_id, group_id, new_owner)
        return group

    async def create_request(
        self, app_id: int, group_id: str, user_id: str, wording: str
    ) -> JoinRequest:
        request: JoinRequest = await self.db.write(
            ops.create_request, app_id, group_id, user_id, wording
        )
        return request

    async def handle_request(
        self, app_id: int, request_id: int, approve: bool, by: str, limit: int
    ) -> JoinRequest:
        request: JoinRequest = await self.db.write(
            ops.handle_request, app_id, request_id, approve, by, limit
        )
        return request

    async def mark_read(
        self, app_id: int, owner_id: str, group_id: str, sequence: int
    ) -> int:
        read: int = await self.db.write(
            ops.mark_read, app_id, owner_id, group_id, sequence
        )
        return read

    async def import_groups(
        self, app_id: int, rows: list[tuple[int, Group]]
    ) -> list[dict[str, Any]]:
        rejected: list[dict[str, Any]] = await self.db.write(
            ops.import_groups, app_id, rows
        )
        return rejected

    async def import_members(
        self, app_id: int, rows: list[tuple[int, dict[str, Any]]], limit: int
    ) -> list[dict[str, Any]]:
        rejected: list[dict[str, Any]] = await self.db.write(
            ops.import_members, app_id, rows, limit
        )
        return rejected
