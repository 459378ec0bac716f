"""Conversation lists, unread counts, flags, reads and receipts over a real server."""

from __future__ import annotations

import asyncio
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


def _by_id(conversations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        conversation["conversationId"]: conversation for conversation in conversations
    }


async def _no_event(session: ClientSession, command: int) -> bool:
    """True if no event of ``command`` is queued after a round trip."""
    await session.api("/v1/conversation/list")
    while not session.events.empty():
        if session.events.get_nowait().command == command:
            return False
    return True


async def test_unread_count_follows_sends_and_ignores_own_messages(harness):
    alice, bob = await _pair(harness)
    for text in ("one", "two", "three"):
        await alice.send_message("bob", text)

    bob_view = _by_id(await bob.api("/v1/conversation/list"))[AB]
    alice_view = _by_id(await alice.api("/v1/conversation/list"))[AB]

    assert bob_view["unreadCount"] == 3
    assert bob_view["lastSequence"] == 3
    assert alice_view["unreadCount"] == 0
    assert alice_view["readSequence"] == 3
    assert bob_view["lastMessage"]["preview"] == "three"
    assert bob_view["lastMessage"]["fromId"] == "alice"
    assert bob_view["lastMessage"]["messageSequence"] == 3


async def test_replying_clears_nothing_but_own_messages(harness):
    alice, bob = await _pair(harness)
    await alice.send_message("bob", "hi")
    await alice.send_message("bob", "there")
    await bob.send_message("alice", "hello")

    bob_view = _by_id(await bob.api("/v1/conversation/list"))[AB]
    alice_view = _by_id(await alice.api("/v1/conversation/list"))[AB]

    # Replying implies having read what came before it.
    assert bob_view["unreadCount"] == 0
    assert alice_view["unreadCount"] == 1


async def test_read_on_one_device_updates_the_others_and_the_counts(harness):
    alice, bob = await _pair(harness)
    bob_phone = await harness.device("bob")
    for index in range(5):
        await alice.send_message("bob", f"m{index}")

    view = await bob.api(
        "/v1/conversation/read", {"conversationId": AB, "messageSequence": 3}
    )
    notify = await bob_phone.next_event(Command.MSG_READ_NOTIFY)
    phone_view = _by_id(await bob_phone.api("/v1/conversation/list"))[AB]

    assert view["unreadCount"] == 2
    assert notify.body["readSequence"] == 3
    assert notify.body["unreadCount"] == 2
    assert phone_view["unreadCount"] == 2
    assert await _no_event(bob, Command.MSG_READ_NOTIFY)


async def test_read_never_moves_backwards_or_past_the_end(harness):
    alice, bob = await _pair(harness)
    for index in range(3):
        await alice.send_message("bob", f"m{index}")

    high = await bob.api(
        "/v1/conversation/read", {"conversationId": AB, "messageSequence": 99}
    )
    low = await bob.api(
        "/v1/conversation/read", {"conversationId": AB, "messageSequence": 1}
    )

    assert high["readSequence"] == 3
    assert low["readSequence"] == 3
    assert low["unreadCount"] == 0


async def test_msg_read_sends_notify_to_own_devices_and_receipt_to_peer(harness):
    alice, bob = await _pair(harness)
    alice_web = await harness.device("alice")
    bob_phone = await harness.device("bob")
    for index in range(2):
        await alice.send_message("bob", f"m{index}")

    reply = await bob.request(
        Command.MSG_READ, {"conversationType": 0, "toId": "alice", "messageSequence": 2}
    )
    notify = await bob_phone.next_event(Command.MSG_READ_NOTIFY)
    receipts = [
        await alice.next_event(Command.MSG_READ_RECEIPT),
        await alice_web.next_event(Command.MSG_READ_RECEIPT),
    ]

    assert reply["readSequence"] == 2
    assert notify.body["conversationId"] == AB
    for receipt in receipts:
        assert receipt.body == {
            "conversationId": AB,
            "conversationType": 0,
            "fromId": "bob",
            "toId": "alice",
            "messageSequence": 2,
        }
    assert await _no_event(bob_phone, Command.MSG_READ_RECEIPT)


