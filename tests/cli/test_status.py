"""``lim status`` (show, set, watch) as subprocesses against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import pytest

from lim_protocol.commands import Command

from .test_conversations import REPO, lim


@pytest.fixture
async def http_harness(make_harness: Any) -> Any:
    harness = await make_harness(http_port=0)
    for name in ("alice", "bob", "carol"):
        await harness.user(name)
    friends = {"alice": ["bob", "carol"], "bob": ["alice"]}
    presence = harness.server.services.presence
    presence.friends_of = lambda app_id, user_id: friends.get(user_id, [])
    yield harness
    await harness.close()
    await harness.server.stop()


async def test_status_set_is_seen_by_friends_and_by_status_show(http_harness):
    bob = await http_harness.device("bob")
    await http_harness.device("alice")

    code, out, _ = await lim(http_harness, "alice", "status", "set", "away", "lunch")
    event = await bob.next_event(Command.USER_CUSTOM_STATUS_CHANGED)
    show = await lim(http_harness, "bob", "status", "alice", "carol")
    shown_json = await lim(http_harness, "bob", "status", "alice", "--json")
    friends = await lim(http_harness, "bob", "status", "--json")

    assert code == 0 and out.strip() == "status away (lunch)"
    assert event.body["customStatus"] == 1
    assert event.body["customText"] == "lunch"
    lines = show[1].splitlines()
    assert "alice" in lines[1] and "away" in lines[1] and "lunch" in lines[1]
    assert "carol" in lines[2] and "no" in lines[2]
    assert json.loads(shown_json[1])[0]["customStatus"] == 1
    assert [s["userId"] for s in json.loads(friends[1])] == ["alice"]


async def test_status_set_rejects_an_unknown_name_as_usage(http_harness):
    code, _, err = await lim(http_harness, "alice", "status", "set", "sleepy")

    assert code == 2
    assert "unknown status 'sleepy'" in err


async def test_status_watch_streams_changes_until_interrupted(http_harness):
    host, port = http_harness.server.addresses["http"]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "LIM_SERVER": f"http://{host}:{port}",
        "LIM_TOKEN": http_harness.token("carol"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lim_cli",
        "status",
        "watch",
        "alice",
        "--json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None

    async def line() -> dict[str, Any]:
        raw = await asyncio.wait_for(process.stdout.readline(), 30)
        return json.loads(raw)

    try:
        initial = await line()
        alice = await http_harness.device("alice")
        online = await line()
        await alice.api("/v1/status/set", {"customStatus": 2, "customText": "busy"})
        custom = await line()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)

    assert initial == {**initial, "event": "status", "userId": "alice"}
    assert initial["online"] is False
    assert online["event"] == "online" and online["online"] is True
    assert custom["event"] == "custom" and custom["customText"] == "busy"
    assert process.returncode != 0
