"""The relation checks on sending 1:1 messages, and the stranger quota."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lim_client.session import ClientSession, LimClientError
from lim_protocol.errors import ErrorCode
from lim_server.api.operations import dispatch

from .test_relations import admin, call, refused, settings


async def test_block_then_send_is_refused_and_unblock_then_send_works(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1 = await harness.device("alice")
    await call(harness, "alice", "/v1/friend/add", toId="bob")
    # A send before the block: the server now remembers bob's row for alice.
    ack = await a1.send_message("bob", {"type": "text", "text": "hello"})
    assert ack["messageSequence"] == 1
    await call(harness, "bob", "/v1/blacklist/add", toId="alice")

    with pytest.raises(LimClientError) as info:
        await a1.send_message("bob", {"type": "text", "text": "hi"})
    assert info.value.code == ErrorCode.BLOCKED_BY_RECEIVER

    await call(harness, "bob", "/v1/blacklist/remove", toId="alice")
    ack = await a1.send_message("bob", {"type": "text", "text": "hi"})
    assert ack["messageSequence"] == 2


async def test_an_unfriended_sender_is_refused_at_once(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1 = await harness.device("alice")
    await settings(harness, friendCheckOnSend=True)
    await call(harness, "alice", "/v1/friend/add", toId="bob")
    ack = await a1.send_message("bob", {"type": "text", "text": "hello"})
    assert ack["messageSequence"] == 1

    await call(harness, "bob", "/v1/friend/delete", toId="alice")

    with pytest.raises(LimClientError) as info:
        await a1.send_message("bob", {"type": "text", "text": "hi"})
    assert info.value.code == ErrorCode.FRIEND_REQUIRED


async def test_blacklist_check_off_lets_a_blocked_sender_through(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1 = await harness.device("alice")
    await call(harness, "bob", "/v1/blacklist/add", toId="alice")
    await settings(harness, blacklistCheckOnSend=False)

    ack = await a1.send_message("bob", {"type": "text", "text": "hi"})

    assert ack["messageSequence"] == 1


async def test_friend_check_refuses_strangers_until_they_are_friends(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1 = await harness.device("alice")
    await settings(harness, friendCheckOnSend=True)

    with pytest.raises(LimClientError) as info:
        await a1.send_message("bob", {"type": "text", "text": "hi"})
    assert info.value.code == ErrorCode.FRIEND_REQUIRED

    await call(harness, "alice", "/v1/friend/add", toId="bob")
    ack = await a1.send_message("bob", {"type": "text", "text": "hi"})
    assert ack["messageSequence"] == 1


async def test_an_admin_skips_the_friend_check_but_not_when_acting_for_a_user(
    harness,
):
    for name in ("alice", "bob"):
        await harness.user(name)
    await settings(harness, friendCheckOnSend=True)
    services = harness.server.services
    body = {"toId": "bob", "messageBody": {"type": "text", "text": "notice"}}

    ack = await dispatch(
        services, admin(harness), "/v1/message/send", {**body, "messageId": "n1"}
    )

    assert ack["messageSequence"] == 1
    await refused(
        ErrorCode.FRIEND_REQUIRED,
        dispatch(
            services,
            admin(harness),
            "/v1/message/send",
            {**body, "messageId": "n2", "asUser": "alice"},
        ),
    )


async def _send_all(device: ClientSession, to_id: str, count: int) -> list[Any]:
    outcomes = []
    for n in range(count):
        try:
            await device.send_message(to_id, {"type": "text", "text": f"m{n}"})
            outcomes.append("ok")
        except LimClientError as exc:
            outcomes.append(exc.code)
    return outcomes


async def test_stranger_quota_counts_unanswered_messages_exactly(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1 = await harness.device("alice")
    await settings(harness, friendCheckOnSend=True, strangerQuota=3)
    quota = ErrorCode.STRANGER_QUOTA_EXCEEDED

    # a resend of a stored messageId is the original again and costs nothing
    first = await a1.send_message("bob", {"type": "text", "text": "x"}, "fixed")
    assert await a1.send_message("bob", {"type": "text", "text": "x"}, "fixed") == first

    assert await _send_all(a1, "bob", 4) == ["ok", "ok", quota, quota]
    assert harness.server.services.store.messages.count(harness.app_id) == 3


async def test_stranger_quota_restarts_when_the_receiver_replies_or_accepts(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1, b1 = await harness.device("alice"), await harness.device("bob")
    await settings(harness, strangerQuota=2)
    quota = ErrorCode.STRANGER_QUOTA_EXCEEDED

    assert await _send_all(a1, "bob", 3) == ["ok", "ok", quota]
    assert await _send_all(b1, "alice", 1) == ["ok"]
    assert await _send_all(a1, "bob", 3) == ["ok", "ok", quota]

    # bob accepts: friends are not counted; deleting starts a fresh count
    await call(harness, "bob", "/v1/friend/add", toId="alice")
    assert await _send_all(a1, "bob", 4) == ["ok"] * 4
    await call(harness, "bob", "/v1/friend/delete", toId="alice")
    assert await _send_all(a1, "bob", 3) == ["ok", "ok", quota]


async def test_concurrent_stranger_sends_never_overshoot_the_quota(harness):
    for name in ("alice", "bob"):
        await harness.user(name)
    a1 = await harness.device("alice")
    await settings(harness, strangerQuota=3)

    outcomes = await asyncio.gather(
        *(a1.send_message("bob", {"type": "text", "text": str(n)}) for n in range(8)),
        return_exceptions=True,
    )

    assert sum(1 for o in outcomes if isinstance(o, dict)) == 3
    codes = {o.code for o in outcomes if isinstance(o, LimClientError)}
    assert codes == {ErrorCode.STRANGER_QUOTA_EXCEEDED}
    assert harness.server.services.store.messages.count(harness.app_id) == 3


async def test_stranger_quota_is_counted_from_stored_messages_across_restarts(
    make_harness,
):
    harness = await make_harness()
    for name in ("alice", "bob"):
        await harness.user(name)
    await settings(harness, strangerQuota=3)
    a1 = await harness.device("alice")
    assert await _send_all(a1, "bob", 2) == ["ok", "ok"]
    await harness.close()
    await harness.server.stop()

    again = await make_harness()
    a2 = await again.device("alice")
    outcomes = await _send_all(a2, "bob", 2)

    assert outcomes == ["ok", ErrorCode.STRANGER_QUOTA_EXCEEDED]
    await again.close()
    await again.server.stop()
