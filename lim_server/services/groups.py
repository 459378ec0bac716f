"""Groups: creation, members, roles, mutes, join requests, sync, notifications.

Who may do what (docs/operations.md, "Groups", is the reference):

- the owner can do everything in the group but leave it (transfer first);
- managers manage ordinary members (add, remove, mute, alias) and the
  group's info and mute, never the owner or other managers;
- members invite others only in private groups, and change their own alias;
- an app admin acting as themselves has the owner's power in every group
  (acting for a user with ``asUser``, they have that user's power).

Every refusal is a 40000-range :class:`ProtocolError` with a reason. Group
messages and read state live in :mod:`.group_messages`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import Field

from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import USER_ID_PATTERN, WireModel
from ..routing import LocalRouter
from ..store import Store
from ..store.groups import (
    APPROVAL,
    FREE,
    MANAGER,
    MEMBER,
    OWNER,
    PRIVATE,
    PUBLIC,
    Group,
    JoinRequest,
    Member,
    member_counter,
    now_ms,
    user_counter,
)
from .context import Caller
from .group_messages import GroupMessenger
from .messages import MessageService
from .sync import SyncService

log = logging.getLogger(__name__)

RANK = {OWNER: 3, MANAGER: 2, MEMBER: 1}


class GroupImportRow(WireModel):
    """One group of ``/v1/group/import``; the owner becomes its first member."""

    group_id: str
    name: str = Field(default="", max_length=256)
    owner_id: str
    type: str = PRIVATE
    join_mode: str = APPROVAL
    avatar: str = Field(default="", max_length=2048)
    notice: str = Field(default="", max_length=4096)
    introduction: str = Field(default="", max_length=4096)
    extra: dict[str, Any] = Field(default_factory=dict)
    mute_all: bool = False
    max_members: int = Field(default=0, ge=0)
    created_at: int | None = None


class MemberImportRow(WireModel):
    """One member of ``/v1/group/member/import``."""

    group_id: str
    member_id: str
    role: str = Field(default=MEMBER, pattern="^(owner|manager|member)$")
    alias: str = Field(default="", max_length=128)
    joined_at: int | None = None


def has_admin_power(caller: Caller) -> bool:
    """An app admin acting as themselves (not for a user with ``asUser``)."""
    return caller.is_admin and caller.actor_id in (None, caller.user_id)


def denied(reason: str) -> ProtocolError:
    return ProtocolError(ErrorCode.GROUP_PERMISSION_DENIED, reason)


def group_to_wire(group: Group, member_count: int | None = None) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "groupId": group.group_id,
        "ownerId": group.owner_id,
        "type": group.group_type,
        "joinMode": group.join_mode,
        "name": group.name,
        "avatar": group.avatar,
        "notice": group.notice,
        "introduction": group.introduction,
        "extra": group.extra,
        "muteAll": group.mute_all,
        "dismissed": group.dismissed,
        "maxMembers": group.max_members,
        "version": group.sequence,
        "createdAt": group.created_at,
        "updatedAt": group.updated_at,
    }
    if member_count is not None:
        wire["memberCount"] = member_count
    return wire


def member_to_wire(member: Member) -> dict[str, Any]:
    return {
        "groupId": member.group_id,
        "memberId": member.member_id,
        "role": member.role,
        "alias": member.alias,
        "muteUntil": member.mute_until,
        "joinedAt": member.joined_at,
        "joinSequence": member.join_sequence,
        "left": member.left,
        "leaveSequence": member.leave_sequence,
        "sequence": member.member_sequence,
    }


def request_to_wire(request: JoinRequest) -> dict[str, Any]:
    return {
        "requestId": request.request_id,
        "groupId": request.group_id,
        "userId": request.user_id,
        "wording": request.wording,
        "status": request.status,
        "handledBy": request.handled_by,
        "createdAt": request.created_at,
        "updatedAt": request.updated_at,
    }


class GroupService:
    def __init__(
        self,
        store: Store,
        router: LocalRouter,
        sync: SyncService,
        messages: MessageService,
    ) -> None:
        self.store = store
        self.router = router
        self.messenger = GroupMessenger(store, router, self, messages)
        sync.register("groups", self._pull_groups, self._groups_cursor)

        # Compose with any hook already there: groups only narrow group rows.
        previous = sync.visible_range

        def visible_range(caller: Caller, row: Any) -> tuple[int, int]:
            if previous is not None:
                start, end = previous(caller, row)
            else:
                start, end = int(row["start_sequence"]), int(row["last_sequence"])
            if row["conversation_type"] == 1:
                end = min(end, self._visible_end(caller, row))
            return start, end

        sync.visible_range = visible_range

    # messages, delegated to the messenger

    async def send_message(self, caller: Caller, packet: Any) -> Any:
        return await self.messenger.send(caller, packet)

    async def mark_read(self, caller: Caller, packet: Any) -> int:
        return await self.messenger.mark_read(caller, packet)

    def read_counts(self, caller: Caller, group_id: str, sequences: list[int]):
        return self.messenger.read_counts(caller, group_id, sequences)

    # what other services ask

    def member_ids(self, app_id: int, group_id: str) -> list[str]:
        """Current members of a group (empty for an unknown group)."""
        return self.store.groups.member_ids(app_id, group_id)

    def role_of(self, app_id: int, group_id: str, user_id: str) -> str | None:
        """A current member's role, or ``None`` for a non-member."""
        member = self.store.groups.member(app_id, group_id, user_id)
        return member.role if member is not None and member.active else None

    def _visible_end(self, caller: Caller, row: Any) -> int:
        member = self.store.groups.member(caller.app_id, row["peer_id"], caller.user_id)
        if member is None:
            return int(row["start_sequence"])
        if member.left:
            return member.leave_sequence
        return int(row["last_sequence"])

    # loading with checks

    def group(self, app_id: int, group_id: str, *, dismissed_ok=False) -> Group:
        group = self.store.groups.get(app_id, group_id)
        if group is None:
            raise ProtocolError(ErrorCode.GROUP_NOT_FOUND, f"no group {group_id!r}")
        if group.dismissed and not dismissed_ok:
            raise ProtocolError(ErrorCode.GROUP_DISMISSED, "the group is dismissed")
        return group

    def _role(self, caller: Caller, group: Group) -> str | None:
        """The caller's power in the group: an admin acting as self is owner."""
        if has_admin_power(caller):
            return OWNER
        return self.role_of(caller.app_id, group.group_id, caller.user_id)

    def require_member(self, caller: Caller, group: Group) -> str:
        role = self._role(caller, group)
        if role is None:
            raise ProtocolError(
                ErrorCode.GROUP_NOT_MEMBER, "you are not a member of this group"
            )
        return role

    def _require_manager(self, caller: Caller, group: Group, action: str) -> str:
        role = self.require_member(caller, group)
        if role not in (OWNER, MANAGER):
            raise denied(f"only the owner or a manager can {action}")
        return role

    def _target(self, group: Group, member_id: str) -> Member:
        member = self.store.groups.member(group.app_id, group.group_id, member_id)
        if member is None or member.left:
            raise ProtocolError(
                ErrorCode.GROUP_NOT_MEMBER, f"{member_id!r} is not a member"
            )
        return member

    @staticmethod
    def _check_manages(role: str, target: Member, action: str) -> None:
        if target.role == OWNER:
            raise denied(f"nobody can {action} the owner")
        if role == MANAGER and target.role != MEMBER:
            raise denied(f"a manager cannot {action} another manager")
        if RANK[role] <= RANK[target.role]:
            raise denied(f"only the owner or a manager can {action} a member")

    def _limit(self, caller: Caller) -> int:
        return caller.app.settings.max_group_size

    def _users_exist(self, app_id: int, user_ids: list[str]) -> None:
        found = self.store.users.get_many(app_id, user_ids)
        missing = [uid for uid in user_ids if uid not in found or found[uid].deleted]
        if missing:
            raise ProtocolError(
                ErrorCode.USER_NOT_FOUND, "no such users: " + ", ".join(missing)
            )

    # notifications

    def _managers(self, app_id: int, group_id: str) -> list[str]:
        return [
            m.member_id
            for m in self.store.groups.members(app_id, group_id)
            if m.role in (OWNER, MANAGER)
        ]

    def notify(
        self,
        caller: Caller,
        users: list[str] | set[str],
        command: Command,
        payload: dict[str, Any],
    ) -> None:
        """Push a group event to the users' devices, not the asking device."""
        payload = {**payload, "operator": caller.user_id}
        self.router.push(
            caller.app_id, set(users), command, payload, exclude=caller.origin
        )

    def _notify_all(
        self, caller: Caller, group_id: str, command: Command, payload: dict[str, Any]
    ) -> None:
        members = self.member_ids(caller.app_id, group_id)
        self.notify(caller, {*members, caller.user_id}, command, payload)

    def _notify_managers(
        self,
        caller: Caller,
        group_id: str,
        targets: list[str],
        command: Command,
        payload: dict[str, Any],
    ) -> None:
        managers = self._managers(caller.app_id, group_id)
        self.notify(caller, {*managers, *targets, caller.user_id}, command, payload)

    # groups

    async def create(
        self,
        caller: Caller,
        *,
        group_id: str | None,
        owner_id: str | None,
        group_type: str,
        join_mode: str,
        member_ids: list[str],
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        owner = caller.user_id
        if owner_id is not None and owner_id != caller.user_id:
            if not has_admin_power(caller):
                raise denied("only an app admin may create a group for someone else")
            owner = owner_id
        group_id = group_id or uuid.uuid4().hex[:12]
        _check_group_id(group_id)
        _check_kind(group_type, join_mode)

        members = [owner, *(m for m in dict.fromkeys(member_ids) if m != owner)]
        self._users_exist(caller.app_id, members)
        group = Group(
            app_id=caller.app_id,
            group_id=group_id,
            owner_id=owner,
            group_type=group_type,
            join_mode=join_mode,
            **fields,
        )
        roles = [(owner, OWNER), *((m, MEMBER) for m in members[1:])]
        created = await self.store.groups.create(group, roles, self._limit(caller))
        log.info("group %s created by %s", group_id, caller.user_id)

        wire = group_to_wire(created, len(members))
        self.notify(
            caller,
            members,
            Command.GROUP_CREATED,
            {
                "groupId": group_id,
                "group": wire,
            },
        )
        return wire

    def info(self, caller: Caller, group_id: str, with_members: bool) -> dict:
        group = self.group(caller.app_id, group_id, dismissed_ok=True)
        role = self._role(caller, group)
        if role is None and group.group_type == PRIVATE:
            raise ProtocolError(
                ErrorCode.GROUP_NOT_MEMBER, "a private group is visible to members only"
            )
        members = self.store.groups.members(caller.app_id, group_id)
        wire = group_to_wire(group, len(members))
        wire["role"] = role
        if with_members and role is not None:
            wire["members"] = [member_to_wire(m) for m in members]
        return wire

    def joined(self, caller: Caller, after: str, limit: int) -> dict[str, Any]:
        rows = self.store.groups.joined(caller.app_id, caller.user_id, after, limit)
        groups = [
            {**group_to_wire(group), "role": member.role, "alias": member.alias}
            for group, member in rows
        ]
        return {
            "groups": groups,
            "next": groups[-1]["groupId"] if len(groups) == limit else None,
        }

    async def update(
        self, caller: Caller, group_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        self._require_manager(caller, group, "change the group's info")
        if "join_mode" in changes:
            _check_kind(group.group_type, changes["join_mode"])
        updated = await self.store.groups.update(caller.app_id, group_id, changes)
        wire = group_to_wire(updated)
        self._notify_all(
            caller,
            group_id,
            Command.GROUP_UPDATED,
            {
                "groupId": group_id,
                "changes": _camel(changes),
                "group": wire,
            },
        )
        return wire

    async def dismiss(self, caller: Caller, group_id: str) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        if self._role(caller, group) != OWNER:
            raise denied("only the owner or an app admin can dismiss the group")
        members = self.member_ids(caller.app_id, group_id)
        updated = await self.store.groups.update(
            caller.app_id, group_id, {"dismissed": True}
        )
        log.info("group %s dismissed by %s", group_id, caller.user_id)
        self.notify(
            caller,
            {*members, caller.user_id},
            Command.GROUP_DISMISSED,
            {
                "groupId": group_id,
            },
        )
        return group_to_wire(updated)

    async def transfer(
        self, caller: Caller, group_id: str, new_owner: str
    ) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        if self._role(caller, group) != OWNER:
            raise denied("only the owner can transfer the group")
        self._target(group, new_owner)
        if new_owner == group.owner_id:
            raise denied(f"{new_owner!r} already owns the group")
        updated = await self.store.groups.transfer(caller.app_id, group_id, new_owner)
        self._notify_all(
            caller,
            group_id,
            Command.GROUP_TRANSFERRED,
            {
                "groupId": group_id,
                "fromOwner": group.owner_id,
                "toOwner": new_owner,
            },
        )
        return group_to_wire(updated)

    async def mute_all(self, caller: Caller, group_id: str, on: bool) -> dict:
        group = self.group(caller.app_id, group_id)
        self._require_manager(caller, group, "mute the group")
        updated = await self.store.groups.update(
            caller.app_id, group_id, {"mute_all": on}
        )
        self._notify_all(
            caller,
            group_id,
            Command.GROUP_MUTED,
            {
                "groupId": group_id,
                "muteAll": on,
            },
        )
        return group_to_wire(updated)

    # members

    async def add_members(
        self, caller: Caller, group_id: str, member_ids: list[str]
    ) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        role = self.require_member(caller, group)
        if role == MEMBER and group.group_type == PUBLIC:
            raise denied("members can invite only in private groups")
        self._users_exist(caller.app_id, member_ids)
        added = await self.store.groups.add_members(
            caller.app_id, group_id, member_ids, self._limit(caller)
        )
        already = [m for m in dict.fromkeys(member_ids) if m not in added]
        if added:
            self._member_added(caller, group_id, added)
        return {"added": added, "alreadyMembers": already}

    def _member_added(self, caller: Caller, group_id: str, added: list[str]) -> None:
        members = [
            member_to_wire(m)
            for m in self.store.groups.members(caller.app_id, group_id)
            if m.member_id in added
        ]
        self._notify_managers(
            caller,
            group_id,
            added,
            Command.GROUP_MEMBER_ADDED,
            {
                "groupId": group_id,
                "memberIds": added,
                "members": members,
            },
        )

    async def remove_member(
        self, caller: Caller, group_id: str, member_id: str
    ) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        role = self.require_member(caller, group)
        if member_id == caller.user_id:
            raise denied("to remove yourself, leave the group")
        target = self._target(group, member_id)
        self._check_manages(role, target, "remove")
        return await self._remove(caller, group_id, member_id, "removed")

    async def leave(self, caller: Caller, group_id: str) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        target = self._target(group, caller.user_id)
        if target.role == OWNER:
            raise ProtocolError(
                ErrorCode.GROUP_OWNER_CANNOT_LEAVE,
                "the owner cannot leave: transfer the group or dismiss it",
            )
        return await self._remove(caller, group_id, caller.user_id, "left")

    async def _remove(
        self, caller: Caller, group_id: str, member_id: str, reason: str
    ) -> dict[str, Any]:
        await self.store.groups.remove_member(caller.app_id, group_id, member_id)
        self._notify_managers(
            caller,
            group_id,
            [member_id],
            Command.GROUP_MEMBER_REMOVED,
            {"groupId": group_id, "memberId": member_id, "reason": reason},
        )
        return {"groupId": group_id, "memberId": member_id, "reason": reason}

    def members(self, caller: Caller, group_id: str) -> list[dict[str, Any]]:
        group = self.group(caller.app_id, group_id, dismissed_ok=True)
        self.require_member(caller, group)
        return [
            member_to_wire(m)
            for m in self.store.groups.members(caller.app_id, group_id)
        ]

    async def update_member(
        self,
        caller: Caller,
        group_id: str,
        member_id: str,
        role: str | None,
        alias: str | None,
    ) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        mine = self.require_member(caller, group)
        target = self._target(group, member_id)
        changes: dict[str, Any] = {}
        if role is not None and role != target.role:
            if role == OWNER:
                raise denied("ownership changes hands with transfer, not a role")
            if mine != OWNER:
                raise denied("only the owner can change roles")
            if target.role == OWNER:
                raise denied("the owner's role changes only by transfer")
            changes["role"] = role
        if alias is not None:
            if member_id != caller.user_id:
                self._check_manages(mine, target, "set the alias of")
            changes["alias"] = alias
        member = await self.store.groups.update_member(
            caller.app_id, group_id, member_id, changes
        )
        wire = member_to_wire(member)
        if changes:
            self._notify_managers(
                caller,
                group_id,
                [member_id],
                Command.GROUP_MEMBER_UPDATED,
                {"groupId": group_id, "member": wire, "changes": _camel(changes)},
            )
        return wire

    async def mute_member(
        self, caller: Caller, group_id: str, member_id: str, until_ms: int
    ) -> dict[str, Any]:
        group = self.group(caller.app_id, group_id)
        mine = self.require_member(caller, group)
        if member_id == caller.user_id and not has_admin_power(caller):
            raise denied("you cannot mute yourself")
        target = self._target(group, member_id)
        self._check_manages(mine, target, "mute")
        member = await self.store.groups.update_member(
            caller.app_id, group_id, member_id, {"mute_until": until_ms}
        )
        self._notify_managers(
            caller,
            group_id,
            [member_id],
            Command.GROUP_MEMBER_MUTED,
            {"groupId": group_id, "memberId": member_id, "muteUntil": until_ms},
        )
        return member_to_wire(member)

    # join requests

    async def join(self, caller: Caller, group_id: str, wording: str) -> dict:
        group = self.group(caller.app_id, group_id)
        if group.group_type == PRIVATE:
            raise ProtocolError(
                ErrorCode.GROUP_PRIVATE, "a private group is joined by invitation only"
            )
        if self.role_of(caller.app_id, group_id, caller.user_id) is not None:
            raise ProtocolError(
                ErrorCode.GROUP_ALREADY_MEMBER, "you are already a member"
            )
        if group.join_mode == FREE:
            await self.store.groups.add_members(
                caller.app_id, group_id, [caller.user_id], self._limit(caller)
            )
            self._member_added(caller, group_id, [caller.user_id])
            return {"groupId": group_id, "joined": True, "request": None}

        request = await self.store.groups.create_request(
            caller.app_id, group_id, caller.user_id, wording
        )
        wire = request_to_wire(request)
        self._notify_managers(
            caller,
            group_id,
            [caller.user_id],
            Command.GROUP_JOIN_REQUESTED,
            {"groupId": group_id, "request": wire},
        )
        return {"groupId": group_id, "joined": False, "request": wire}

    def requests(
        self, caller: Caller, group_id: str, status: str | None
    ) -> list[dict[str, Any]]:
        group = self.group(caller.app_id, group_id)
        self._require_manager(caller, group, "see join requests")
        return [
            request_to_wire(r)
            for r in self.store.groups.requests(caller.app_id, group_id, status)
        ]

    async def handle_request(
        self, caller: Caller, request_id: int, approve: bool
    ) -> dict[str, Any]:
        request = self.store.groups.request(caller.app_id, request_id)
        if request is None:
            raise ProtocolError(
                ErrorCode.GROUP_JOIN_REQUEST_NOT_FOUND, f"no join request {request_id}"
            )
        group = self.group(caller.app_id, request.group_id)
        self._require_manager(caller, group, "handle join requests")
        handled = await self.store.groups.handle_request(
            caller.app_id, request_id, approve, caller.user_id, self._limit(caller)
        )
        wire = request_to_wire(handled)
        self._notify_managers(
            caller,
            group.group_id,
            [request.user_id],
            Command.GROUP_JOIN_HANDLED,
            {"groupId": group.group_id, "request": wire, "approved": approve},
        )
        if approve:
            self._member_added(caller, group.group_id, [request.user_id])
        return wire

    # imports (no notifications)

    async def import_groups(
        self, caller: Caller, rows: list[dict[str, Any]]
    ) -> dict[str, Any]:
        good: list[tuple[int, Group]] = []
        rejected: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            try:
                good.append((index, self._import_group_row(caller, row)))
            except ProtocolError as exc:
                rejected.append({"index": index, "code": exc.code, "msg": exc.msg})
        if good:
            rejected += await self.store.groups.import_groups(caller.app_id, good)
        rejected.sort(key=lambda item: item["index"])
        return {"imported": len(rows) - len(rejected), "rejected": rejected}

    def _import_group_row(self, caller: Caller, row: dict[str, Any]) -> Group:
        parsed = _parse(GroupImportRow, row)
        _check_group_id(parsed.group_id)
        _check_kind(parsed.type, parsed.join_mode)
        self._users_exist(caller.app_id, [parsed.owner_id])
        return Group(
            app_id=caller.app_id,
            group_id=parsed.group_id,
            owner_id=parsed.owner_id,
            group_type=parsed.type,
            join_mode=parsed.join_mode,
            name=parsed.name,
            avatar=parsed.avatar,
            notice=parsed.notice,
            introduction=parsed.introduction,
            extra=parsed.extra,
            mute_all=parsed.mute_all,
            max_members=parsed.max_members,
            created_at=parsed.created_at or 0,
        )

    async def import_members(
        self, caller: Caller, rows: list[dict[str, Any]]
    ) -> dict[str, Any]:
        good: list[tuple[int, dict[str, Any]]] = []
        rejected: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            try:
                parsed = _parse(MemberImportRow, row)
                if parsed.role == OWNER:
                    raise ProtocolError(
                        ErrorCode.INVALID_PARAMS,
                        "the owner comes with the group (ownerId); not a member role",
                    )
                self._users_exist(caller.app_id, [parsed.member_id])
                good.append((index, parsed.model_dump()))
            except ProtocolError as exc:
                rejected.append({"index": index, "code": exc.code, "msg": exc.msg})
        if good:
            rejected += await self.store.groups.import_members(
                caller.app_id, good, self._limit(caller)
            )
        rejected.sort(key=lambda item: item["index"])
        return {"imported": len(rows) - len(rejected), "rejected": rejected}

    # sync

    def _groups_cursor(self, caller: Caller) -> int:
        return self.store.groups.counter(caller.app_id, user_counter(caller.user_id))

    def _pull_groups(
        self, caller: Caller, last: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        rows = self.store.groups.changed_for(caller.app_id, caller.user_id, last, limit)
        data = []
        for group, member in rows:
            data.append(
                {
                    **group_to_wire(group),
                    "role": member.role,
                    "alias": member.alias,
                    "muteUntil": member.mute_until,
                    "joinSequence": member.join_sequence,
                    "left": member.left,
                    "memberSequence": self.store.groups.counter(
                        caller.app_id, member_counter(group.group_id)
                    ),
                    "deleted": member.left or group.dismissed,
                    "sequence": member.sequence,
                }
            )
        return data, self._groups_cursor(caller)

    def pull_members(
        self, caller: Caller, group_id: str, last: int, limit: int
    ) -> dict[str, Any]:
        """Members of one group changed after ``last``; leavers are tombstones."""
        group = self.group(caller.app_id, group_id, dismissed_ok=True)
        self.require_member(caller, group)
        rows = self.store.groups.members_changed(caller.app_id, group_id, last, limit)
        top = self.store.groups.counter(caller.app_id, member_counter(group_id))
        end = rows[-1].member_sequence if rows else last
        return {
            "maxSequence": top,
            "completed": end >= top,
            "dataList": [{**member_to_wire(m), "deleted": m.left} for m in rows],
        }


def _check_group_id(group_id: str) -> None:
    if not USER_ID_PATTERN.match(group_id):
        raise ProtocolError(
            ErrorCode.INVALID_PARAMS,
            "groupId must be 1 to 64 characters without spaces or '|'",
        )


def _check_kind(group_type: str, join_mode: str) -> None:
    if group_type not in (PRIVATE, PUBLIC):
        raise ProtocolError(ErrorCode.INVALID_PARAMS, "type is private or public")
    if join_mode not in (APPROVAL, FREE):
        raise ProtocolError(ErrorCode.INVALID_PARAMS, "joinMode is approval or free")


def _camel(changes: dict[str, Any]) -> dict[str, Any]:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    return {camel(key): value for key, value in changes.items()}


def _parse(model: Any, row: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from .users import validation_message

    try:
        return model.model_validate(row)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_PARAMS, validation_message(exc)) from exc


__all__ = ["GroupService", "has_admin_power", "now_ms"]
