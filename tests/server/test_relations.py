"""Relations over a real server: friends, requests, groups, blacklist, checks."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lim_client.session import ClientSession, Event, LimClientError
from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode
from lim_server.api.operations import dispatch
from lim_server.models import LOCAL_ADMIN
from lim_server.services.context import Caller

RELATION_EVENTS = {int(c) for c in Command if 3000 <= c < 4000}


def caller(harness: Any, user_id: str) -> Caller:
    """A caller without a device, as over HTTP: every device gets the events."""
    return Caller(harness.app, user_id, user_id, False)


def admin(harness: Any) -> Caller:
    return Caller(harness.app, LOCAL_ADMIN, LOCAL_ADMIN, True)


async def call(harness: Any, user_id: str, path: str, **body: Any) -> Any:
    return await dispatch(harness.server.services, caller(harness, user_id), path, body)


async def refused(code: int, coro: Any) -> None:
    with pytest.raises(Exception) as info:
        await coro
    assert getattr(info.value, "code", None) == code, info.value


async def collect(session: ClientSession) -> list[Event]:
    """Relation events that reached a device before a PING round trip."""
    await session.send(Command.PING, {})
    events = []
    while True:
        event = await session.next_event(timeout=10)
        if event.command == Command.PING:
            return [e for e in events if e.command in RELATION_EVENTS]
        events.append(event)


def commands(events: list[Event]) -> list[int]:
    return [event.command for event in events]


async def settings(harness: Any, **changes: Any) -> None:
    await harness.server.services.apps.update_settings(harness.app_id, changes)


# adding friends


async def test_adding_a_free_user_makes_both_rows_and_tells_every_other_device(
    harness,
):
    await harness.user("alice")
    await harness.user("bob")
    a1, a2 = await harness.device("alice"), await harness.device("alice")
    b1, b2 = await harness.device("bob"), await harness.device("bob")

    reply = await a1.api("/v1/friend/add", {"toId": "bob", "remark": "Bobby"})

    assert reply["added"] is True
    assert reply["friendship"]["remark"] == "Bobby"
    assert await collect(a1) == []
    [event] = await collect(a2)
    assert event.command == Command.FRIEND_ADDED
    assert (event.body["fromId"], event.body["toId"]) == ("alice", "bob")
    for device in (b1, b2):
        [event] = await collect(device)
        assert event.command == Command.FRIEND_ADDED
        assert (event.body["fromId"], event.body["toId"]) == ("bob", "alice")
        assert event.body["status"] == 1
    checked = await a1.api("/v1/friend/check", {"toIds": ["bob"]})
    assert checked["results"] == [{"toId": "bob", "relation": "both"}]


async def test_request_then_approve_gives_both_rows_and_events_on_four_devices(
    harness,
):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)
    a1, a2 = await harness.device("alice"), await harness.device("alice")
    b1, b2 = await harness.device("bob"), await harness.device("bob")

    reply = await a1.api(
        "/v1/friend/add", {"toId": "bob", "wording": "hi", "addSource": "search"}
    )
    assert reply["added"] is False
    request_id = reply["request"]["requestId"]
    assert await collect(a1) == []
    assert commands(await collect(a2)) == [Command.FRIEND_REQUEST]
    for device in (b1, b2):
        [event] = await collect(device)
        assert event.command == Command.FRIEND_REQUEST
        assert event.body["wording"] == "hi"
        assert event.body["direction"] == "received"
    await refused(
        ErrorCode.FRIEND_NOT_FOUND, call(harness, "alice", "/v1/friend/get", toId="bob")
    )

    services = harness.server.services
    approved = await services.relations.approve(
        caller(harness, "bob"), request_id, _fields(remark="Alice")
    )

    assert approved["request"]["status"] == 1
    assert approved["friendship"]["remark"] == "Alice"
    for device, owner in ((a1, "alice"), (a2, "alice"), (b1, "bob"), (b2, "bob")):
        events = await collect(device)
        assert commands(events) == [
            Command.FRIEND_REQUEST_APPROVED,
            Command.FRIEND_ADDED,
        ]
        assert events[1].body["fromId"] == owner
    mine = await call(harness, "alice", "/v1/friend/get", toId="bob")
    theirs = await call(harness, "bob", "/v1/friend/get", toId="alice")
    assert mine["status"] == theirs["status"] == 1
    assert mine["addSource"] == theirs["addSource"] == "search"


async def test_approving_over_the_socket_answers_the_approving_device_in_its_reply(
    harness,
):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)
    b1, b2 = await harness.device("bob"), await harness.device("bob")
    sent = await call(harness, "alice", "/v1/friend/add", toId="bob")
    await collect(b1)
    await collect(b2)

    reply = await b1.api(
        "/v1/friend/request/approve", {"requestId": sent["request"]["requestId"]}
    )

    assert reply["friendship"]["fromId"] == "bob"
    assert reply["request"]["status"] == 1
    assert await collect(b1) == []
    assert commands(await collect(b2)) == [
        Command.FRIEND_REQUEST_APPROVED,
        Command.FRIEND_ADDED,
    ]


async def test_a_repeated_request_updates_the_pending_one(harness):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)
    first = await call(harness, "alice", "/v1/friend/add", toId="bob", wording="one")
    await call(harness, "bob", "/v1/friend/request/read")

    second = await call(harness, "alice", "/v1/friend/add", toId="bob", wording="two")

    assert second["request"]["requestId"] == first["request"]["requestId"]
    listed = await call(harness, "bob", "/v1/friend/request/list")
    assert [(r["wording"], r["read"]) for r in listed["requests"]] == [("two", False)]
    sent = await call(harness, "alice", "/v1/friend/request/list", direction="sent")
    assert [r["direction"] for r in sent["requests"]] == ["sent"]


async def test_a_request_is_approved_by_the_other_side_adding_back(harness):
    await harness.user("alice", friendPolicy=2)
    await harness.user("bob", friendPolicy=2)
    await call(harness, "alice", "/v1/friend/add", toId="bob")
    await call(harness, "bob", "/v1/friend/request/approve", requestId=1)

    # alice deletes bob; bob still has her, so adding him back needs no request
    await call(harness, "alice", "/v1/friend/delete", toId="bob")
    again = await call(harness, "alice", "/v1/friend/add", toId="bob")

    assert again["added"] is True
    checked = await call(harness, "alice", "/v1/friend/check", toIds=["bob"])
    assert checked["results"][0]["relation"] == "both"


async def test_marking_requests_read_tells_the_readers_other_devices(harness):
    await harness.user("alice")
    await harness.user("carol")
    await harness.user("bob", friendPolicy=2)
    await call(harness, "alice", "/v1/friend/add", toId="bob")
    await call(harness, "carol", "/v1/friend/add", toId="bob")
    b1, b2 = await harness.device("bob"), await harness.device("bob")

    reply = await b1.api("/v1/friend/request/read", {})

    assert reply["read"] == 2
    assert await collect(b1) == []
    [event] = await collect(b2)
    assert event.command == Command.FRIEND_REQUEST_READ
    assert event.body["requestIds"] == reply["requestIds"]
    again = await call(harness, "bob", "/v1/friend/request/read")
    assert again["read"] == 0


async def test_rejecting_tells_the_requester_and_cannot_be_undone_by_approval(
    harness,
):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)
    a1 = await harness.device("alice")
    sent = await call(harness, "alice", "/v1/friend/add", toId="bob")
    request_id = sent["request"]["requestId"]

    rejected = await call(
        harness, "bob", "/v1/friend/request/reject", requestId=request_id
    )

    assert rejected["status"] == 2
    assert commands(await collect(a1)) == [
        Command.FRIEND_REQUEST,
        Command.FRIEND_REQUEST_REJECTED,
    ]
    await refused(
        ErrorCode.FRIEND_REQUEST_HANDLED,
        call(harness, "bob", "/v1/friend/request/approve", requestId=request_id),
    )
    pending = await call(harness, "bob", "/v1/friend/request/list", pendingOnly=True)
    assert pending["requests"] == []


async def test_bad_adds_and_approvals_are_refused_with_their_codes(harness):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol", friendPolicy=2)
    await harness.user("dave")

    await refused(
        ErrorCode.USER_NOT_FOUND, call(harness, "alice", "/v1/friend/add", toId="zed")
    )
    await refused(
        ErrorCode.FRIEND_SELF, call(harness, "alice", "/v1/friend/add", toId="alice")
    )
    await call(harness, "alice", "/v1/friend/add", toId="bob")
    await refused(
        ErrorCode.FRIEND_EXISTS, call(harness, "alice", "/v1/friend/add", toId="bob")
    )
    sent = await call(harness, "alice", "/v1/friend/add", toId="carol")
    request_id = sent["request"]["requestId"]
    await refused(
        ErrorCode.FRIEND_REQUEST_NOT_FOUND,
        call(harness, "dave", "/v1/friend/request/approve", requestId=request_id),
    )
    await refused(
        ErrorCode.FRIEND_REQUEST_NOT_FOUND,
        call(harness, "alice", "/v1/friend/request/approve", requestId=request_id),
    )
    await refused(
        ErrorCode.FRIEND_REQUEST_NOT_FOUND,
        call(harness, "carol", "/v1/friend/request/approve", requestId=999),
    )
    await call(harness, "carol", "/v1/friend/request/approve", requestId=request_id)
    await refused(
        ErrorCode.FRIEND_REQUEST_HANDLED,
        call(harness, "carol", "/v1/friend/request/approve", requestId=request_id),
    )
    await refused(
        ErrorCode.FRIEND_REQUEST_HANDLED,
        call(harness, "carol", "/v1/friend/request/reject", requestId=request_id),
    )
    await refused(
        ErrorCode.FRIEND_NOT_FOUND,
        call(harness, "alice", "/v1/friend/update", toId="dave", remark="x"),
    )
    await refused(
        ErrorCode.FRIEND_NOT_FOUND,
        call(harness, "alice", "/v1/friend/delete", toId="dave"),
    )
    await refused(
        ErrorCode.INVALID_PARAMS,
        call(harness, "alice", "/v1/friend/add", toId="bob", remark="x" * 500),
    )

    # nothing of the refusals was written: dave is nobody's friend
    assert harness.server.services.relations.friend_ids(harness.app_id, "dave") == []
    assert sorted(
        harness.server.services.relations.friend_ids(harness.app_id, "alice")
    ) == ["bob", "carol"]


async def test_an_admin_acts_for_a_user_and_others_may_not(harness):
    await harness.user("alice")
    await harness.user("bob")
    services = harness.server.services

    await dispatch(
        services, admin(harness), "/v1/friend/add", {"toId": "bob", "asUser": "alice"}
    )

    assert services.relations.friend_ids(harness.app_id, "alice") == ["bob"]
    await refused(
        ErrorCode.PERMISSION_DENIED,
        call(harness, "bob", "/v1/friend/delete", toId="alice", asUser="alice"),
    )


# one friend's row


async def test_update_get_list_and_delete_one_friend(harness):
    for name in ("alice", "bob", "carol", "dave"):
        await harness.user(name)
    for name in ("bob", "carol", "dave"):
        await call(harness, "alice", "/v1/friend/add", toId=name)
    a2 = await harness.device("alice")

    updated = await call(
        harness, "alice", "/v1/friend/update", toId="bob", remark="B", extra={"k": 1}
    )

    assert (updated["remark"], updated["extra"]) == ("B", {"k": 1})
    assert commands(await collect(a2)) == [Command.FRIEND_UPDATED]
    got = await call(harness, "alice", "/v1/friend/get", toId="bob")
    assert got["remark"] == "B" and got["addSource"] == ""
    page = await call(harness, "alice", "/v1/friend/list", limit=2)
    assert [f["toId"] for f in page["friendships"]] == ["bob", "carol"]
    rest = await call(harness, "alice", "/v1/friend/list", after=page["next"])
    assert [f["toId"] for f in rest["friendships"]] == ["dave"]

    deleted = await call(harness, "alice", "/v1/friend/delete", toId="bob")

    assert deleted["friendship"]["status"] == 2
    assert commands(await collect(a2)) == [Command.FRIEND_DELETED]
    checked = await call(
        harness, "alice", "/v1/friend/check", toIds=["bob", "carol", "zed"]
    )
    assert [r["relation"] for r in checked["results"]] == ["b_has_a", "both", "none"]
    one_way = await call(
        harness, "bob", "/v1/friend/check", toIds=["alice"], twoWay=False
    )
    assert one_way["results"][0]["relation"] == "a_has_b"


async def test_deleting_all_friends_leaves_their_rows_and_empties_the_groups(harness):
    for name in ("alice", "bob", "carol"):
        await harness.user(name)
    for name in ("bob", "carol"):
        await call(harness, "alice", "/v1/friend/add", toId=name)
    await call(
        harness, "alice", "/v1/friend/group/create", name="work", members=["bob"]
    )
    a2 = await harness.device("alice")

    result = await call(harness, "alice", "/v1/friend/delete-all")

    assert result == {"deleted": 2, "toIds": ["bob", "carol"]}
    assert commands(await collect(a2)) == [
        Command.FRIENDS_DELETED_ALL,
        Command.FRIEND_GROUP_MEMBER_DELETED,
    ]
    assert (await call(harness, "alice", "/v1/friend/list"))["friendships"] == []
    groups = await call(harness, "alice", "/v1/friend/group/list")
    assert groups["groups"][0]["members"] == []
    assert harness.server.services.relations.friend_ids(harness.app_id, "bob") == [
        "alice"
    ]


# friend groups


async def test_friend_groups_hold_friends_and_refuse_everyone_else(harness):
    for name in ("alice", "bob", "carol", "dave"):
        await harness.user(name)
    for name in ("bob", "carol"):
        await call(harness, "alice", "/v1/friend/add", toId=name)
    a1, a2 = await harness.device("alice"), await harness.device("alice")

    created = await a1.api(
        "/v1/friend/group/create", {"name": "work", "members": ["bob"]}
    )
    added = await a1.api("/v1/friend/group/add", {"name": "work", "members": ["carol"]})
    removed = await a1.api(
        "/v1/friend/group/remove", {"name": "work", "members": ["bob"]}
    )

    assert created["members"] == ["bob"]
    assert added["members"] == ["bob", "carol"]
    assert removed["members"] == ["carol"]
    assert await collect(a1) == []
    assert commands(await collect(a2)) == [
        Command.FRIEND_GROUP_CREATED,
        Command.FRIEND_GROUP_MEMBER_ADDED,
        Command.FRIEND_GROUP_MEMBER_DELETED,
    ]

    await refused(
        ErrorCode.FRIEND_NOT_FOUND,
        call(harness, "alice", "/v1/friend/group/add", name="work", members=["dave"]),
    )
    await refused(
        ErrorCode.FRIEND_NOT_FOUND,
        call(
            harness,
            "alice",
            "/v1/friend/group/create",
            name="home",
            members=["bob", "dave"],
        ),
    )
    await refused(
        ErrorCode.FRIEND_GROUP_EXISTS,
        call(harness, "alice", "/v1/friend/group/create", name="work"),
    )
    await refused(
        ErrorCode.FRIEND_GROUP_NOT_FOUND,
        call(harness, "alice", "/v1/friend/group/add", name="gym", members=["bob"]),
    )
    await refused(
        ErrorCode.FRIEND_NOT_FOUND,
        call(harness, "alice", "/v1/friend/group/remove", name="work", members=["bob"]),
    )

    # the refused "home" left nothing behind
    listed = await call(harness, "alice", "/v1/friend/group/list")
    assert [(g["name"], g["members"]) for g in listed["groups"]] == [
        ("work", ["carol"])
    ]

    await call(harness, "alice", "/v1/friend/group/delete", name="work")
    assert (await call(harness, "alice", "/v1/friend/group/list"))["groups"] == []
    await refused(
        ErrorCode.FRIEND_GROUP_NOT_FOUND,
        call(harness, "alice", "/v1/friend/group/delete", name="work"),
    )
    again = await call(harness, "alice", "/v1/friend/group/create", name="work")
    assert again["members"] == [] and again["deleted"] is False


# blacklist


async def test_blocking_keeps_the_friendship_and_unblocking_restores_it(harness):
    for name in ("alice", "bob", "carol"):
        await harness.user(name)
    await call(harness, "alice", "/v1/friend/add", toId="bob", remark="B")
    relations = harness.server.services.relations
    a2 = await harness.device("alice")

    blocked = await call(harness, "alice", "/v1/blacklist/add", toId="bob")

    assert (blocked["status"], blocked["black"], blocked["remark"]) == (1, True, "B")
    assert commands(await collect(a2)) == [Command.BLACKLIST_ADDED]
    assert relations.is_blocked(harness.app_id, "alice", "bob")
    assert not relations.is_blocked(harness.app_id, "bob", "alice")
    assert relations.friend_ids(harness.app_id, "alice") == []
    listed = await call(harness, "alice", "/v1/blacklist/list")
    assert [row["toId"] for row in listed["blocked"]] == ["bob"]
    checked = await call(
        harness, "bob", "/v1/blacklist/check", toIds=["alice", "carol"]
    )
    assert [r["relation"] for r in checked["results"]] == ["b_blocked_a", "none"]
    await refused(
        ErrorCode.BLACKLIST_EXISTS,
        call(harness, "alice", "/v1/blacklist/add", toId="bob"),
    )

    await call(harness, "alice", "/v1/blacklist/remove", toId="bob")

    assert commands(await collect(a2)) == [Command.BLACKLIST_DELETED]
    restored = await call(harness, "alice", "/v1/friend/get", toId="bob")
    assert (restored["status"], restored["black"], restored["remark"]) == (
        1,
        False,
        "B",
    )
    assert relations.friend_ids(harness.app_id, "alice") == ["bob"]
    await refused(
        ErrorCode.BLACKLIST_NOT_FOUND,
        call(harness, "alice", "/v1/blacklist/remove", toId="bob"),
    )


async def test_blocking_a_stranger_makes_no_friend_and_refuses_their_adds(harness):
    for name in ("alice", "bob"):
        await harness.user(name)

    await call(harness, "alice", "/v1/blacklist/add", toId="bob")

    assert (await call(harness, "alice", "/v1/friend/list"))["friendships"] == []
    await refused(
        ErrorCode.BLOCKED_BY_RECEIVER,
        call(harness, "bob", "/v1/friend/add", toId="alice"),
    )
    await refused(
        ErrorCode.USER_NOT_FOUND,
        call(harness, "alice", "/v1/blacklist/add", toId="nobody"),
    )
    await refused(
        ErrorCode.FRIEND_SELF,
        call(harness, "alice", "/v1/blacklist/add", toId="alice"),
    )


# incremental sync


async def _pull(harness: Any, user_id: str, kind: str, last: int) -> dict[str, Any]:
    return await call(
        harness, user_id, "/v1/sync/pull", kind=kind, lastSequence=last, maxLimit=1000
    )


async def test_sync_after_changes_returns_exactly_the_changed_rows_and_tombstones(
    harness,
):
    for name in ("alice", "bob", "carol", "dave"):
        await harness.user(name)
    for name in ("bob", "carol", "dave"):
        await call(harness, "alice", "/v1/friend/add", toId=name)
    await call(harness, "alice", "/v1/friend/group/create", name="g", members=["bob"])
    cursors = (await call(harness, "alice", "/v1/sync/cursors"))["kinds"]
    assert cursors["friends"] == 3 and cursors["friendGroups"] >= 1

    await call(harness, "alice", "/v1/friend/update", toId="carol", remark="C")
    await call(harness, "alice", "/v1/friend/delete", toId="bob")
    await call(harness, "alice", "/v1/blacklist/add", toId="dave")

    pulled = await _pull(harness, "alice", "friends", cursors["friends"])
    rows = pulled["dataList"]
    assert [(r["toId"], r["status"], r["black"]) for r in rows] == [
        ("carol", 1, False),
        ("bob", 2, False),
        ("dave", 1, True),
    ]
    assert [r["sequence"] for r in rows] == [4, 5, 6]
    assert pulled["completed"] is True and pulled["maxSequence"] == 6
    groups = await _pull(harness, "alice", "friendGroups", cursors["friendGroups"])
    assert [(g["name"], g["members"]) for g in groups["dataList"]] == [("g", [])]
    nothing = await _pull(harness, "alice", "friends", 6)
    assert nothing["dataList"] == [] and nothing["completed"] is True

    # the friends kind pages by sequence
    first = await call(
        harness, "alice", "/v1/sync/pull", kind="friends", lastSequence=0, maxLimit=2
    )
    assert [r["sequence"] for r in first["dataList"]] == [4, 5]
    assert first["completed"] is False


async def test_friend_requests_sync_for_both_sender_and_recipient(harness):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)

    sent = await call(harness, "alice", "/v1/friend/add", toId="bob", wording="w")
    request_id = sent["request"]["requestId"]
    bob_mark = (await call(harness, "bob", "/v1/sync/cursors"))["kinds"]
    alice_mark = (await call(harness, "alice", "/v1/sync/cursors"))["kinds"]
    await call(harness, "bob", "/v1/friend/request/reject", requestId=request_id)

    for user, mark in (("bob", bob_mark), ("alice", alice_mark)):
        pulled = await _pull(harness, user, "friendRequests", mark["friendRequests"])
        [row] = pulled["dataList"]
        assert (row["requestId"], row["status"]) == (request_id, 2)
    everything = await _pull(harness, "bob", "friendRequests", 0)
    assert len(everything["dataList"]) == 1


# bulk import


async def test_import_reports_bad_rows_by_index_and_imports_the_rest(harness):
    for name in ("alice", "bob", "carol"):
        await harness.user(name)
    rows = [
        {"fromId": "alice", "toId": "bob", "remark": "B"},
        {"fromId": "alice", "toId": "alice"},
        {"fromId": "alice", "toId": "nobody"},
        {"fromId": "alice", "to": "carol"},
        {"fromId": "carol", "toId": "alice", "addSource": "crm", "extra": {"x": 1}},
        {"fromId": "bob", "toId": "carol", "remark": None, "extra": None},
        {"fromId": "bob", "toId": "alice", "remark": "x" * 200},
    ]
    b1 = await harness.device("bob")

    result = await dispatch(
        harness.server.services,
        admin(harness),
        "/v1/friend/import",
        {"friendships": rows},
    )

    assert result["imported"] == 3
    assert [(r["index"], r["code"]) for r in result["rejected"]] == [
        (1, ErrorCode.FRIEND_SELF),
        (2, ErrorCode.USER_NOT_FOUND),
        (3, ErrorCode.INVALID_PARAMS),
        (6, ErrorCode.INVALID_PARAMS),
    ]
    assert result["rejected"][2]["msg"] == "unknown field 'to'"
    assert await collect(b1) == []
    got = await call(harness, "carol", "/v1/friend/get", toId="alice")
    assert (got["addSource"], got["extra"]) == ("crm", {"x": 1})
    await refused(
        ErrorCode.PERMISSION_DENIED,
        call(harness, "alice", "/v1/friend/import", friendships=rows),
    )


async def test_import_of_100000_friendships(harness):
    services = harness.server.services
    names = [f"u{n:04d}" for n in range(1001)]
    users = [services.users.validate_import_row({"userId": n}) for n in names]
    await services.users.import_many(harness.app_id, users)
    rows = [
        {"fromId": names[owner], "toId": names[(owner + k) % 1001]}
        for owner in range(100)
        for k in range(1, 1001)
    ]
    assert len(rows) == 100_000

    started = time.perf_counter()
    result = await services.relations.import_many(admin(harness), rows)
    elapsed = time.perf_counter() - started

    print(f"\nimported 100000 friendships in {elapsed:.2f} s")
    assert result == {"imported": 100_000, "rejected": []}
    assert services.store.relations.count(harness.app_id) == 100_000
    cursors = await call(harness, "u0000", "/v1/sync/cursors")
    assert cursors["kinds"]["friends"] == 1000


def _fields(**values: Any) -> Any:
    from lim_server.store.relations import FriendFields

    return FriendFields(**values)


async def test_two_users_on_two_devices_each_stay_in_step_over_the_socket(harness):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)
    a1, a2 = (
        await harness.device("alice"),
        await harness.device("alice", transport="ws"),
    )
    b1, b2 = await harness.device("bob"), await harness.device("bob", transport="ws")

    asked = await a1.api("/v1/friend/add", {"toId": "bob", "wording": "hey"})
    request_id = asked["request"]["requestId"]
    for device in (b1, b2, a2):
        assert commands(await collect(device)) == [Command.FRIEND_REQUEST]
    await b2.api("/v1/friend/request/approve", {"requestId": request_id})
    for device in (a1, a2, b1):
        assert commands(await collect(device)) == [
            Command.FRIEND_REQUEST_APPROVED,
            Command.FRIEND_ADDED,
        ]
    assert await collect(b2) == []

    await a2.api("/v1/friend/group/create", {"name": "close", "members": ["bob"]})
    assert commands(await collect(a1)) == [Command.FRIEND_GROUP_CREATED]

    await b1.api("/v1/blacklist/add", {"toId": "alice"})
    assert commands(await collect(b2)) == [Command.BLACKLIST_ADDED]
    with pytest.raises(LimClientError) as info:
        await a1.send_message("bob", {"type": "text", "text": "hello?"})
    assert info.value.code == ErrorCode.BLOCKED_BY_RECEIVER

    await b2.api("/v1/blacklist/remove", {"toId": "alice"})
    assert commands(await collect(b1)) == [Command.BLACKLIST_DELETED]
    await a1.send_message("bob", {"type": "text", "text": "hello"})
    for device in (b1, b2):
        event = await device.next_event(Command.MSG_P2P)
        assert event.body["messageBody"]["text"] == "hello"
