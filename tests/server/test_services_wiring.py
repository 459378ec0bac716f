"""The hooks between domains, exercised with the real services on both ends."""

from __future__ import annotations

from typing import Any

from lim_protocol.commands import Command, ConversationType

from .conftest import collect


async def test_a_status_change_reaches_a_real_friend(harness: Any) -> None:
    for name in ("alice", "bob", "carol"):
        await harness.user(name)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await alice.api("/v1/friend/add", {"toId": "bob"})

    await alice.api("/v1/status/set", {"customStatus": 1, "customText": "lunch"})

    pushed = (await bob.next_event(Command.USER_CUSTOM_STATUS_CHANGED)).body
    assert pushed["userId"] == "alice"
    assert pushed["customText"] == "lunch"
    assert not await collect(carol, Command.USER_CUSTOM_STATUS_CHANGED)


async def test_a_group_manager_recalls_a_members_message(harness: Any) -> None:
    for name in ("owner", "bob", "carol"):
        await harness.user(name)
    owner = await harness.device("owner")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await owner.api(
        "/v1/group/create",
        {"groupId": "team", "name": "Team", "memberIds": ["bob", "carol"]},
    )
    ack = await bob.request(
        Command.MSG_GROUP,
        {"messageId": "m1", "groupId": "team", "messageBody": "oops"},
    )

    await owner.request(
        Command.MSG_RECALL,
        {
            "messageKey": ack["messageKey"],
            "conversationType": ConversationType.GROUP,
            "toId": "team",
        },
    )

    for device in (bob, carol):
        notice = (await device.next_event(Command.MSG_RECALL_NOTIFY)).body
        assert notice["messageKey"] == ack["messageKey"]
    stored = harness.server.store.messages.get(harness.app_id, ack["messageKey"])
    assert stored.recalled
