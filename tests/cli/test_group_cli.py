"""``lim group`` against a real server over HTTP, with Typer's runner and as a
subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lim_cli.groups import parse_duration
from lim_cli.main import app
from lim_protocol.commands import Command
from lim_server.models import LOCAL_ADMIN

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def server(make_harness: Any) -> Any:
    harness = await make_harness(http_port=0)
    for name in ("alice", "bob", "carol", "dave"):
        await harness.user(name)
    yield harness
    await harness.close()
    await harness.server.stop()


def environment(harness: Any, user: str = LOCAL_ADMIN) -> dict[str, str]:
    host, port = harness.server.addresses["http"]
    return {
        "LIM_SERVER": f"http://{host}:{port}",
        "LIM_TOKEN": harness.token(user),
        "LIM_CONFIG_FILE": "/nonexistent/lim.toml",
    }


async def lim(harness: Any, *args: str, user: str = LOCAL_ADMIN) -> Any:
    """Run ``lim ARGS`` in a thread (the server shares this event loop)."""
    runner = CliRunner()
    env = environment(harness, user)
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


async def lim_json(harness: Any, *args: str, user: str = LOCAL_ADMIN) -> Any:
    result = await lim(harness, *args, "--json", user=user)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def test_create_add_and_list_members_as_json(server):
    created = await lim_json(
        server,
        "group",
        "create",
        "Rust fans",
        "--id",
        "rust",
        "--owner",
        "alice",
        "-m",
        "bob",
    )
    added = await lim_json(server, "group", "add", "rust", "carol", "bob")
    members = await lim_json(server, "group", "members", "rust")
    mine = await lim_json(server, "group", "list", "--as", "bob")

    assert created["groupId"] == "rust" and created["ownerId"] == "alice"
    assert added == {"added": ["carol"], "alreadyMembers": ["bob"]}
    assert {m["memberId"]: m["role"] for m in members} == {
        "alice": "owner",
        "bob": "member",
        "carol": "member",
    }
    assert [g["groupId"] for g in mine["groups"]] == ["rust"]


async def test_roles_mutes_and_transfer_from_the_cli(server):
    await lim_json(
        server,
        "group",
        "create",
        "Ops",
        "--id",
        "ops",
        "--owner",
        "alice",
        "-m",
        "bob",
        "-m",
        "carol",
    )

    promoted = await lim_json(
        server, "group", "role", "ops", "bob", "manager", "--as", "alice"
    )
    muted = await lim_json(
        server, "group", "mute", "ops", "carol", "--for", "1h", "--as", "bob"
    )
    group_muted = await lim_json(server, "group", "mute", "ops", "--as", "bob")
    unmuted = await lim_json(server, "group", "unmute", "ops", "carol", "--as", "bob")
    transferred = await lim_json(
        server, "group", "transfer", "ops", "bob", "--as", "alice"
    )
    info = await lim_json(server, "group", "info", "ops")

    assert promoted["role"] == "manager"
    assert muted["muteUntil"] > 0 and unmuted["muteUntil"] == 0
    assert group_muted["muteAll"] is True
    assert transferred["ownerId"] == "bob"
    assert {m["memberId"]: m["role"] for m in info["members"]}["alice"] == "member"


async def test_a_refusal_is_one_line_on_stderr_with_exit_code_one(server):
    await lim_json(
        server, "group", "create", "Ops", "--id", "ops", "--owner", "alice", "-m", "bob"
    )

    result = await lim(server, "group", "remove", "ops", "alice", "--as", "bob")

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "40003" in result.stderr


async def test_join_requests_are_listed_and_approved_from_the_cli(server):
    await lim_json(
        server,
        "group",
        "create",
        "Open",
        "--id",
        "open",
        "--public",
        "--owner",
        "alice",
    )
    watcher = await server.device("alice")

    asked = await lim_json(server, "group", "join", "open", "-m", "hello", user="dave")
    pending = await lim_json(server, "group", "requests", "open", "--as", "alice")
    request_id = str(asked["request"]["requestId"])
    approved = await lim(server, "group", "approve", request_id, "--as", "alice")
    event = await watcher.next_event(Command.GROUP_JOIN_REQUESTED)

    assert asked["joined"] is False
    assert [(r["userId"], r["wording"]) for r in pending] == [("dave", "hello")]
    assert approved.exit_code == 0 and "dave joined open" in approved.stdout
    assert event.body["request"]["userId"] == "dave"


async def test_update_leave_and_dismiss_print_plain_lines(server):
    await lim_json(
        server, "group", "create", "Tmp", "--id", "tmp", "--owner", "alice", "-m", "bob"
    )

    updated = await lim(
        server, "group", "update", "tmp", "--notice", "hi", "--as", "alice"
    )
    left = await lim(server, "group", "leave", "tmp", "--as", "bob")
    dismissed = await lim(server, "group", "dismiss", "tmp", "--yes")
    nothing = await lim(server, "group", "update", "tmp")

    assert updated.stdout.strip() == "updated tmp"
    assert left.stdout.strip() == "left tmp"
    assert dismissed.stdout.strip() == "dismissed tmp"
    assert nothing.exit_code == 2


async def test_lim_group_runs_as_a_subprocess(server):
    env = {**os.environ, **environment(server), "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "lim_cli",
        "group",
        "create",
        "Sub",
        "--id",
        "sub",
        "--owner",
        "carol",
        "--json",
    ]

    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = await process.communicate()

    assert process.returncode == 0, stderr.decode()
    assert json.loads(stdout)["ownerId"] == "carol"


def test_durations_take_units_and_refuse_nonsense():
    assert [parse_duration(text) for text in ("90", "90s", "10m", "2h", "1d")] == [
        90,
        90,
        600,
        7200,
        86400,
    ]
    with pytest.raises(typer.BadParameter):
        parse_duration("soon")
