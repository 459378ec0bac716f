"""Presence: devices, custom status, friends, subscriptions and their expiry."""

from __future__ import annotations

import time
from typing import Any

from lim_client.session import ClientSession
from lim_protocol.commands import ClientType, Command

ONLINE = Command.USER_ONLINE_STATUS_CHANGED
CUSTOM = Command.USER_CUSTOM_STATUS_CHANGED


async def _users(harness: Any, *names: str) -> None:
    for name in names:
        await harness.user(name)


def _befriend(harness: Any, pairs: dict[str, list[str]]) -> None:
    presence = harness.server.services.presence
    presence.friends_of = lambda app_id, user_id: pairs.get(user_id, [])


async def _quiet(session: ClientSession, *commands: int) -> bool:
    """True if none of ``commands`` is queued after a round trip."""
    await session.api("/v1/status/subscriptions")
    while not session.events.empty():
        if session.events.get_nowait().command in commands:
            return False
    return True


async def test_user_is_online_until_the_last_device_goes(harness):
    await _users(harness, "alice", "carol")
    _befriend(harness, {"alice": ["carol"], "carol": ["alice"]})
    carol = await harness.device("carol")

    mac = await harness.device("alice", client_type=ClientType.MAC)
    came = await carol.next_event(ONLINE)
    web = await harness.device("alice", client_type=ClientType.WEB)
    own = await mac.next_event(ONLINE)
    quiet_on_second = await _quiet(carol, ONLINE)

    await mac.logout()
    still = await carol.api("/v1/status/get", {"userIds": ["alice"]})
    quiet_on_first_leaving = await _quiet(carol, ONLINE)
    await web.logout()
    went = await carol.next_event(ONLINE)

    assert came.body["userId"] == "alice" and came.body["online"] is True
    assert own.body["clientTypes"] == sorted([ClientType.MAC, ClientType.WEB])
    assert quiet_on_second
    assert still[0]["online"] is True
    assert still[0]["clientTypes"] == [ClientType.WEB]
    assert quiet_on_first_leaving
    assert went.body["online"] is False
    assert went.body["lastSeen"] > 0


async def test_custom_status_reaches_friends_own_devices_and_watchers(harness):
    await _users(harness, "alice", "bob", "carol", "dave")
    _befriend(harness, {"alice": ["bob", "dave"]})
    alice = await harness.device("alice")
    alice_web = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await carol.api("/v1/status/subscribe", {"userIds": ["alice"], "ttlSeconds": 60})

    data = await alice.api(
        "/v1/status/set", {"customStatus": 1, "customText": "in a meeting"}
    )
    events = [
        await alice_web.next_event(CUSTOM),
        await bob.next_event(CUSTOM),
        await carol.next_event(CUSTOM),
    ]
    pulled = await bob.api("/v1/status/get", {"userIds": ["alice", "nobody"]})

    assert data["customStatus"] == 1
    for event in events:
        assert event.body["userId"] == "alice"
        assert event.body["customText"] == "in a meeting"
    assert await _quiet(alice, CUSTOM)
    assert pulled[0]["customStatus"] == 1 and pulled[0]["online"] is True
    assert pulled[1] == {
        "userId": "nobody",
        "online": False,
        "clientTypes": [],
        "customStatus": 0,
        "customText": "",
        "lastSeen": 0,
    }


async def test_offline_friends_get_nothing_and_see_the_status_later(harness):
    await _users(harness, "alice", "bob")
    _befriend(harness, {"alice": ["bob"], "bob": ["alice"]})
    alice = await harness.device("alice")
    presence = harness.server.services.presence
    before = presence.pushed

    await alice.api("/v1/status/set", {"customStatus": 2, "customText": "busy"})
    pushed = presence.pushed - before
    bob = await harness.device("bob")
    friends = await bob.api("/v1/status/friends")

    assert pushed == 0
    assert await _quiet(bob, CUSTOM)
    assert friends == await bob.api("/v1/status/get", {"userIds": ["alice"]})
    assert friends[0]["customText"] == "busy"


