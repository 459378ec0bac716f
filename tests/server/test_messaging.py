"""1:1 messages: ack after commit, delivery, receipts, idempotency, order, sync."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lim_client.session import ClientSession, LimClientError
from lim_client.transport import TransportClosed
from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode
from lim_server.models import p2p_conversation_id

from .conftest import collect

CONVERSATION = p2p_conversation_id("alice", "bob")


class Pair:
    """Alice and Bob with two devices each, one on TCP and one on WebSocket."""

    def __init__(self, harness: Any, devices: dict[str, ClientSession]) -> None:
        self.harness = harness
        self.a1, self.a2 = devices["a1"], devices["a2"]
        self.b1, self.b2 = devices["b1"], devices["b2"]

    @property
    def all(self) -> list[ClientSession]:
        return [self.a1, self.a2, self.b1, self.b2]


async def connect_pair(harness: Any) -> Pair:
    devices = {
        "a1": await harness.device("alice", transport="tcp"),
        "a2": await harness.device("alice", transport="ws"),
        "b1": await harness.device("bob", transport="tcp"),
        "b2": await harness.device("bob", transport="ws"),
    }
    return Pair(harness, devices)


@pytest.fixture
async def pair(harness: Any) -> Pair:
    await harness.user("alice")
    await harness.user("bob")
    return await connect_pair(harness)


async def test_a_message_is_acked_and_delivered_to_every_other_device(
    pair: Pair,
) -> None:
    ack = await pair.a1.send_message("bob", "hello", message_id="m1")

    assert ack["messageId"] == "m1"
    assert ack["messageSequence"] == 1
    for device in (pair.b1, pair.b2, pair.a2):
        pushed = (await device.next_event(Command.MSG_P2P)).body
        assert pushed["messageKey"] == ack["messageKey"]
        assert pushed["messageId"] == "m1"
        assert (pushed["fromId"], pushed["toId"]) == ("alice", "bob")
        assert pushed["messageBody"] == {"type": "text", "text": "hello"}
        assert pushed["messageSequence"] == 1
        assert pushed["messageTime"] == ack["messageTime"]
        assert pushed["conversationId"] == CONVERSATION
        assert pushed["conversationType"] == 0
    assert not await collect(pair.a1, Command.MSG_P2P)


async def test_the_ack_comes_after_the_message_is_committed(pair: Pair) -> None:
    ack = await pair.a1.send_message("bob", "durable", message_id="m1")

    stored = pair.harness.server.store.messages.get(
        pair.harness.app_id, ack["messageKey"]
    )
    assert stored is not None
    assert stored.message_id == "m1"


async def test_a_receivers_receipt_reaches_every_sender_device(pair: Pair) -> None:
    ack = await pair.a1.send_message("bob", "hello", message_id="m1")
    pushed = (await pair.b1.next_event(Command.MSG_P2P)).body

    await pair.b1.send(
        Command.MSG_RECEIVE_ACK,
        {
            "messageKey": pushed["messageKey"],
            "fromId": "alice",
            "toId": "bob",
            "messageSequence": pushed["messageSequence"],
        },
    )

    for device in (pair.a1, pair.a2):
        receipt = (await device.next_event(Command.MSG_RECEIVE_ACK)).body
        assert receipt["messageKey"] == ack["messageKey"]
        assert receipt["messageId"] == "m1"
        assert receipt["messageSequence"] == 1
        assert receipt["serverSend"] is False


async def test_only_the_receiver_may_send_a_receipt(pair: Pair) -> None:
    ack = await pair.a1.send_message("bob", "hello")

    with pytest.raises(LimClientError) as caught:
        await pair.a2.request(
            Command.MSG_RECEIVE_ACK,
            {
                "messageKey": ack["messageKey"],
                "fromId": "alice",
                "toId": "bob",
                "messageSequence": 1,
            },
        )

    assert caught.value.code == ErrorCode.MESSAGE_NOT_FOUND


async def test_the_server_sends_the_receipt_when_no_receiver_device_is_online(
    harness: Any,
) -> None:
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")

    ack = await alice.send_message("bob", "are you there", message_id="m1")

    receipt = (await alice.next_event(Command.MSG_RECEIVE_ACK)).body
    assert receipt["serverSend"] is True
    assert receipt["messageKey"] == ack["messageKey"]
    assert (receipt["fromId"], receipt["toId"]) == ("alice", "bob")


async def test_a_resend_returns_the_original_ack_and_delivers_nothing_new(
    pair: Pair,
) -> None:
    first = await pair.a1.send_message("bob", "once", message_id="m1")
    again = await pair.a1.send_message("bob", "changed text", message_id="m1")
    other_device = await pair.a2.send_message("bob", "once", message_id="m1")

    assert again == first
    assert other_device == first
    for device in (pair.b1, pair.b2):
        pushes = await collect(device, Command.MSG_P2P)
        assert [push.body["messageId"] for push in pushes] == ["m1"]
        assert pushes[0].body["messageBody"]["text"] == "once"
    assert pair.harness.server.store.messages.count() == 1


async def test_concurrent_resends_store_and_deliver_one_copy(pair: Pair) -> None:
    sends = [
        device.send_message("bob", "race", message_id="same")
        for device in (pair.a1, pair.a2)
        for _ in range(5)
    ]

    acks = await asyncio.gather(*sends)

    assert len({ack["messageKey"] for ack in acks}) == 1
    assert len(await collect(pair.b1, Command.MSG_P2P)) == 1
    assert pair.harness.server.store.messages.count() == 1


async def test_a_resend_after_a_server_restart_returns_the_original_ack(
    make_harness: Any,
) -> None:
    harness = await make_harness()
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    first = await alice.send_message("bob", "before restart", message_id="m1")
    await harness.stop()

    restarted = await make_harness()
    pair = await connect_pair(restarted)
    again = await pair.a1.send_message("bob", "before restart", message_id="m1")
    fresh = await pair.a1.send_message("bob", "after restart", message_id="m2")

    assert again == first
    assert fresh["messageSequence"] == 2
    assert fresh["messageKey"] > first["messageKey"]
    pushes = await collect(pair.b1, Command.MSG_P2P)
    assert [push.body["messageId"] for push in pushes] == ["m2"]


async def test_concurrent_senders_get_dense_sequences_seen_in_one_order(
    pair: Pair,
) -> None:
    per_device = 40
    peers = {pair.a1: "bob", pair.a2: "bob", pair.b1: "alice", pair.b2: "alice"}

    async def send_all(device: ClientSession) -> list[dict[str, Any]]:
        sends = [
            device.send_message(peers[device], f"{device.imei}-{n}")
            for n in range(per_device)
        ]
        return list(await asyncio.gather(*sends))

    acks = await asyncio.gather(*(send_all(device) for device in pair.all))

    total = per_device * 4
    sequences = sorted(ack["messageSequence"] for sent in acks for ack in sent)
    assert sequences == list(range(1, total + 1))
    for device, sent in zip(pair.all, acks, strict=True):
        pushes = await collect(device, Command.MSG_P2P)
        seen = [push.body["messageSequence"] for push in pushes]
        assert seen == sorted(seen), "pushes arrive in sequence order"
        own = {ack["messageSequence"] for ack in sent}
        assert sorted(own | set(seen)) == list(range(1, total + 1))
        assert not own & set(seen)


async def test_an_offline_device_catches_up_thousands_of_messages_by_sync(
    harness: Any,
) -> None:
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    count = 3000
    for start in range(0, count, 250):
        await asyncio.gather(
            *(
                alice.send_message("bob", f"n{n}", message_id=f"m{n}")
                for n in range(start, start + 250)
            )
        )

    bob = await harness.device("bob")
    cursors = await bob.api("/v1/sync/cursors")
    (conversation,) = cursors["conversations"]
    assert conversation["conversationId"] == CONVERSATION
    assert conversation["lastSequence"] == count

    received: list[dict[str, Any]] = []
    last, pages = 0, 0
    while True:
        page = await bob.api(
            "/v1/sync/messages",
            {"conversationId": CONVERSATION, "lastSequence": last, "maxLimit": 700},
        )
        pages += 1
        received += page["dataList"]
        if page["completed"]:
            break
        last = page["dataList"][-1]["messageSequence"]

    assert pages == 5
    assert [m["messageSequence"] for m in received] == list(range(1, count + 1))
    by_id = {m["messageId"]: m["messageBody"]["text"] for m in received}
    assert by_id == {f"m{n}": f"n{n}" for n in range(count)}


async def test_a_silenced_sender_is_refused(pair: Pair) -> None:
    await pair.harness.server.services.users.set_flag(
        pair.harness.app_id, "alice", "silenced", True
    )

    with pytest.raises(LimClientError) as caught:
        await pair.a1.send_message("bob", "hush", message_id="m1")

    assert caught.value.code == ErrorCode.USER_SILENCED
    assert caught.value.data == {"messageId": "m1"}
    assert pair.harness.server.store.messages.count() == 0


@pytest.mark.parametrize("receiver", ["nobody", "deleted"])
async def test_a_missing_receiver_is_refused(pair: Pair, receiver: str) -> None:
    await pair.harness.user("deleted")
    await pair.harness.server.services.users.delete(pair.harness.app_id, "deleted")

    with pytest.raises(LimClientError) as caught:
        await pair.a1.send_message(receiver, "hello?", message_id="m1")

    assert caught.value.code == ErrorCode.RECEIVER_NOT_FOUND
    assert caught.value.data == {"messageId": "m1"}


@pytest.mark.parametrize(
    "body",
    [
        {"type": "bogus"},
        {"type": "text"},
        {"type": "text", "text": "x" * 70000},
        42,
        None,
    ],
    ids=["unknown type", "no text", "text too long", "number", "null"],
)
async def test_an_invalid_body_is_refused_with_the_message_id(
    pair: Pair, body: Any
) -> None:
    with pytest.raises(LimClientError) as caught:
        await pair.a1.request(
            Command.MSG_P2P, {"messageId": "m1", "toId": "bob", "messageBody": body}
        )

    assert caught.value.code == ErrorCode.INVALID_PARAMS
    assert caught.value.data == {"messageId": "m1"}
    assert pair.harness.server.store.messages.count() == 0


async def test_a_refused_message_id_can_be_used_once_the_problem_is_fixed(
    pair: Pair,
) -> None:
    with pytest.raises(LimClientError):
        await pair.a1.send_message("carol", "hi", message_id="m1")
    await pair.harness.user("carol")

    ack = await pair.a1.send_message("carol", "hi", message_id="m1")

    assert ack["messageSequence"] == 1


@pytest.mark.parametrize("transport", ["tcp", "ws"])
async def test_pipelined_sends_beyond_the_inflight_limit_are_all_acked_in_order(
    harness: Any, transport: str
) -> None:
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice", transport=transport)
    count = harness.server.gateway.settings.max_inflight * 2 + 100

    acks = await asyncio.gather(
        *(alice.send_message("bob", f"n{n}", message_id=f"m{n}") for n in range(count))
    )

    assert [ack["messageId"] for ack in acks] == [f"m{n}" for n in range(count)]
    assert [ack["messageSequence"] for ack in acks] == list(range(1, count + 1))


async def test_a_user_cannot_pull_a_conversation_they_are_not_part_of(
    pair: Pair,
) -> None:
    await pair.harness.user("carol")
    carol = await pair.harness.device("carol")
    await pair.a1.send_message("bob", "private")

    with pytest.raises(LimClientError) as caught:
        await carol.api("/v1/sync/messages", {"conversationId": CONVERSATION})

    assert caught.value.code == ErrorCode.CONVERSATION_NOT_FOUND
    assert (await carol.api("/v1/sync/cursors"))["conversations"] == []


@pytest.mark.parametrize("transport", ["tcp", "ws"])
async def test_a_request_on_a_closed_session_fails_at_once(
    harness: Any, transport: str
) -> None:
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice", transport=transport)
    await alice.logout()

    with pytest.raises((ConnectionError, TransportClosed)):
        await asyncio.wait_for(alice.send_message("bob", "too late"), 5)


async def test_a_note_to_oneself_reaches_only_ones_other_devices(pair: Pair) -> None:
    ack = await pair.a1.send_message("alice", "remember the milk", message_id="n1")

    pushed = (await pair.a2.next_event(Command.MSG_P2P)).body
    assert pushed["messageKey"] == ack["messageKey"]
    assert pushed["conversationId"] == p2p_conversation_id("alice", "alice")
    assert not await collect(pair.a1, Command.MSG_P2P)
    assert not await collect(pair.b1, Command.MSG_P2P)


async def test_changed_app_settings_apply_to_sessions_already_logged_in(
    pair: Pair,
) -> None:
    server = pair.harness.server
    app_id = pair.harness.app_id

    await server.services.apps.update_settings(app_id, {"recallWindowSeconds": 5})

    sessions = server.router.devices(app_id, "alice")
    assert len(sessions) == 2
    for session in sessions:
        assert session.caller.app.settings.recall_window_seconds == 5
