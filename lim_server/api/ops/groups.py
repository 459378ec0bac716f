"""Group operations: groups, members, join requests, messages, imports, sync.

Permission rules are the service's (docs/operations.md, "Groups"); these
handlers only turn requests into service calls.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import ConfigDict, Field

from lim_protocol.errors import ErrorCode, ProtocolError
from lim_protocol.packets import SendGroup

from ..operations import Request, operation

Role = Literal["owner", "manager", "member"]


def _example(**example: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class GroupCreate(Request):
    model_config = _example(
        groupId="rust-fans",
        name="Rust fans",
        type="public",
        joinMode="approval",
        memberIds=["bob", "carol"],
    )

    group_id: str | None = None
    owner_id: str | None = None
    name: str = Field(default="", max_length=256)
    type: Literal["private", "public"] = "private"
    join_mode: Literal["approval", "free"] = "approval"
    avatar: str = Field(default="", max_length=2048)
    notice: str = Field(default="", max_length=4096)
    introduction: str = Field(default="", max_length=4096)
    extra: dict[str, Any] = Field(default_factory=dict)
    max_members: int = Field(default=0, ge=0)
    member_ids: list[str] = Field(default_factory=list, max_length=10000)


class GroupTarget(Request):
    model_config = _example(groupId="rust-fans")

    group_id: str


class GroupGet(Request):
    model_config = _example(groupId="rust-fans", withMembers=True)

    group_id: str
    with_members: bool = True


class GroupList(Request):
    model_config = _example(after="", limit=100)

    after: str = ""
    limit: int = Field(default=100, ge=1, le=1000)


class GroupUpdate(Request):
    model_config = _example(groupId="rust-fans", notice="Meetup on Friday")

    group_id: str
    name: str | None = Field(default=None, max_length=256)
    avatar: str | None = Field(default=None, max_length=2048)
    notice: str | None = Field(default=None, max_length=4096)
    introduction: str | None = Field(default=None, max_length=4096)
    extra: dict[str, Any] | None = None
    join_mode: Literal["approval", "free"] | None = None


class GroupTransfer(Request):
    model_config = _example(groupId="rust-fans", ownerId="bob")

    group_id: str
    owner_id: str


class GroupMute(Request):
    model_config = _example(groupId="rust-fans", mute=True)

    group_id: str
    mute: bool = True


class MemberAdd(Request):
    model_config = _example(groupId="rust-fans", memberIds=["dave", "erin"])

    group_id: str
    member_ids: list[str] = Field(min_length=1, max_length=10000)


class MemberTarget(Request):
    model_config = _example(groupId="rust-fans", memberId="dave")

    group_id: str
    member_id: str


class MemberUpdate(Request):
    model_config = _example(groupId="rust-fans", memberId="bob", role="manager")

    group_id: str
    member_id: str
    role: Role | None = None
    alias: str | None = Field(default=None, max_length=128)


class MemberMute(Request):
    model_config = _example(groupId="rust-fans", memberId="dave", seconds=600)

    group_id: str
    member_id: str
    seconds: int | None = Field(default=None, ge=0)
    mute_until: int | None = Field(default=None, ge=0)


class MemberSync(Request):
    model_config = _example(groupId="rust-fans", lastSequence=0, maxLimit=100)

    group_id: str
    last_sequence: int = Field(default=0, ge=0)
    max_limit: int = Field(default=100, ge=1, le=1000)


class GroupJoin(Request):
    model_config = _example(groupId="rust-fans", wording="hi, I write Rust too")

    group_id: str
    wording: str = Field(default="", max_length=512)


class RequestList(Request):
    model_config = _example(groupId="rust-fans", status="pending")

    group_id: str
    status: Literal["pending", "approved", "rejected"] | None = "pending"


class RequestHandle(Request):
    model_config = _example(requestId=7)

    request_id: int


class GroupMessageSend(Request):
    model_config = _example(
        messageId="m-0001", groupId="rust-fans", messageBody="hello all"
    )

    message_id: str = Field(min_length=1, max_length=128)
    group_id: str
    message_body: Any


class ReadCount(Request):
    model_config = _example(groupId="rust-fans", messageSequences=[1, 2, 3])

    group_id: str
    message_sequences: list[int] = Field(min_length=1, max_length=1000)


class GroupImport(Request):
    model_config = _example(
        groups=[{"groupId": "ops", "name": "Ops", "ownerId": "alice"}]
    )

    groups: list[dict[str, Any]] = Field(max_length=10000)


class MemberImport(Request):
    model_config = _example(
        members=[{"groupId": "ops", "memberId": "bob", "role": "manager"}]
    )

    members: list[dict[str, Any]] = Field(max_length=100000)


# groups


@operation("/v1/group/create", GroupCreate)
async def create_group(services, caller, request: GroupCreate):
    """Create a group with you (or ``ownerId``, admin) as owner and initial members."""
    fields = request.model_dump(
        include={"name", "avatar", "notice", "introduction", "extra", "max_members"}
    )
    return await services.groups.create(
        caller,
        group_id=request.group_id,
        owner_id=request.owner_id,
        group_type=request.type,
        join_mode=request.join_mode,
        member_ids=request.member_ids,
        fields=fields,
    )


@operation("/v1/group/get", GroupGet)
async def get_group(services, caller, request: GroupGet):
    """A group's info, with its members when you are one."""
    return services.groups.info(caller, request.group_id, request.with_members)


