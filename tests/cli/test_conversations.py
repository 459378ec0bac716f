"""``lim conv`` and ``lim recall`` as subprocesses against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from lim_server.models import p2p_conversation_id

REPO = Path(__file__).resolve().parents[2]
AB = p2p_conversation_id("alice", "bob")


async def lim(harness: Any, user: str, *args: str) -> tuple[int, str, str]:
    """Run ``lim ARGS`` with USER's token; return (exit code, stdout, stderr)."""
    host, port = harness.server.addresses["http"]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "LIM_SERVER": f"http://{host}:{port}",
        "LIM_TOKEN": harness.token(user),
        "XDG_CONFIG_HOME": str(harness.server.config.data_dir / "xdg"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lim_cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def http_harness(make_harness: Any) -> Any:
    harness = await make_harness(http_port=0)
    await harness.user("alice")
    await harness.user("bob")
    yield harness
    await harness.close()
    await harness.server.stop()


async def test_conv_list_shows_unread_and_last_message(http_harness):
    alice = await http_harness.device("alice")
    await alice.send_message("bob", "hello bob")
    await alice.send_message("bob", "are you there")

    code, out, _ = await lim(http_harness, "bob", "conv", "list", "--json")
    table_code, table, _ = await lim(http_harness, "bob", "conv", "list")

    data = json.loads(out)
    assert code == table_code == 0
    assert data[0]["conversationId"] == AB
    assert data[0]["unreadCount"] == 2
    assert "are you there" in table
    assert "alice" in table


async def test_conv_pin_mute_read_and_delete_take_a_peer_id(http_harness):
    alice = await http_harness.device("alice")
    await alice.send_message("bob", "one")
    await alice.send_message("bob", "two")

    pin = await lim(http_harness, "bob", "conv", "pin", "alice")
    mute = await lim(http_harness, "bob", "conv", "mute", AB, "--json")
    read = await lim(http_harness, "bob", "conv", "read", "alice", "--seq", "1")
    view = http_harness.server.services.conversations
    caller = _caller(http_harness, "bob")
    after_read = view.get(caller, AB)
    delete = await lim(http_harness, "bob", "conv", "delete", "alice")

    assert pin[0] == 0 and pin[1].strip() == f"pinned {AB}"
    assert mute[0] == 0 and json.loads(mute[1])["muted"] is True
    assert read[0] == 0 and "up to 1 (1 unread)" in read[1]
    assert after_read["pinned"] and after_read["muted"]
    assert delete[0] == 0
    assert view.get(caller, AB)["deleted"] is True


async def test_admin_acts_for_a_user_with_as(http_harness):
    alice = await http_harness.device("alice")
    await alice.send_message("bob", "hi")

    code, out, _ = await lim(
        http_harness, "@admin", "conv", "list", "--as", "bob", "--json"
    )

    assert code == 0
    assert json.loads(out)[0]["peerId"] == "alice"


async def test_recall_prints_the_recalled_message_and_errors_in_one_line(http_harness):
    alice = await http_harness.device("alice")
    ack = await alice.send_message("bob", "oops")
    key = str(ack["messageKey"])

    foreign = await lim(http_harness, "bob", "recall", key)
    code, out, _ = await lim(http_harness, "alice", "recall", key)
    again = await lim(http_harness, "alice", "recall", key)

    assert code == 0 and out.startswith(f"recalled {key}")
    assert again[0] == 1 and again[2].strip().endswith("(code 50004)")
    assert len(again[2].strip().splitlines()) == 1
    assert foreign[0] == 1 and "50006" in foreign[2]


async def test_conv_on_a_missing_conversation_fails_with_its_code(http_harness):
    code, _, err = await lim(http_harness, "alice", "conv", "pin", "nobody")

    assert code == 1
    assert "50007" in err


def _caller(harness: Any, user_id: str) -> Any:
    from lim_server.services.context import Caller

    return Caller(harness.app, user_id, user_id)
