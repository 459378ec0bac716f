"""Recall: tombstones, notifications, window, permissions and sync."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lim_client.session import ClientSession, LimClientError
from lim_protocol.commands import Command
from lim_server.models import p2p_conversation_id

AB = p2p_conversation_id("alice", "bob")


async def _pair(harness: Any) -> tuple[ClientSession, ClientSession]:
    await harness.user("alice")
    await harness.user("bob")
    return await harness.device("alice"), await harness.device("bob")


async def _recall(session: ClientSession, key: int, to_id: str = "bob") -> Any:
    return await session.request(
        Command.MSG_RECALL,
        {"messageKey": key, "conversationType": 0, "toId": to_id},
    )


async def test_recall_tombstones_the_message_and_notifies_every_device(harness):
    alice, bob = await _pair(harness)
    alice_web = await harness.device("alice")
    bob_web = await harness.device("bob")
    ack = await alice.send_message("bob", "oops")

    data = await _recall(alice, ack["messageKey"])
    notices = [
        await bob.next_event(Command.MSG_RECALL_NOTIFY),
        await bob_web.next_event(Command.MSG_RECALL_NOTIFY),
        await alice_web.next_event(Command.MSG_RECALL_NOTIFY),
    ]
    history = await bob.api("/v1/message/history", {"conversationId": AB})
    stored = harness.server.store.db.query_one(
        "SELECT body, recalled FROM messages WHERE message_key = ?",
        (ack["messageKey"],),
    )

    assert data["messageKey"] == ack["messageKey"]
    assert data["recallSequence"] == 1
    assert data["recalledBy"] == "alice"
    for notice in notices:
        assert notice.body["messageKey"] == ack["messageKey"]
        assert notice.body["conversationId"] == AB
        assert notice.body["messageSequence"] == 1
    assert history[0]["recalled"] is True
    assert history[0]["messageBody"] is None
    assert history[0]["messageSequence"] == 1
    assert "oops" not in stored["body"]
    assert stored["recalled"] == 1


async def test_recalled_message_keeps_its_sequence_and_updates_the_list(harness):
    alice, bob = await _pair(harness)
    first = await alice.send_message("bob", "one")
    await alice.send_message("bob", "two")
    last = await alice.send_message("bob", "three")

    await _recall(alice, last["messageKey"])
    pulled = await bob.api("/v1/sync/messages", {"conversationId": AB})
    views = {c["conversationId"]: c for c in await bob.api("/v1/conversation/list")}

    assert [m["messageSequence"] for m in pulled["dataList"]] == [1, 2, 3]
    assert pulled["dataList"][0]["messageKey"] == first["messageKey"]
    assert pulled["dataList"][2]["recalled"] is True
    assert views[AB]["lastMessage"]["recalled"] is True
    assert views[AB]["lastMessage"]["preview"] == "[recalled]"
    assert views[AB]["recallSequence"] == 1
    assert views[AB]["unreadCount"] == 3


async def test_recalling_twice_is_refused(harness):
    alice, _ = await _pair(harness)
    ack = await alice.send_message("bob", "oops")
    await _recall(alice, ack["messageKey"])

    with pytest.raises(LimClientError) as error:
        await _recall(alice, ack["messageKey"])

    assert error.value.code == 50004


async def test_recalling_after_the_window_is_refused(harness):
    alice, _ = await _pair(harness)
    ack = await alice.send_message("bob", "old news")
    harness.server.services.recall.clock = lambda: time.time() + 121

    with pytest.raises(LimClientError) as error:
        await _recall(alice, ack["messageKey"])

    assert error.value.code == 50005


async def test_the_window_is_the_app_setting(harness):
    alice, _ = await _pair(harness)
    await harness.server.services.apps.update_settings(
        harness.app_id, {"recallWindowSeconds": 600}
    )
    ack = await alice.send_message("bob", "still fresh")
    harness.server.services.recall.clock = lambda: time.time() + 300

    data = await _recall(alice, ack["messageKey"])

    assert data["messageKey"] == ack["messageKey"]


async def test_recalling_someone_elses_message_is_refused(harness):
    alice, bob = await _pair(harness)
    ack = await alice.send_message("bob", "mine")

    with pytest.raises(LimClientError) as error:
        await _recall(bob, ack["messageKey"], to_id="alice")

    assert error.value.code == 50006


async def test_outsiders_cannot_see_the_message_to_recall(harness):
    alice, _ = await _pair(harness)
    await harness.user("eve")
    eve = await harness.device("eve")
    ack = await alice.send_message("bob", "private")

    with pytest.raises(LimClientError) as error:
        await eve.api("/v1/message/recall", {"messageKey": ack["messageKey"]})

    assert error.value.code == 50002


async def test_app_admin_recalls_any_message_at_any_time(harness):
    alice, bob = await _pair(harness)
    admin = await harness.device("@admin")
    ack = await alice.send_message("bob", "spam")
    harness.server.services.recall.clock = lambda: time.time() + 86400

    data = await admin.api("/v1/message/recall", {"messageKey": ack["messageKey"]})
    notices = [
        await alice.next_event(Command.MSG_RECALL_NOTIFY),
        await bob.next_event(Command.MSG_RECALL_NOTIFY),
    ]

    assert data["recalledBy"] == "@admin"
    assert all(n.body["messageKey"] == ack["messageKey"] for n in notices)


async def test_group_manager_may_recall_through_the_hook(harness):
    alice, bob = await _pair(harness)
    recall = harness.server.services.recall
    roles = {"bob": "manager", "alice": "member"}
    recall.group_role_of = lambda app_id, group_id, user_id: roles.get(user_id)
    recall.group_member_ids = lambda app_id, group_id: ["alice", "bob"]
    store = harness.server.store
    from lim_server.store.appends import NewMessage

    stored, _ = await store.messages.append(
        NewMessage(
            app_id=harness.app_id,
            conversation_id="group|g1",
            conversation_type=1,
            from_id="alice",
            to_id="g1",
            message_id="g-1",
            body={"type": "text", "text": "hello group"},
        )
    )

    data = await bob.api("/v1/message/recall", {"messageKey": stored.message_key})
    notice = await alice.next_event(Command.MSG_RECALL_NOTIFY)

    assert data["recalledBy"] == "bob"
    assert notice.body["groupId"] == "g1"
    assert notice.body["conversationType"] == 1


async def test_group_member_may_not_recall_others_messages(harness):
    alice, bob = await _pair(harness)
    recall = harness.server.services.recall
    recall.group_role_of = lambda app_id, group_id, user_id: "member"
    from lim_server.store.appends import NewMessage

    stored, _ = await harness.server.store.messages.append(
        NewMessage(
            app_id=harness.app_id,
            conversation_id="group|g2",
            conversation_type=1,
            from_id="alice",
            to_id="g2",
            message_id="g-2",
            body={"type": "text", "text": "hello group"},
        )
    )

    with pytest.raises(LimClientError) as error:
        await bob.api("/v1/message/recall", {"messageKey": stored.message_key})

    assert error.value.code == 50006


async def test_offline_device_learns_of_recalls_by_sync(harness):
    alice, bob = await _pair(harness)
    one = await alice.send_message("bob", "one")
    await alice.send_message("bob", "two")

    # bob's phone pulled both messages, then went away.
    phone = await harness.device("bob")
    seen = await phone.api("/v1/sync/messages", {"conversationId": AB})
    before = await phone.api("/v1/sync/cursors")
    await phone.close()

    await _recall(alice, one["messageKey"])
    phone = await harness.device("bob")
    after = await phone.api("/v1/sync/cursors")
    old = {c["conversationId"]: c for c in before["conversations"]}[AB]
    new = {c["conversationId"]: c for c in after["conversations"]}[AB]
    recalls = await phone.api(
        "/v1/sync/recalls",
        {"conversationId": AB, "lastSequence": old["recallSequence"]},
    )

    assert seen["dataList"][0]["recalled"] is False
    assert (old["recallSequence"], new["recallSequence"]) == (0, 1)
    assert recalls["completed"] is True
    assert [r["messageKey"] for r in recalls["dataList"]] == [one["messageKey"]]
    assert recalls["dataList"][0]["messageSequence"] == 1


async def test_recall_over_http_with_wrong_conversation_is_not_found(harness):
    alice, _ = await _pair(harness)
    await harness.user("carol")
    ack = await alice.send_message("bob", "hi")

    with pytest.raises(LimClientError) as error:
        await alice.api(
            "/v1/message/recall",
            {"messageKey": ack["messageKey"], "conversationType": 0, "toId": "carol"},
        )

    assert error.value.code == 50002
