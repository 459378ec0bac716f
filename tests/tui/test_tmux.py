"""`lim chat` in a real terminal (tmux) against a real server."""

from __future__ import annotations

import asyncio
import contextlib
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


def pane(socket: str, name: str):
    async def capture() -> str:
        return await tmux(socket, "capture-pane", "-p", "-t", name)

    return capture


async def wait_screen(capture, predicate, timeout: float = 30.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        screen = await capture()
        if predicate(screen):
            return screen
        if loop.time() > deadline:
            raise AssertionError(f"screen never matched:\n{screen}")
        await asyncio.sleep(0.1)


@pytest.mark.skipif(shutil.which("ssh") is None, reason="needs openssh-client")
async def test_two_people_chat_one_local_one_over_ssh(make_harness, tmp_path):
    import subprocess

    harness = await make_harness(ssh_port=0)
    await harness.user("alice", nickname="Alice")
    await harness.user("bob", nickname="Bob")
    key = tmp_path / "alice_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
    )
    await harness.server.services.users.add_key(
        harness.app_id, "alice", key.with_suffix(".pub").read_text()
    )
    ssh_port = harness.server.addresses["ssh"][1]
    socket = f"lim-two-{uuid.uuid4().hex[:8]}"
    env = {
        "PYTHONPATH": str(ROOT),
        "LIM_SERVER": harness.url("ws"),
        "LIM_TOKEN": harness.token("bob"),
        "TERM": "xterm-256color",
    }
    env_args = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
    local = (
        f"{sys.executable} -m lim_cli chat --cache-dir {tmp_path / 'cache'}"
        f" --log-file {tmp_path / 'chat.log'}"
    )
    remote = (
        f"ssh -tt -p {ssh_port} -i {key} -o StrictHostKeyChecking=no"
        " -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o IdentitiesOnly=yes"
        " alice@127.0.0.1"
    )
    await tmux(socket, "-f", os.devnull, "new-session", "-d", "-s", "bob",
               "-x", "80", "-y", "24", *env_args, local)  # fmt: skip
    await tmux(socket, "new-session", "-d", "-s", "alice",
               "-x", "80", "-y", "24", "-e", "TERM=xterm-256color", remote)  # fmt: skip
    bob, alice = pane(socket, "bob"), pane(socket, "alice")
    try:
        await wait_screen(bob, lambda s: "● online" in s)
        await wait_screen(alice, lambda s: "● online" in s)

        # Bob starts the conversation; alice sees it arrive live.
        await tmux(socket, "send-keys", "-t", "bob", "-l", "/msg alice hello alice")
        await tmux(socket, "send-keys", "-t", "bob", "Enter")
        await wait_screen(alice, lambda s: "Bob: hello alice" in s)

        # Alice has it open, so it is read: bob sees the read mark and her dot.
        await wait_screen(bob, lambda s: "hello alice ◉" in s)
        await wait_screen(bob, lambda s: "● Alice" in s)

        await tmux(socket, "send-keys", "-t", "alice", "-l", "hi bob, from ssh")
        await tmux(socket, "send-keys", "-t", "alice", "Enter")
        await wait_screen(bob, lambda s: "Alice: hi bob, from ssh" in s)

        # Alice leaves: bob's sidebar shows her offline.
        for _ in range(15):  # Ctrl+Q, again if a redraw swallowed it
            await tmux(socket, "send-keys", "-t", "alice", "C-q")
            with contextlib.suppress(AssertionError):
                await wait_screen(bob, lambda s: "○ Alice" in s, timeout=2)
                break
        else:
            raise AssertionError("bob never saw alice go offline")
    finally:
        await tmux(socket, "kill-server")
        await harness.server.stop()


async def test_message_typed_before_a_kill_9_is_sent_by_the_next_start(
    make_harness, tmp_path
):
    import signal
    import socket as sockets

    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first_server = await make_harness(ws_port=port)
    await first_server.user("alice")
    await first_server.user("bob")
    token = first_server.token("bob")
    url = first_server.url("ws")
    await first_server.server.stop()

    socket = f"lim-crash-{uuid.uuid4().hex[:8]}"
    command = (
        f"{sys.executable} -m lim_cli chat --cache-dir {tmp_path / 'cache'}"
        f" --log-file {tmp_path / 'chat.log'}"
    )

    async def start(name: str) -> None:
        env = {
            "PYTHONPATH": str(ROOT),
            "LIM_SERVER": url,
            "LIM_TOKEN": token,
            "TERM": "xterm-256color",
        }
        env_args = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
        await tmux(socket, "-f", os.devnull, "new-session", "-d", "-s", name,
                   "-x", "80", "-y", "24", *env_args, command)  # fmt: skip

    # A session that outlives the killed one keeps the tmux server up.
    await tmux(socket, "-f", os.devnull, "new-session", "-d", "-s", "hold",
               "sleep 600")  # fmt: skip
    try:
        # The server is down: the message waits in the outbox.
        await start("first")
        first = pane(socket, "first")
        await wait_screen(first, lambda s: "offline" in s)
        await tmux(socket, "send-keys", "-t", "first", "-l", "/msg alice kept safe")
        await tmux(socket, "send-keys", "-t", "first", "Enter")
        await wait_screen(first, lambda s: "kept safe …" in s)

        pid = int((await tmux(socket, "display", "-p", "-t", "first",
                              "#{pane_pid}")).strip())  # fmt: skip
        os.killpg(pid, signal.SIGKILL)  # the shell and lim chat in it, at once
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while "first" in await tmux(socket, "list-sessions", "-F", "#{session_name}"):
            assert loop.time() < deadline, "the killed session stayed"
            await asyncio.sleep(0.05)

        # The server comes back; the next start sends what the dead one kept.
        harness = await make_harness(ws_port=port)
        alice = await harness.device("alice")
        await start("second")
        second = pane(socket, "second")
        event = await alice.next_event(1103, timeout=30)
        assert event.body["messageBody"]["text"] == "kept safe"
        await wait_screen(second, lambda s: "kept safe ✓" in s)
        await alice.close()
        await harness.server.stop()
    finally:
        await tmux(socket, "kill-server")