@operation("/v1/group/list", GroupList)
async def list_groups(services, caller, request: GroupList):
    """The groups you are in, by group id, paged with ``after``."""
    return services.groups.joined(caller, request.after, request.limit)


@operation("/v1/group/update", GroupUpdate)
async def update_group(services, caller, request: GroupUpdate):
    """Change a group's name, avatar, notice, introduction, extra or join mode."""
    changes = request.model_dump(
        exclude={"rid", "as_user", "group_id"}, exclude_none=True
    )
    if not changes:
        raise ProtocolError(ErrorCode.INVALID_PARAMS, "nothing to change")
    return await services.groups.update(caller, request.group_id, changes)


@operation("/v1/group/dismiss", GroupTarget)
async def dismiss_group(services, caller, request: GroupTarget):
    """Dismiss a group (owner or app admin); members keep its history."""
    return await services.groups.dismiss(caller, request.group_id)


@operation("/v1/group/transfer", GroupTransfer)
async def transfer_group(services, caller, request: GroupTransfer):
    """Hand the group to another member; the old owner becomes a member."""
    return await services.groups.transfer(caller, request.group_id, request.owner_id)


@operation("/v1/group/mute", GroupMute)
async def mute_group(services, caller, request: GroupMute):
    """Mute (or unmute) the whole group: only the owner and managers can speak."""
    return await services.groups.mute_all(caller, request.group_id, request.mute)


# members


@operation("/v1/group/member/add", MemberAdd)
async def add_members(services, caller, request: MemberAdd):
    """Invite users into a group; those already in are listed apart."""
    return await services.groups.add_members(
        caller, request.group_id, request.member_ids
    )


@operation("/v1/group/member/remove", MemberTarget)
async def remove_member(services, caller, request: MemberTarget):
    """Remove a member: they keep what they had and receive nothing new."""
    return await services.groups.remove_member(
        caller, request.group_id, request.member_id
    )


@operation("/v1/group/member/leave", GroupTarget)
async def leave_group(services, caller, request: GroupTarget):
    """Leave a group (not as its owner: transfer or dismiss it first)."""
    return await services.groups.leave(caller, request.group_id)


@operation("/v1/group/member/list", GroupTarget)
async def list_members(services, caller, request: GroupTarget):
    """The current members of a group you are in."""
    return services.groups.members(caller, request.group_id)


@operation("/v1/group/member/update", MemberUpdate)
async def update_member(services, caller, request: MemberUpdate):
    """Change a member's role (owner only) or alias."""
    if request.role is None and request.alias is None:
        raise ProtocolError(ErrorCode.INVALID_PARAMS, "give a role or an alias")
    return await services.groups.update_member(
        caller, request.group_id, request.member_id, request.role, request.alias
    )


@operation("/v1/group/member/mute", MemberMute)
async def mute_member(services, caller, request: MemberMute):
    """Mute a member for ``seconds`` or until ``muteUntil`` (ms); 0 unmutes."""
    if request.mute_until is not None:
        until = request.mute_until
    elif request.seconds:
        until = int(time.time() * 1000) + request.seconds * 1000
    else:
        until = 0
    return await services.groups.mute_member(
        caller, request.group_id, request.member_id, until
    )


@operation("/v1/group/member/sync", MemberSync)
async def sync_members(services, caller, request: MemberSync):
    """Members of one group changed after ``lastSequence``, tombstones included."""
    return services.groups.pull_members(
        caller, request.group_id, request.last_sequence, request.max_limit
    )


# join requests


@operation("/v1/group/join", GroupJoin)
async def join_group(services, caller, request: GroupJoin):
    """Join a public group: at once if it is free, else by a join request."""
    return await services.groups.join(caller, request.group_id, request.wording)


@operation("/v1/group/request/list", RequestList)
async def list_requests(services, caller, request: RequestList):
    """Join requests of a group (owner and managers), pending by default."""
    return services.groups.requests(caller, request.group_id, request.status)


@operation("/v1/group/request/approve", RequestHandle)
async def approve_request(services, caller, request: RequestHandle):
    """Approve a join request: the user becomes a member."""
    return await services.groups.handle_request(caller, request.request_id, True)


@operation("/v1/group/request/reject", RequestHandle)
async def reject_request(services, caller, request: RequestHandle):
    """Reject a join request."""
    return await services.groups.handle_request(caller, request.request_id, False)


# messages


@operation("/v1/group/message/send", GroupMessageSend)
async def send_group_message(services, caller, request: GroupMessageSend):
    """Send a group message as yourself (or ``asUser``, admin); returns the ack."""
    packet = SendGroup(
        messageId=request.message_id,
        groupId=request.group_id,
        messageBody=request.message_body,
    )
    result = await services.groups.send_message(caller, packet)
    return {**result.message.ack(), "duplicate": result.duplicate}


@operation("/v1/group/message/readcount", ReadCount)
async def read_count(services, caller, request: ReadCount):
    """For each message sequence: how many members have read it, and how many not."""
    return services.groups.read_counts(
        caller, request.group_id, request.message_sequences
    )


# imports


@operation("/v1/group/import", GroupImport, admin=True)
async def import_groups(services, caller, request: GroupImport):
    """Create many groups with their owners (admin, no notifications)."""
    return await services.groups.import_groups(caller, request.groups)


@operation("/v1/group/member/import", MemberImport, admin=True)
async def import_members(services, caller, request: MemberImport):
    """Add many members to groups (admin, no notifications)."""
    return await services.groups.import_members(caller, request.members)
