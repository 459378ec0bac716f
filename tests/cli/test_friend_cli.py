"""``lim friend`` against a real server over HTTP, in-process and as a process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lim_cli.main import app
from lim_protocol.commands import Command
from lim_server.models import LOCAL_ADMIN

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def web(make_harness):
    harness = await make_harness(http_port=0)
    yield harness
    await harness.close()
    await harness.server.stop()


def server_url(harness: Any) -> str:
    host, port = harness.server.addresses["http"]
    return f"http://{host}:{port}"


async def lim(harness: Any, user: str, *args: str) -> Any:
    """Run ``lim --server URL --token T ARGS`` in a thread (the server shares
    this event loop, and the CLI blocks on HTTP)."""
    argv = ["--server", server_url(harness), "--token", harness.token(user), *args]
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, argv, catch_exceptions=False)


async def lim_json(harness: Any, user: str, *args: str) -> Any:
    result = await lim(harness, user, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def test_two_users_request_approve_tag_block_and_unblock_from_the_cli(web):
    await web.user("alice")
    await web.user("bob", friendPolicy=2)
    bob_phone = await web.device("bob")

    asked = await lim(web, "alice", "friend", "add", "bob", "--wording", "hi")
    assert asked.exit_code == 0
    assert asked.stdout.startswith("asked bob (request ")

    [request] = await lim_json(web, "bob", "friend", "requests", "--pending")
    assert (request["fromId"], request["wording"], request["read"]) == (
        "alice",
        "hi",
        False,
    )
    read = await lim(web, "bob", "friend", "read")
    assert read.stdout.strip() == "marked 1 requests read"
    approved = await lim(
        web, "bob", "friend", "approve", str(request["requestId"]), "--remark", "Al"
    )
    assert approved.stdout.strip() == "alice is now a friend"
    event = await bob_phone.next_event(Command.FRIEND_ADDED)
    assert event.body["remark"] == "Al"

    listed = await lim(web, "alice", "friend", "list")
    assert "bob" in listed.stdout
    [row] = await lim_json(web, "alice", "friend", "list")
    assert (row["toId"], row["status"]) == ("bob", 1)

    tag = await lim(web, "alice", "friend", "tag", "create", "work", "bob")
    assert tag.stdout.strip() == "work: bob"
    [group] = await lim_json(web, "alice", "friend", "tag", "list")
    assert group["members"] == ["bob"]
    removed = await lim(web, "alice", "friend", "tag", "remove", "work", "bob")
    assert removed.stdout.strip() == "work: (empty)"
    added = await lim(web, "alice", "friend", "tag", "add", "work", "bob")
    assert added.stdout.strip() == "work: bob"
    await lim(web, "alice", "friend", "tag", "delete", "work")
    assert await lim_json(web, "alice", "friend", "tag", "list") == []

    blocked = await lim(web, "bob", "friend", "block", "alice")
    assert blocked.stdout.strip() == "blocked alice"
    [row] = await lim_json(web, "bob", "friend", "blocked")
    assert row["toId"] == "alice"
    [check] = await lim_json(web, "alice", "friend", "blocked", "bob")
    assert check["relation"] == "b_blocked_a"
    await lim(web, "bob", "friend", "unblock", "alice")
    assert await lim_json(web, "bob", "friend", "blocked") == []
    [check] = await lim_json(web, "alice", "friend", "check", "bob")
    assert check["relation"] == "both"


async def test_update_get_check_and_delete_from_the_cli(web):
    for name in ("alice", "bob", "carol"):
        await web.user(name)
    await lim(web, "alice", "friend", "add", "bob")
    await lim(web, "alice", "friend", "add", "carol")

    updated = await lim_json(
        web, "alice", "friend", "update", "bob", "--remark", "B", "--extra", '{"a":1}'
    )
    assert (updated["remark"], updated["extra"]) == ("B", {"a": 1})
    got = await lim_json(web, "alice", "friend", "get", "bob")
    assert got["remark"] == "B"

    deleted = await lim(web, "alice", "friend", "delete", "bob")
    assert deleted.stdout.strip() == "deleted bob"
    checks = await lim_json(web, "alice", "friend", "check", "bob", "carol")
    assert [c["relation"] for c in checks] == ["b_has_a", "both"]
    one_way = await lim_json(web, "bob", "friend", "check", "alice", "--one-way")
    assert one_way[0]["relation"] == "a_has_b"

    everything = await lim(web, "alice", "friend", "delete", "--all", "--yes")
    assert everything.stdout.strip() == "deleted 1 friends"
    assert await lim_json(web, "alice", "friend", "list") == []


async def test_refusals_print_one_line_with_the_code_and_exit_1(web):
    await web.user("alice")
    await web.user("bob", friendPolicy=2)

    myself = await lim(web, "alice", "friend", "add", "alice")
    nobody = await lim(web, "alice", "friend", "add", "nobody")
    stranger = await lim(web, "alice", "friend", "tag", "create", "t", "bob")
    no_request = await lim(web, "bob", "friend", "approve", "42")
    bad_extra = await lim(web, "alice", "friend", "add", "bob", "--extra", "[1]")

    assert (myself.exit_code, myself.stderr) == (
        1,
        "lim: you cannot befriend yourself (code 30002)\n",
    )
    assert nobody.exit_code == 1 and "(code 20000)" in nobody.stderr
    assert stranger.exit_code == 1 and "(code 30000)" in stranger.stderr
    assert no_request.exit_code == 1 and "(code 30003)" in no_request.stderr
    assert bad_extra.exit_code == 2 and "--extra" in bad_extra.stderr
    assert len(myself.stderr.splitlines()) == 1


async def test_an_admin_acts_for_a_user_with_as(web):
    await web.user("alice")
    await web.user("bob")

    added = await lim(web, LOCAL_ADMIN, "friend", "add", "bob", "--as", "alice")
    [row] = await lim_json(web, LOCAL_ADMIN, "friend", "list", "--as", "alice")
    refused = await lim(web, "bob", "friend", "list", "--as", "alice")

    assert added.exit_code == 0
    assert (row["fromId"], row["toId"]) == ("alice", "bob")
    assert refused.exit_code == 1 and "(code 60008)" in refused.stderr


async def test_lim_friend_runs_as_a_process(web):
    await web.user("alice")
    await web.user("bob")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LIM_DATA_DIR", None)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lim_cli",
        "--server",
        server_url(web),
        "--token",
        web.token("alice"),
        "friend",
        "add",
        "bob",
        "--json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()

    assert process.returncode == 0, err.decode()
    assert json.loads(out)["friendship"]["toId"] == "bob"