async def test_receipts_are_not_sent_when_the_app_turns_them_off(harness):
    alice, bob = await _pair(harness)
    await alice.send_message("bob", "hi")
    await harness.server.services.apps.update_settings(
        harness.app_id, {"readReceipts": False}
    )
    bob_phone = await harness.device("bob")

    await bob.request(
        Command.MSG_READ, {"conversationType": 0, "toId": "alice", "messageSequence": 0}
    )
    notify = await bob_phone.next_event(Command.MSG_READ_NOTIFY)

    assert notify.body["readSequence"] == 1
    assert await _no_event(alice, Command.MSG_READ_RECEIPT)


async def test_reading_an_unknown_conversation_is_refused(harness):
    alice, _ = await _pair(harness)

    with pytest.raises(LimClientError) as error:
        await alice.request(Command.MSG_READ, {"toId": "nobody", "messageSequence": 1})

    assert error.value.code == 50007


async def test_pinned_conversations_come_first_then_latest_activity(harness):
    alice, bob = await _pair(harness)
    await harness.user("carol")
    carol = await harness.device("carol")
    await bob.send_message("alice", "from bob")
    await carol.send_message("alice", "from carol")
    ac = p2p_conversation_id("alice", "carol")

    before = [c["conversationId"] for c in await alice.api("/v1/conversation/list")]
    await alice.api("/v1/conversation/pin", {"conversationId": AB})
    after = [c["conversationId"] for c in await alice.api("/v1/conversation/list")]

    assert before == [ac, AB]
    assert after == [AB, ac]


async def test_pin_and_mute_are_pushed_to_other_devices(harness):
    alice, bob = await _pair(harness)
    alice_web = await harness.device("alice")
    await bob.send_message("alice", "hi")

    pinned = await alice.api("/v1/conversation/pin", {"conversationId": AB})
    pin_event = await alice_web.next_event(Command.CONVERSATION_UPDATED)
    muted = await alice.api("/v1/conversation/mute", {"conversationId": AB})
    mute_event = await alice_web.next_event(Command.CONVERSATION_UPDATED)
    unmuted = await alice.api("/v1/conversation/unmute", {"conversationId": AB})

    assert pinned["pinned"] is True
    assert pin_event.body["pinned"] is True
    assert muted["muted"] is True
    assert mute_event.body["muted"] is True
    assert unmuted["muted"] is False
    assert await _no_event(alice, Command.CONVERSATION_UPDATED)


async def test_muted_conversation_still_receives_messages(harness):
    alice, bob = await _pair(harness)
    await bob.send_message("alice", "first")
    await alice.api("/v1/conversation/mute", {"conversationId": AB})

    await bob.send_message("alice", "second")
    event = await alice.next_event(Command.MSG_P2P)
    while event.body["messageBody"]["text"] != "second":
        event = await alice.next_event(Command.MSG_P2P)
    view = _by_id(await alice.api("/v1/conversation/list"))[AB]

    assert view["muted"] is True
    assert view["unreadCount"] == 2


async def test_deleted_conversation_hides_until_the_next_message(harness):
    alice, bob = await _pair(harness)
    alice_web = await harness.device("alice")
    await bob.send_message("alice", "one")
    await bob.send_message("alice", "two")

    deleted = await alice.api("/v1/conversation/delete", {"conversationId": AB})
    event = await alice_web.next_event(Command.CONVERSATION_DELETED)
    hidden = await alice.api("/v1/conversation/list")
    await bob.send_message("alice", "three")
    back = _by_id(await alice.api("/v1/conversation/list"))

    assert event.body == deleted
    assert AB not in _by_id(hidden)
    assert back[AB]["unreadCount"] == 1
    assert back[AB]["lastMessage"]["preview"] == "three"


async def test_flags_on_a_missing_conversation_are_refused(harness):
    alice, _ = await _pair(harness)

    with pytest.raises(LimClientError) as error:
        await alice.api("/v1/conversation/pin", {"conversationId": "p2p|alice|zed"})

    assert error.value.code == 50007


