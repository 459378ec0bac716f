"""`lim chat` in a real terminal (tmux) against a real server."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


async def tmux(socket: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "tmux",
        "-L",
        socket,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return out.decode("utf-8", "replace")


async def screen_until(socket: str, text: str, timeout: float = 20.0) -> str:
    last = ""

    async def poll() -> bool:
        nonlocal last
        last = await tmux(socket, "capture-pane", "-p", "-t", "chat")
        return text in last

    deadline = asyncio.get_running_loop().time() + timeout
    while not await poll():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{text!r} never appeared on screen:\n{last}")
        await asyncio.sleep(0.1)
    return last


async def test_lim_chat_in_tmux_shows_history_and_sends(harness, tmp_path):
    await harness.user("alice", nickname="Alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    await alice.send_message("bob", "hello from alice")

    socket = f"lim-test-{uuid.uuid4().hex[:8]}"
    command = (
        f"{sys.executable} -m lim_cli chat --cache-dir {tmp_path / 'cache'}"
        f" --log-file {tmp_path / 'chat.log'}"
    )
    env = {
        "PYTHONPATH": str(ROOT),
        "LIM_SERVER": harness.url("ws"),
        "LIM_TOKEN": harness.token("bob"),
        "TERM": "xterm-256color",
    }
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    await tmux(
        socket,
        "-f",
        os.devnull,
        "new-session",
        "-d",
        "-s",
        "chat",
        "-x",
        "80",
        "-y",
        "24",
        *env_args,
        command,
    )
    try:
        screen = await screen_until(socket, "hello from alice")
        assert "online" in screen
        assert "Alice" in screen

        await tmux(socket, "send-keys", "-t", "chat", "-l", "hi alice")
        await tmux(socket, "send-keys", "-t", "chat", "Enter")
        event = await alice.next_event(1103, timeout=20)
        assert event.body["messageBody"]["text"] == "hi alice"
        await screen_until(socket, "hi alice ✓")

        await alice.send_message("bob", "second from alice")
        await screen_until(socket, "second from alice")

        await tmux(socket, "send-keys", "-t", "chat", "C-q")
    finally:
        await tmux(socket, "kill-server")
    log_text = (tmp_path / "chat.log").read_text()
    assert "Traceback" not in log_text
