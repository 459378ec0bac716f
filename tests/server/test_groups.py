"""Groups against a real server: permissions, mutes, joins, messages, sync."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from lim_client.session import ClientSession, LimClientError
from lim_protocol.commands import Command
from lim_server.api.operations import dispatch
from lim_server.models import LOCAL_ADMIN
from lim_server.services.context import Caller
from lim_server.services.groups import GroupService
from lim_server.services.sync import SyncService

_ids = itertools.count(1)

DENIED = 40003
NOT_MEMBER = 40004


def caller(harness: Any, user_id: str) -> Caller:
    user = harness.server.services.users.find(harness.app_id, user_id)
    return Caller(harness.app, user_id, user_id, bool(user and user.is_admin))


async def op(harness: Any, user_id: str, path: str, **body: Any) -> Any:
    return await dispatch(harness.server.services, caller(harness, user_id), path, body)


async def code_of(harness: Any, user_id: str, path: str, **body: Any) -> int:
    try:
        await op(harness, user_id, path, **body)
    except Exception as exc:
        return int(getattr(exc, "code", -1))
    return 200


async def users(harness: Any, *names: str) -> None:
    for name in names:
        await harness.user(name)


async def make_group(
    harness: Any, owner: str = "owner", members: tuple[str, ...] = (), **fields: Any
) -> str:
    group_id = f"g{next(_ids)}"
    await op(
        harness,
        owner,
        "/v1/group/create",
        groupId=group_id,
        memberIds=list(members),
        **fields,
    )
    return group_id


async def send(session: ClientSession, group_id: str, text: str, mid: str = ""):
    return await session.request(
        Command.MSG_GROUP,
        {
            "messageId": mid or f"m{next(_ids)}",
            "groupId": group_id,
            "messageBody": text,
        },
    )


async def quiet(session: ClientSession, command: int) -> bool:
    """True if no ``command`` event is queued once a ping has round-tripped."""
    await session.ping()
    pending = []
    while not session.events.empty():
        pending.append(session.events.get_nowait())
    return all(event.command != command for event in pending)


# permissions


ROLES = ("owner", "manager", "member", "outsider", LOCAL_ADMIN)


async def staffed_group(harness: Any, **fields: Any) -> str:
    """owner, two managers (manager, manager2), members (member, target)."""
    group_id = await make_group(
        harness, "owner", ("manager", "manager2", "member", "target"), **fields
    )
    for name in ("manager", "manager2"):
        await op(
            harness,
            "owner",
            "/v1/group/member/update",
            groupId=group_id,
            memberId=name,
            role="manager",
        )
    return group_id


# operation -> expected code per role (owner, manager, member, outsider, admin)
MATRIX: list[tuple[str, str, dict[str, Any], tuple[int, ...]]] = [
    (
        "update info",
        "/v1/group/update",
        {"name": "x"},
        (200, 200, DENIED, NOT_MEMBER, 200),
    ),
    (
        "mute group",
        "/v1/group/mute",
        {"mute": True},
        (200, 200, DENIED, NOT_MEMBER, 200),
    ),
    ("dismiss", "/v1/group/dismiss", {}, (200, DENIED, DENIED, DENIED, 200)),
    (
        "transfer",
        "/v1/group/transfer",
        {"ownerId": "target"},
        (200, DENIED, DENIED, DENIED, 200),
    ),
    (
        "invite in private",
        "/v1/group/member/add",
        {"memberIds": ["newcomer"]},
        (200, 200, 200, NOT_MEMBER, 200),
    ),
    (
        "remove a member",
        "/v1/group/member/remove",
        {"memberId": "target"},
        (200, 200, DENIED, NOT_MEMBER, 200),
    ),
    (
        "remove a manager",
        "/v1/group/member/remove",
        {"memberId": "manager2"},
        (200, DENIED, DENIED, NOT_MEMBER, 200),
    ),
    (
        "remove the owner",
        "/v1/group/member/remove",
        {"memberId": "owner"},
        (DENIED, DENIED, DENIED, NOT_MEMBER, DENIED),
    ),
    (
        "make a manager",
        "/v1/group/member/update",
        {"memberId": "target", "role": "manager"},
        (200, DENIED, DENIED, NOT_MEMBER, 200),
    ),
    (
        "demote a manager",
        "/v1/group/member/update",
        {"memberId": "manager2", "role": "member"},
        (200, DENIED, DENIED, NOT_MEMBER, 200),
    ),
    (
        "make an owner by role",
        "/v1/group/member/update",
        {"memberId": "target", "role": "owner"},
        (DENIED, DENIED, DENIED, NOT_MEMBER, DENIED),
    ),
    (
        "alias a member",
        "/v1/group/member/update",
        {"memberId": "target", "alias": "t"},
        (200, 200, DENIED, NOT_MEMBER, 200),
    ),
    (
        "alias a manager",
        "/v1/group/member/update",
        {"memberId": "manager2", "alias": "m"},
        (200, DENIED, DENIED, NOT_MEMBER, 200),
    ),
    (
        "mute a member",
        "/v1/group/member/mute",
        {"memberId": "target", "seconds": 60},
        (200, 200, DENIED, NOT_MEMBER, 200),
    ),
    (
        "mute a manager",
        "/v1/group/member/mute",
        {"memberId": "manager2", "seconds": 60},
        (200, DENIED, DENIED, NOT_MEMBER, 200),
    ),
    (
        "mute the owner",
        "/v1/group/member/mute",
        {"memberId": "owner", "seconds": 60},
        (DENIED, DENIED, DENIED, NOT_MEMBER, DENIED),
    ),
    ("list members", "/v1/group/member/list", {}, (200, 200, 200, NOT_MEMBER, 200)),
    ("get private info", "/v1/group/get", {}, (200, 200, 200, NOT_MEMBER, 200)),
    (
        "list requests",
        "/v1/group/request/list",
        {},
        (200, 200, DENIED, NOT_MEMBER, 200),
    ),
    ("leave", "/v1/group/member/leave", {}, (40012, 200, 200, NOT_MEMBER, NOT_MEMBER)),
    ("join a private group", "/v1/group/join", {}, (40009,) * 5),
]


async def test_permission_matrix_holds_for_every_operation_and_role(harness):
    await users(harness, "owner", "manager", "manager2", "member", "target")
    await users(harness, "outsider", "newcomer")

    mismatches = []
    for name, path, body, expected in MATRIX:
        for role, want in zip(ROLES, expected, strict=True):
            group_id = await staffed_group(harness)
            got = await code_of(harness, role, path, groupId=group_id, **body)
            if got != want:
                mismatches.append(f"{name} as {role}: got {got}, want {want}")
    assert mismatches == []


async def test_members_cannot_invite_into_public_groups_but_managers_can(harness):
    await users(harness, "owner", "manager", "manager2", "member", "target")
    await users(harness, "newcomer", "other")
    group_id = await staffed_group(harness, type="public")

    denied = await code_of(
        harness,
        "member",
        "/v1/group/member/add",
        groupId=group_id,
        memberIds=["newcomer"],
    )
    allowed = await op(
        harness,
        "manager",
        "/v1/group/member/add",
        groupId=group_id,
        memberIds=["newcomer", "member"],
    )

    assert denied == DENIED
    assert allowed == {"added": ["newcomer"], "alreadyMembers": ["member"]}


async def test_admin_acting_for_a_user_has_only_that_users_power(harness):
    await users(harness, "owner", "member")
    group_id = await make_group(harness, "owner", ("member",))
    admin = caller(harness, LOCAL_ADMIN).acting_as("member")

    with pytest.raises(Exception) as refused:
        await dispatch(
            harness.server.services, admin, "/v1/group/dismiss", {"groupId": group_id}
        )

    assert refused.value.code == DENIED


async def test_group_size_is_capped_by_the_app_setting(harness):
    await harness.server.services.apps.update_settings(
        harness.app_id, {"maxGroupSize": 3}
    )
    await users(harness, "owner", "a", "b", "c")
    group_id = await make_group(harness, "owner", ("a", "b"))

    code = await code_of(
        harness, "owner", "/v1/group/member/add", groupId=group_id, memberIds=["c"]
    )

    assert code == 40006


async def test_unknown_and_dismissed_groups_are_refused_with_their_codes(harness):
    await users(harness, "owner", "member")
    group_id = await make_group(harness, "owner", ("member",))
    await op(harness, "owner", "/v1/group/dismiss", groupId=group_id)

    unknown = await code_of(
        harness, "owner", "/v1/group/update", groupId="nope", name="x"
    )
    dismissed = await code_of(
        harness, "owner", "/v1/group/update", groupId=group_id, name="x"
    )
    info = await op(harness, "member", "/v1/group/get", groupId=group_id)

    assert (unknown, dismissed) == (40000, 40002)
    assert info["dismissed"] is True


async def test_transfer_makes_the_old_owner_a_member(harness):
    await users(harness, "owner", "member")
    group_id = await make_group(harness, "owner", ("member",))

    await op(harness, "owner", "/v1/group/transfer", groupId=group_id, ownerId="member")
    roles = {
        m["memberId"]: m["role"]
        for m in await op(harness, "member", "/v1/group/member/list", groupId=group_id)
    }

    assert roles == {"owner": "member", "member": "owner"}
    assert (
        await code_of(harness, "owner", "/v1/group/member/leave", groupId=group_id)
        == 200
    )


# mutes


async def test_a_muted_member_cannot_speak_until_unmuted(harness):
    await users(harness, "owner", "member")
    group_id = await make_group(harness, "owner", ("member",))
    device = await harness.device("member")

    await op(
        harness,
        "owner",
        "/v1/group/member/mute",
        groupId=group_id,
        memberId="member",
        seconds=600,
    )
    with pytest.raises(LimClientError) as muted:
        await send(device, group_id, "hello?")
    await op(
        harness,
        "owner",
        "/v1/group/member/mute",
        groupId=group_id,
        memberId="member",
        seconds=0,
    )
    ack = await send(device, group_id, "hello again")

    assert muted.value.code == 40008
    assert ack["messageSequence"] == 1


async def test_a_mute_that_has_run_out_no_longer_stops_the_member(harness):
    await users(harness, "owner", "member")
    group_id = await make_group(harness, "owner", ("member",))
    past = int(time.time() * 1000) - 1
    await op(
        harness,
        "owner",
        "/v1/group/member/mute",
        groupId=group_id,
        memberId="member",
        muteUntil=past,
    )
    device = await harness.device("member")

    ack = await send(device, group_id, "free again")

    assert ack["messageSequence"] == 1


async def test_a_muted_group_lets_only_the_owner_and_managers_speak(harness):
    await users(harness, "owner", "manager", "member")
    group_id = await make_group(harness, "owner", ("manager", "member"))
    await op(
        harness,
        "owner",
        "/v1/group/member/update",
        groupId=group_id,
        memberId="manager",
        role="manager",
    )
    await op(harness, "manager", "/v1/group/mute", groupId=group_id, mute=True)
    owner, manager, member = [
        await harness.device(name) for name in ("owner", "manager", "member")
    ]

    with pytest.raises(LimClientError) as refused:
        await send(member, group_id, "can I?")
    owner_ack = await send(owner, group_id, "owner speaks")
    manager_ack = await send(manager, group_id, "manager speaks")

    assert refused.value.code == 40007
    assert (owner_ack["messageSequence"], manager_ack["messageSequence"]) == (1, 2)


# join requests


async def test_join_request_flow_for_an_approval_group(harness):
    await users(harness, "owner", "manager", "member", "asker", "other")
    group_id = await make_group(
        harness, "owner", ("manager", "member"), type="public", joinMode="approval"
    )
    await op(
        harness,
        "owner",
        "/v1/group/member/update",
        groupId=group_id,
        memberId="manager",
        role="manager",
    )
    owner_device = await harness.device("owner")
    asker_device = await harness.device("asker")

    asked = await op(harness, "asker", "/v1/group/join", groupId=group_id, wording="hi")
    again = await op(
        harness, "asker", "/v1/group/join", groupId=group_id, wording="hey"
    )
    requested = await owner_device.next_event(Command.GROUP_JOIN_REQUESTED)
    pending = await op(harness, "manager", "/v1/group/request/list", groupId=group_id)
    request_id = asked["request"]["requestId"]

    by_member = await code_of(
        harness, "member", "/v1/group/request/approve", requestId=request_id
    )
    approved = await op(
        harness, "manager", "/v1/group/request/approve", requestId=request_id
    )
    handled = await asker_device.next_event(Command.GROUP_JOIN_HANDLED)
    twice = await code_of(
        harness, "owner", "/v1/group/request/approve", requestId=request_id
    )
    role = harness.server.services.groups.role_of(harness.app_id, group_id, "asker")

    assert asked["joined"] is False and again["request"]["requestId"] == request_id
    assert again["request"]["wording"] == "hey"
    assert requested.body["request"]["userId"] == "asker"
    assert [r["userId"] for r in pending] == ["asker"]
    assert by_member == DENIED
    assert approved["status"] == "approved" and handled.body["approved"] is True
    assert twice == 40011
    assert role == "member"
    assert await code_of(harness, "asker", "/v1/group/join", groupId=group_id) == 40005


async def test_rejected_requests_leave_the_user_outside(harness):
    await users(harness, "owner", "asker")
    group_id = await make_group(harness, "owner", type="public")
    asked = await op(harness, "asker", "/v1/group/join", groupId=group_id)

    rejected = await op(
        harness,
        "owner",
        "/v1/group/request/reject",
        requestId=asked["request"]["requestId"],
    )
    missing = await code_of(harness, "owner", "/v1/group/request/reject", requestId=999)

    assert rejected["status"] == "rejected"
    assert (
        harness.server.services.groups.role_of(harness.app_id, group_id, "asker")
        is None
    )
    assert missing == 40010


async def test_a_free_public_group_is_joined_at_once(harness):
    await users(harness, "owner", "walker")
    group_id = await make_group(harness, "owner", type="public", joinMode="free")

    joined = await op(harness, "walker", "/v1/group/join", groupId=group_id)

    assert joined["joined"] is True
    members = harness.server.services.groups.member_ids(harness.app_id, group_id)
    assert sorted(members) == ["owner", "walker"]


# messages


async def test_concurrent_senders_get_dense_sequences_in_one_order(harness):
    names = [f"s{i}" for i in range(5)]
    await users(harness, "owner", *names)
    group_id = await make_group(harness, "owner", tuple(names))
    senders = [await harness.device(name) for name in names]
    watcher = await harness.device("owner")

    async def burst(session: ClientSession) -> list[int]:
        acks = await asyncio.gather(
            *(send(session, group_id, f"{session.user_id}-{i}") for i in range(20))
        )
        return [ack["messageSequence"] for ack in acks]

    sequences = sorted(
        s for acks in await asyncio.gather(*map(burst, senders)) for s in acks
    )
    seen = [
        (await watcher.next_event(Command.MSG_GROUP)).body["messageSequence"]
        for _ in range(100)
    ]

    assert sequences == list(range(1, 101))
    assert seen == list(range(1, 101))


async def test_group_message_reaches_every_member_device_but_the_sender(harness):
    await users(harness, "owner", "bob", "carol", "outsider", "gone")
    group_id = await make_group(harness, "owner", ("bob", "carol", "gone"))
    await op(
        harness, "owner", "/v1/group/member/remove", groupId=group_id, memberId="gone"
    )
    sender = await harness.device("owner")
    sender_other = await harness.device("owner")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob", transport="ws")
    carol = await harness.device("carol")
    outsider = await harness.device("outsider")
    gone = await harness.device("gone")

    ack = await send(sender, group_id, "hello group")
    received = [
        (await device.next_event(Command.MSG_GROUP)).body
        for device in (sender_other, bob_phone, bob_laptop, carol)
    ]

    assert {body["messageKey"] for body in received} == {ack["messageKey"]}
    assert received[0]["groupId"] == group_id
    assert received[0]["conversationType"] == 1
    assert received[0]["messageBody"] == {"type": "text", "text": "hello group"}
    assert await quiet(sender, Command.MSG_GROUP)
    assert await quiet(outsider, Command.MSG_GROUP)
    assert await quiet(gone, Command.MSG_GROUP)


async def test_resend_with_same_message_id_returns_the_original_ack(harness):
    await users(harness, "owner", "bob")
    group_id = await make_group(harness, "owner", ("bob",))
    sender = await harness.device("owner")
    bob = await harness.device("bob")

    first = await send(sender, group_id, "once", mid="same")
    second = await send(sender, group_id, "once", mid="same")
    marker = await send(sender, group_id, "marker")
    seen = [
        (await bob.next_event(Command.MSG_GROUP)).body["messageSequence"]
        for _ in range(2)
    ]

    assert first == second
    assert seen == [1, marker["messageSequence"]] == [1, 2]
    assert harness.server.services.store.messages.count(harness.app_id) == 2


async def test_non_members_and_removed_members_cannot_send(harness):
    await users(harness, "owner", "outsider", "gone")
    group_id = await make_group(harness, "owner", ("gone",))
    await op(
        harness, "owner", "/v1/group/member/remove", groupId=group_id, memberId="gone"
    )

    outsider = await code_of(
        harness,
        "outsider",
        "/v1/group/message/send",
        messageId="x",
        groupId=group_id,
        messageBody="hi",
    )
    gone = await code_of(
        harness,
        "gone",
        "/v1/group/message/send",
        messageId="y",
        groupId=group_id,
        messageBody="hi",
    )

    assert (outsider, gone) == (NOT_MEMBER, NOT_MEMBER)


async def test_admin_sends_for_a_member_over_the_api(harness):
    await users(harness, "owner", "bob")
    group_id = await make_group(harness, "owner", ("bob",))
    bob = await harness.device("bob")

    ack = await op(
        harness,
        LOCAL_ADMIN,
        "/v1/group/message/send",
        asUser="owner",
        messageId="api-1",
        groupId=group_id,
        messageBody="from the app server",
    )
    pushed = await bob.next_event(Command.MSG_GROUP)

    assert ack["messageSequence"] == 1 and ack["duplicate"] is False
    assert pushed.body["fromId"] == "owner"


# sync


async def test_an_offline_member_catches_up_by_sync(harness):
    await users(harness, "owner", "sleeper")
    group_id = await make_group(harness, "owner", ("sleeper",))
    sender = await harness.device("owner")
    for i in range(3):
        await send(sender, group_id, f"while you slept {i}")

    device = await harness.device("sleeper")
    cursors = await device.api("/v1/sync/cursors")
    pulled = await device.api(
        "/v1/sync/messages", {"conversationId": f"group|{group_id}"}
    )

    conversation = next(
        c
        for c in cursors["conversations"]
        if c["conversationId"] == f"group|{group_id}"
    )
    assert conversation["lastSequence"] == 3 and conversation["conversationType"] == 1
    assert [m["messageSequence"] for m in pulled["dataList"]] == [1, 2, 3]
    assert pulled["completed"] is True


async def test_a_late_joiner_sees_from_their_join_and_a_removed_member_keeps_theirs(
    harness,
):
    await users(harness, "owner", "early", "late")
    group_id = await make_group(harness, "owner", ("early",))
    conversation_id = f"group|{group_id}"
    sender = await harness.device("owner")
    for i in range(3):
        await send(sender, group_id, f"before {i}")
    await op(
        harness, "owner", "/v1/group/member/add", groupId=group_id, memberIds=["late"]
    )
    for i in range(2):
        await send(sender, group_id, f"after {i}")
    await op(
        harness, "owner", "/v1/group/member/remove", groupId=group_id, memberId="early"
    )
    await send(sender, group_id, "after removal")

    late = await harness.device("late")
    early = await harness.device("early")
    late_pull = await late.api("/v1/sync/messages", {"conversationId": conversation_id})
    early_pull = await early.api(
        "/v1/sync/messages", {"conversationId": conversation_id}
    )
    early_cursor = next(
        c
        for c in (await early.api("/v1/sync/cursors"))["conversations"]
        if c["conversationId"] == conversation_id
    )
    early_history = await early.api(
        "/v1/message/history", {"conversationId": conversation_id}
    )

    assert [m["messageSequence"] for m in late_pull["dataList"]] == [4, 5, 6]
    assert [m["messageSequence"] for m in early_pull["dataList"]] == [1, 2, 3, 4, 5]
    assert early_cursor["lastSequence"] == 5
    assert [m["messageSequence"] for m in early_history] == [1, 2, 3, 4, 5]


async def test_groups_sync_kind_reports_joins_and_tombstones(harness):
    await users(harness, "owner", "bob")
    kept = await make_group(harness, "owner", ("bob",), name="kept")
    left = await make_group(harness, "owner", ("bob",), name="left")
    dismissed = await make_group(harness, "owner", ("bob",), name="dismissed")
    bob = caller(harness, "bob")
    sync = harness.server.services.sync

    first = sync.pull(bob, "groups", 0, 100)
    await op(harness, "bob", "/v1/group/member/leave", groupId=left)
    await op(harness, "owner", "/v1/group/dismiss", groupId=dismissed)
    await op(harness, "owner", "/v1/group/update", groupId=kept, notice="news")
    cursor = first["maxSequence"]
    changed = sync.pull(bob, "groups", cursor, 100)

    assert {row["groupId"] for row in first["dataList"]} == {kept, left, dismissed}
    assert sync.cursors(bob)["kinds"]["groups"] == changed["maxSequence"]
    by_id = {row["groupId"]: row for row in changed["dataList"]}
    assert by_id[left]["deleted"] is True and by_id[dismissed]["deleted"] is True
    assert by_id[kept]["deleted"] is False and by_id[kept]["notice"] == "news"
    assert changed["completed"] is True


async def test_member_sync_of_one_group_returns_changes_with_tombstones(harness):
    await users(harness, "owner", "bob", "carol")
    group_id = await make_group(harness, "owner", ("bob", "carol"))
    first = await op(harness, "owner", "/v1/group/member/sync", groupId=group_id)

    await op(
        harness, "owner", "/v1/group/member/remove", groupId=group_id, memberId="bob"
    )
    await op(
        harness,
        "owner",
        "/v1/group/member/update",
        groupId=group_id,
        memberId="carol",
        alias="cc",
    )
    changed = await op(
        harness,
        "owner",
        "/v1/group/member/sync",
        groupId=group_id,
        lastSequence=first["maxSequence"],
    )

    assert {m["memberId"] for m in first["dataList"]} == {"owner", "bob", "carol"}
    assert [(m["memberId"], m["deleted"]) for m in changed["dataList"]] == [
        ("bob", True),
        ("carol", False),
    ]


# read state


async def test_group_read_moves_the_read_sequence_and_tells_other_devices(harness):
    await users(harness, "owner", "bob", "carol")
    group_id = await make_group(harness, "owner", ("bob", "carol"))
    sender = await harness.device("owner")
    for i in range(3):
        await send(sender, group_id, f"m{i}")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")

    read = await bob_phone.request(
        Command.GROUP_MSG_READ, {"groupId": group_id, "messageSequence": 2}
    )
    notice = await bob_laptop.next_event(Command.GROUP_MSG_READ_NOTIFY)
    counts = await op(
        harness,
        "owner",
        "/v1/group/message/readcount",
        groupId=group_id,
        messageSequences=[1, 3, 9],
    )
    cursor = next(
        c
        for c in (await bob_laptop.api("/v1/sync/cursors"))["conversations"]
        if c["conversationId"] == f"group|{group_id}"
    )

    assert read == {"groupId": group_id, "messageSequence": 2}
    assert notice.body["messageSequence"] == 2 and notice.body["groupId"] == group_id
    assert await quiet(bob_phone, Command.GROUP_MSG_READ_NOTIFY)
    assert counts[0]["readCount"] == 1 and counts[0]["unreadCount"] == 1
    assert counts[1]["readCount"] == 0 and counts[1]["unreadCount"] == 2
    assert counts[2]["found"] is False
    assert cursor["readSequence"] == 2


async def test_reading_past_the_end_is_clamped_and_outsiders_are_refused(harness):
    await users(harness, "owner", "outsider")
    group_id = await make_group(harness, "owner")
    owner = await harness.device("owner")
    outsider = await harness.device("outsider")
    await send(owner, group_id, "only one")

    read = await owner.request(
        Command.GROUP_MSG_READ, {"groupId": group_id, "messageSequence": 50}
    )
    with pytest.raises(LimClientError) as refused:
        await outsider.request(
            Command.GROUP_MSG_READ, {"groupId": group_id, "messageSequence": 1}
        )

    assert read["messageSequence"] == 1
    assert refused.value.code == NOT_MEMBER


# notifications


async def test_info_changes_reach_all_members_and_member_changes_only_managers(
    harness,
):
    await users(harness, "owner", "manager", "member", "target")
    group_id = await make_group(harness, "owner", ("manager", "member", "target"))
    await op(
        harness,
        "owner",
        "/v1/group/member/update",
        groupId=group_id,
        memberId="manager",
        role="manager",
    )
    devices = {
        name: await harness.device(name) for name in ("manager", "member", "target")
    }

    await op(harness, "owner", "/v1/group/update", groupId=group_id, name="renamed")
    updated = [
        await devices[name].next_event(Command.GROUP_UPDATED) for name in devices
    ]
    await op(
        harness,
        "owner",
        "/v1/group/member/mute",
        groupId=group_id,
        memberId="target",
        seconds=60,
    )
    muted = [
        await devices[name].next_event(Command.GROUP_MEMBER_MUTED)
        for name in ("manager", "target")
    ]

    assert {event.body["changes"]["name"] for event in updated} == {"renamed"}
    assert updated[0].body["operator"] == "owner"
    assert {event.body["memberId"] for event in muted} == {"target"}
    assert await quiet(devices["member"], Command.GROUP_MEMBER_MUTED)


async def test_dismissal_reaches_every_member(harness):
    await users(harness, "owner", "bob", "carol")
    group_id = await make_group(harness, "owner", ("bob", "carol"))
    bob, carol = await harness.device("bob"), await harness.device("carol")

    await op(harness, LOCAL_ADMIN, "/v1/group/dismiss", groupId=group_id)

    for device in (bob, carol):
        event = await device.next_event(Command.GROUP_DISMISSED)
        assert event.body == {"groupId": group_id, "operator": LOCAL_ADMIN}


# imports


async def test_imports_report_bad_rows_by_index_and_send_no_notifications(harness):
    await users(harness, "alice", "bob", "carol")
    bob = await harness.device("bob")

    groups = await op(
        harness,
        LOCAL_ADMIN,
        "/v1/group/import",
        groups=[
            {"groupId": "ops", "name": "Ops", "ownerId": "alice"},
            {"groupId": "dev", "name": "Dev", "ownerId": "nobody"},
            {"groupId": "ops", "name": "Again", "ownerId": "alice"},
            {"name": "no id", "ownerId": "alice"},
            {"groupId": "pub", "ownerId": "alice", "type": "public"},
        ],
    )
    members = await op(
        harness,
        LOCAL_ADMIN,
        "/v1/group/member/import",
        members=[
            {"groupId": "ops", "memberId": "bob", "role": "manager"},
            {"groupId": "ops", "memberId": "bob"},
            {"groupId": "nope", "memberId": "carol"},
            {"groupId": "pub", "memberId": "carol", "alias": "C"},
            {"groupId": "ops", "memberId": "carol", "role": "owner"},
        ],
    )
    refused = await code_of(
        harness,
        "alice",
        "/v1/group/import",
        groups=[{"groupId": "x", "ownerId": "alice"}],
    )

    assert groups["imported"] == 2
    assert [(r["index"], r["code"]) for r in groups["rejected"]] == [
        (1, 20000),
        (2, 40001),
        (3, 90001),
    ]
    assert members["imported"] == 2
    assert [(r["index"], r["code"]) for r in members["rejected"]] == [
        (1, 40005),
        (2, 40000),
        (4, 90001),
    ]
    assert (
        harness.server.services.groups.role_of(harness.app_id, "ops", "bob")
        == "manager"
    )
    assert refused == 60008
    assert await quiet(bob, Command.GROUP_MEMBER_ADDED)


# a big group


async def test_a_message_to_a_thousand_members_reaches_every_online_member(harness):
    services = harness.server.services
    names = [f"u{i:04d}" for i in range(1000)]
    await services.users.import_many(
        harness.app_id,
        [services.users.validate_import_row({"userId": name}) for name in names],
    )
    await op(
        harness,
        LOCAL_ADMIN,
        "/v1/group/import",
        groups=[{"groupId": "big", "ownerId": names[0]}],
    )
    result = await op(
        harness,
        LOCAL_ADMIN,
        "/v1/group/member/import",
        members=[{"groupId": "big", "memberId": name} for name in names[1:]],
    )
    assert result["imported"] == 999

    devices = []
    for start in range(0, 1000, 100):
        devices += await asyncio.gather(
            *(harness.device(name) for name in names[start : start + 100])
        )
    sender, receivers = devices[0], devices[1:]

    async def arrive(device: ClientSession, arrivals: list[float]) -> None:
        await device.next_event(Command.MSG_GROUP, timeout=60)
        arrivals.append(time.perf_counter())

    rounds = []
    for round_number in range(3):
        arrivals: list[float] = []
        waiting = [asyncio.ensure_future(arrive(d, arrivals)) for d in receivers]
        # Let every waiter reach its first await before the clock starts.
        for _ in range(3):
            await asyncio.sleep(0)

        started = time.perf_counter()
        ack = await send(sender, "big", f"hello, thousand ({round_number})")
        acked = time.perf_counter()
        await asyncio.gather(*waiting)
        reached, _, pushing = services.groups.messenger.last_fanout
        rounds.append((acked - started, max(arrivals) - started, pushing))

        assert ack["messageSequence"] == round_number + 1
        assert len(arrivals) == 999 and reached == 999

    ack_s, last_s, fanout_s = (
        sorted(column)[1] for column in zip(*rounds, strict=True)
    )
    print(
        f"\n1000-member group, median of 3: ack {1000 * ack_s:.1f} ms, last of 999 "
        f"deliveries {1000 * last_s:.1f} ms after send, server push time "
        f"{1000 * fanout_s:.1f} ms ({1e6 * fanout_s / 999:.1f} us per recipient)"
    )


async def test_the_visible_range_hook_keeps_an_earlier_hook(harness):
    services = harness.server.services
    sync = SyncService(services.store)
    sync.visible_range = lambda caller, row: (2, 7)
    GroupService(services.store, services.router, sync, services.messages)
    await users(harness, "owner", "gone")
    group_id = await make_group(harness, "owner", ("gone",))
    sender = await harness.device("owner")
    for i in range(3):
        await send(sender, group_id, f"m{i}")
    await op(
        harness, "owner", "/v1/group/member/remove", groupId=group_id, memberId="gone"
    )
    p2p = {"conversation_type": 0, "start_sequence": 0, "last_sequence": 9}
    group = {
        "conversation_type": 1,
        "peer_id": group_id,
        "start_sequence": 0,
        "last_sequence": 9,
    }

    assert sync.visible_range(caller(harness, "gone"), p2p) == (2, 7)
    assert sync.visible_range(caller(harness, "gone"), group) == (2, 3)


async def test_read_counts_leave_out_the_sender_and_later_joiners(harness):
    await users(harness, "owner", "bob", "carol", "dave")
    group_id = await make_group(harness, "owner", ("bob", "carol"))
    owner = await harness.device("owner")
    for i in range(3):
        await send(owner, group_id, f"early {i}")
    await op(
        harness, "owner", "/v1/group/member/add", groupId=group_id, memberIds=["dave"]
    )
    await send(owner, group_id, "for dave too")
    carol = await harness.device("carol")
    await send(carol, group_id, "from carol")
    for reader, sequence in (("bob", 2), ("dave", 4), ("carol", 5)):
        device = await harness.device(reader)
        await device.request(
            Command.GROUP_MSG_READ, {"groupId": group_id, "messageSequence": sequence}
        )

    counts = await op(
        harness,
        "bob",
        "/v1/group/message/readcount",
        groupId=group_id,
        messageSequences=[5, 1, 3, 4],
    )

    assert [(c["readCount"], c["unreadCount"]) for c in counts] == [
        (0, 3),
        (2, 0),
        (1, 1),
        (2, 1),
    ]
