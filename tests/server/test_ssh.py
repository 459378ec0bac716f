"""Chat over SSH with a real OpenSSH client against a real server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import uuid

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("ssh") is None or shutil.which("ssh-keygen") is None,
    reason="needs openssh-client",
)

SSH_OPTIONS = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "PasswordAuthentication=no",
    "-o",
    "KbdInteractiveAuthentication=no",
]


def new_key(path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True
    )
    return path.with_suffix(".pub").read_text()


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


async def screen_until(socket: str, predicate, timeout: float = 30.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        screen = await tmux(socket, "capture-pane", "-p", "-t", "ssh")
        if predicate(screen):
            return screen
        if loop.time() > deadline:
            raise AssertionError(f"screen never matched:\n{screen}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def ssh_harness(make_harness):
    harness = await make_harness(ssh_port=0)
    yield harness
    await harness.close()
    await harness.server.stop()


async def test_unknown_key_is_refused_with_a_clear_message(ssh_harness, tmp_path):
    await ssh_harness.user("alice")
    new_key(tmp_path / "unknown")
    port = ssh_harness.server.addresses["ssh"][1]

    process = await asyncio.create_subprocess_exec(
        "ssh",
        "-p",
        str(port),
        "-i",
        str(tmp_path / "unknown"),
        *SSH_OPTIONS,
        "-o",
        "LogLevel=INFO",
        "alice@127.0.0.1",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 255
    assert "is not registered for 'alice'" in err.decode()
    assert "Permission denied" in err.decode()
    assert (ssh_harness.server.config.data_dir / "ssh_host_ed25519_key").exists()


async def test_no_terminal_gets_told_to_use_one(ssh_harness, tmp_path):
    await ssh_harness.user("alice")
    await ssh_harness.server.services.users.add_key(
        ssh_harness.app_id, "alice", new_key(tmp_path / "key")
    )
    port = ssh_harness.server.addresses["ssh"][1]

    process = await asyncio.create_subprocess_exec(
        "ssh",
        "-T",
        "-p",
        str(port),
        "-i",
        str(tmp_path / "key"),
        *SSH_OPTIONS,
        "alice@127.0.0.1",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 1
    assert b"connect with a terminal" in out


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
async def test_registered_key_reaches_the_chat_ui_and_chats(ssh_harness, tmp_path):
    harness = ssh_harness
    await harness.user("alice")
    await harness.user("bob", nickname="Bob")
    await harness.server.services.users.add_key(
        harness.app_id, "alice", new_key(tmp_path / "key")
    )
    bob = await harness.device("bob")
    await bob.send_message("alice", "hello over ssh")
    port = harness.server.addresses["ssh"][1]

    socket = f"lim-ssh-{uuid.uuid4().hex[:8]}"
    command = " ".join(
        [
            "ssh",
            "-tt",
            "-p",
            str(port),
            "-i",
            str(tmp_path / "key"),
            *SSH_OPTIONS,
            "alice@127.0.0.1",
        ]
    )
    await tmux(
        socket,
        "-f",
        os.devnull,
        "new-session",
        "-d",
        "-s",
        "ssh",
        "-x",
        "80",
        "-y",
        "24",
        "-e",
        "TERM=xterm-256color",
        command,
    )
    try:
        screen = await screen_until(
            socket, lambda s: "hello over ssh" in s and "online" in s
        )
        assert "lim · alice" in screen

        # Bytes that are not UTF-8 do not hurt the session.
        await tmux(socket, "send-keys", "-t", "ssh", "-H", "ff", "fe", "c3")
        await tmux(socket, "send-keys", "-t", "ssh", "-l", "hi bob")
        await tmux(socket, "send-keys", "-t", "ssh", "Enter")
        try:
            event = await bob.next_event(1103, timeout=30)
        except TimeoutError:
            screen = await tmux(socket, "capture-pane", "-p", "-t", "ssh")
            logs = (harness.server.config.data_dir / "ssh-chat.log").read_text()
            raise AssertionError(
                f"bob got nothing; alice sees:\n{screen}\n{logs}"
            ) from None
        assert event.body["messageBody"]["text"].endswith("hi bob")

        # A wider window reaches the app, which redraws to the new width.
        await tmux(socket, "resize-window", "-t", "ssh", "-x", "120", "-y", "30")
        await screen_until(
            socket, lambda s: max(len(line.rstrip()) for line in s.splitlines()) > 100
        )

        gateway = harness.server.ssh.gateway
        assert gateway.sessions == {"alice": 1}
        # Ctrl+Q ends the app and the session (again if a redraw swallowed it).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        next_press = 0.0
        while gateway.sessions:
            assert loop.time() < deadline, "the ssh session did not end"
            if loop.time() >= next_press:
                await tmux(socket, "send-keys", "-t", "ssh", "C-q")
                next_press = loop.time() + 2
            await asyncio.sleep(0.05)
    finally:
        await tmux(socket, "kill-server")


async def test_sessions_are_bounded_per_user_and_end_when_the_client_leaves(
    make_harness, tmp_path
):
    harness = await make_harness(ssh_port=0, ssh_max_sessions_per_user=1)
    await harness.user("alice")
    await harness.server.services.users.add_key(
        harness.app_id, "alice", new_key(tmp_path / "key")
    )
    port = harness.server.addresses["ssh"][1]
    gateway = harness.server.ssh.gateway
    command = [
        "ssh",
        "-tt",
        "-p",
        str(port),
        "-i",
        str(tmp_path / "key"),
        *SSH_OPTIONS,
        "alice@127.0.0.1",
    ]
    loop = asyncio.get_running_loop()

    first = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    deadline = loop.time() + 30
    while gateway.sessions != {"alice": 1}:
        assert loop.time() < deadline, "the first session never opened"
        await asyncio.sleep(0.05)
    child = next(iter(gateway.children))

    second = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 1
    assert b"already has 1 ssh sessions" in out

    # The client goes away: its chat process is ended and the slot freed.
    first.kill()
    await first.wait()
    deadline = loop.time() + 30
    while gateway.sessions or child.returncode is None:
        assert loop.time() < deadline, "the session outlived its client"
        await asyncio.sleep(0.05)
    await harness.server.stop()


async def test_a_busy_ssh_port_leaves_the_server_running_without_ssh(
    make_harness, tmp_path
):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        harness = await make_harness(ssh_port=busy.getsockname()[1])
        assert "ssh" not in harness.server.addresses
        await harness.user("alice")
        session = await harness.device("alice")
        assert await session.ping() > 0
        await session.close()
        await harness.server.stop()


async def test_password_users_get_in_and_a_wrong_password_does_not(
    ssh_harness, tmp_path
):
    import asyncssh

    await ssh_harness.user("bob", password="correct horse")
    port = ssh_harness.server.addresses["ssh"][1]

    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1", port, username="bob", password="wrong",
            known_hosts=None, client_keys=None,
        )  # fmt: skip

    async with asyncssh.connect(
        "127.0.0.1", port, username="bob", password="correct horse",
        known_hosts=None, client_keys=None,
    ) as conn:  # fmt: skip
        process = await conn.create_process(
            term_type="xterm-256color", term_size=(100, 30), encoding=None
        )
        seen = b""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while b"lim \xc2\xb7 bob" not in seen or b"online" not in seen:
            assert loop.time() < deadline, f"no chat UI: {seen[-500:]!r}"
            seen += await asyncio.wait_for(process.stdout.read(65536), 30)

        # Ctrl+Q quits the app, which ends the session (pressed again if the
        # app was still starting up when the first one came).
        while process.exit_status is None:
            assert loop.time() < deadline, "ctrl+q did not end the session"
            process.stdin.write(b"\x11")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait_closed(), 2)
        assert process.exit_status == 0