async def test_offline_device_syncs_conversation_changes_with_tombstones(harness):
    alice, bob = await _pair(harness)
    await harness.user("carol")
    carol = await harness.device("carol")
    await bob.send_message("alice", "hi")
    await carol.send_message("alice", "yo")
    ac = p2p_conversation_id("alice", "carol")
    first = await alice.api("/v1/sync/pull", {"kind": "conversations"})
    cursor = first["maxSequence"]

    # Another device changes things while this one is away.
    other = await harness.device("alice")
    await other.api("/v1/conversation/pin", {"conversationId": AB})
    await other.api("/v1/conversation/delete", {"conversationId": ac})
    await other.api("/v1/conversation/read", {"conversationId": AB})
    cursors = await alice.api("/v1/sync/cursors")
    pulled = await alice.api(
        "/v1/sync/pull", {"kind": "conversations", "lastSequence": cursor}
    )
    rows = _by_id(pulled["dataList"])

    assert cursors["kinds"]["conversations"] == pulled["maxSequence"] > cursor
    assert pulled["completed"] is True
    assert rows[AB]["pinned"] is True
    assert rows[AB]["unreadCount"] == 0
    assert rows[ac]["deleted"] is True
    assert [row["sequence"] for row in pulled["dataList"]] == sorted(
        row["sequence"] for row in pulled["dataList"]
    )


async def test_admin_server_side_send_has_socket_guarantees(harness):
    alice, bob = await _pair(harness)
    admin = await harness.device("@admin")
    bob_web = await harness.device("bob")
    body = {"messageId": "srv-1", "toId": "bob", "messageBody": "from the server"}

    first = await admin.api("/v1/message/send", {**body, "asUser": "alice"})
    again = await admin.api("/v1/message/send", {**body, "asUser": "alice"})
    delivered = [
        await bob.next_event(Command.MSG_P2P),
        await bob_web.next_event(Command.MSG_P2P),
        await alice.next_event(Command.MSG_P2P),
    ]
    view = _by_id(await alice.api("/v1/conversation/list"))[AB]
    bob_view = _by_id(await bob.api("/v1/conversation/list"))[AB]

    assert first["duplicate"] is False
    assert again["duplicate"] is True
    assert again["messageKey"] == first["messageKey"]
    assert again["messageSequence"] == first["messageSequence"] == 1
    assert {event.body["messageKey"] for event in delivered} == {first["messageKey"]}
    assert all(event.body["fromId"] == "alice" for event in delivered)
    assert view["unreadCount"] == 0
    assert bob_view["unreadCount"] == 1
    assert await _no_event(bob, Command.MSG_P2P)


async def test_server_side_send_as_another_user_needs_an_admin(harness):
    alice, _ = await _pair(harness)
    await harness.user("carol")

    with pytest.raises(LimClientError) as error:
        await alice.api(
            "/v1/message/send",
            {"messageId": "x", "toId": "bob", "messageBody": "hi", "asUser": "carol"},
        )

    assert error.value.code == 60008


async def test_unread_stays_exact_under_concurrent_sends(harness):
    alice, bob = await _pair(harness)
    await asyncio.gather(*(alice.send_message("bob", f"m{i}") for i in range(50)))
    await bob.api(
        "/v1/conversation/read", {"conversationId": AB, "messageSequence": 20}
    )
    await asyncio.gather(*(bob.send_message("alice", f"r{i}") for i in range(5)))

    bob_view = _by_id(await bob.api("/v1/conversation/list"))[AB]
    alice_view = _by_id(await alice.api("/v1/conversation/list"))[AB]

    assert bob_view["lastSequence"] == 55
    assert bob_view["unreadCount"] == 0
    assert alice_view["unreadCount"] == 5


async def test_receipts_and_notifies_cross_transports(harness):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice", transport="ws")
    bob = await harness.device("bob", transport="tcp")
    bob_web = await harness.device("bob", transport="ws")
    await alice.send_message("bob", "over websocket")

    await bob.send(
        Command.MSG_READ, {"conversationType": 0, "toId": "alice", "messageSequence": 1}
    )
    receipt = await alice.next_event(Command.MSG_READ_RECEIPT)
    notify = await bob_web.next_event(Command.MSG_READ_NOTIFY)

    assert receipt.body["messageSequence"] == 1
    assert notify.body["unreadCount"] == 0
    assert await _no_event(bob, Command.MSG_READ)