async def test_login_can_carry_a_custom_status(harness):
    await _users(harness, "alice", "bob")
    _befriend(harness, {"alice": ["bob"]})
    bob = await harness.device("bob")
    alice = await harness.device(login=False)

    await alice.request(
        Command.LOGIN,
        {
            "userId": "alice",
            "userSign": harness.token("alice"),
            "customStatus": 3,
            "customText": "do not disturb",
        },
    )
    online = await bob.next_event(ONLINE)
    custom = await bob.next_event(CUSTOM)

    assert online.body["online"] is True
    assert custom.body["customStatus"] == 3
    assert custom.body["customText"] == "do not disturb"


async def test_subscriptions_expire_by_themselves(harness):
    await _users(harness, "alice", "carol")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    presence = harness.server.services.presence
    now = time.time()
    presence.clock = lambda: now

    reply = await carol.api(
        "/v1/status/subscribe", {"userIds": ["alice"], "ttlSeconds": 60}
    )
    await alice.api("/v1/status/set", {"customStatus": 1})
    live = await carol.next_event(CUSTOM)
    presence.clock = lambda: now + 61
    await alice.api("/v1/status/set", {"customStatus": 2})

    assert reply["expiresAt"] == int((now + 60) * 1000)
    assert reply["statuses"][0]["online"] is True
    assert live.body["customStatus"] == 1
    assert await _quiet(carol, CUSTOM)
    assert await carol.api("/v1/status/subscriptions") == []
    assert presence.subscription_count == 0


async def test_the_sweep_drops_expired_subscriptions_nobody_touched(harness):
    await _users(harness, "alice", "carol")
    carol = await harness.device("carol")
    presence = harness.server.services.presence
    now = time.time()
    presence.clock = lambda: now
    await carol.api("/v1/status/subscribe", {"userIds": ["alice"], "ttlSeconds": 5})
    await carol.api("/v1/status/subscribe", {"userIds": ["bob"], "ttlSeconds": 50})

    presence.clock = lambda: now + 10
    dropped = presence.sweep()

    assert dropped == 1
    assert [s["userId"] for s in await carol.api("/v1/status/subscriptions")] == ["bob"]


async def test_unsubscribe_stops_the_events(harness):
    await _users(harness, "alice", "carol")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    await carol.api("/v1/status/subscribe", {"userIds": ["alice"]})

    removed = await carol.api("/v1/status/unsubscribe", {"userIds": ["alice"]})
    await alice.api("/v1/status/set", {"customStatus": 1})

    assert removed == {"removed": 1}
    assert await _quiet(carol, CUSTOM)


async def test_watchers_hear_online_and_offline(harness):
    await _users(harness, "alice", "carol")
    carol = await harness.device("carol")
    await carol.api("/v1/status/subscribe", {"userIds": ["alice"]})

    alice = await harness.device("alice")
    came = await carol.next_event(ONLINE)
    await alice.logout()
    went = await carol.next_event(ONLINE)

    assert (came.body["online"], went.body["online"]) == (True, False)


async def test_setting_the_same_status_again_pushes_nothing(harness):
    await _users(harness, "alice")
    alice = await harness.device("alice")
    alice_web = await harness.device("alice")
    await alice.api("/v1/status/set", {"customStatus": 1, "customText": "away"})
    await alice_web.next_event(CUSTOM)

    await alice.api("/v1/status/set", {"customStatus": 1, "customText": "away"})

    assert await _quiet(alice_web, CUSTOM)


def test_every_new_operation_documents_an_example_request():
    from lim_server.api.operations import load_operations

    paths = [
        path
        for path in load_operations()
        if path.startswith(("/v1/status/", "/v1/conversation/"))
        or path in ("/v1/message/recall", "/v1/sync/recalls")
    ]
    registry = load_operations()

    assert len(paths) == 16
    for path in paths:
        schema = registry[path].model.model_json_schema(by_alias=True)
        assert schema.get("examples"), path
        for example in schema["examples"]:
            registry[path].model.model_validate(example)
