"""Smoke runs of the load generator: correctness only, never timing."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from lim_client.bench import (
    BenchConfig,
    Credentials,
    catch_up,
    fill,
    run_group,
    run_p2p,
)
from lim_server.api.operations import dispatch
from lim_server.services.context import Caller


async def _credentials(harness, count: int) -> list[Credentials]:
    users = []
    for n in range(count):
        await harness.user(f"bench{n}")
        users.append(Credentials(f"bench{n}", harness.token(f"bench{n}")))
    return users


@pytest.mark.parametrize("transport", ["tcp", "ws"])
async def test_every_bench_message_is_acked_and_delivered_exactly_once(
    harness, transport
):
    config = BenchConfig(
        url=harness.url(transport),
        app_id=harness.app_id,
        users=await _credentials(harness, 4),
        rate=200.0,
        duration=0.2,
        server_pid=os.getpid(),
    )

    result = await run_p2p(config)

    assert result["sent"] == 40
    assert result["acked"] == result["delivered"] == result["receipts"] == 40
    assert result["duplicateAcks"] == result["duplicateDeliveries"] == 0
    assert result["errors"] == 0
    assert result["exactlyOnce"] is True
    assert harness.server.store.messages.count(harness.app_id) == 40


async def test_every_group_message_reaches_every_other_member_once(harness):
    members = await _credentials(harness, 6)
    owner = members[0].user_id
    services = harness.server.services
    await dispatch(
        services,
        Caller(harness.app, owner, owner, False),
        "/v1/group/create",
        {"groupId": "smoke", "memberIds": [m.user_id for m in members[1:]]},
    )
    config = BenchConfig(
        url=harness.url("ws"),
        app_id=harness.app_id,
        users=members,
        rate=100.0,
        duration=0.2,
        server_pid=os.getpid(),
    )

    result = await run_group(config, "smoke")

    assert result["sent"] == result["acked"] == 20
    assert result["deliveries"] == result["expectedDeliveries"] == 20 * 5
    assert result["duplicateDeliveries"] == 0
    assert result["exactlyOnce"] is True


async def test_catch_up_after_missed_messages_has_no_gaps_or_duplicates(harness):
    alice, bob = await _credentials(harness, 2)

    await fill(harness.url("tcp"), harness.app_id, alice, bob.user_id, 250, window=50)
    result = await catch_up(harness.url("ws"), harness.app_id, bob, page=100)

    assert result["messages"] == 250
    assert result["gaps"] == 0
    assert result["duplicates"] == 0


async def test_lim_bench_command_reports_exactly_once_as_json(harness, tmp_path):
    users = await _credentials(harness, 2)
    credentials = tmp_path / "users.txt"
    credentials.write_text("".join(f"{u.user_id} {u.token}\n" for u in users))
    repo = Path(__file__).resolve().parents[2]

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lim_cli",
        "bench",
        "--url",
        harness.url("tcp"),
        "--app",
        str(harness.app_id),
        "--credentials",
        str(credentials),
        "--rate",
        "100",
        "--duration",
        "0.3",
        "--json",
        env={**os.environ, "PYTHONPATH": str(repo)},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()

    result = json.loads(out)
    assert process.returncode == 0
    assert result["acked"] == result["delivered"] == 30
    assert result["exactlyOnce"] is True
