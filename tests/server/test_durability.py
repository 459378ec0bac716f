"""``kill -9`` of a real ``lim serve`` under load: every acked message survives.

The server runs as a subprocess. Several clients send as fast as the server
acks; the test records each ack, kills the process mid-load, restarts it on
the same data directory and checks, by sync, that every acked message is
there exactly once with the key and sequence its ack promised, that
sequences are dense, and that resending unacked message ids never stores a
second copy.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from lim_cli.local import read_app
from lim_client.session import ClientSession, connect
from lim_protocol.tokens import create_user_sign
from lim_server.models import p2p_conversation_id

from .conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
SENDERS = [("alice", "bob"), ("bob", "alice"), ("carol", "alice"), ("dave", "alice")]
WINDOW = 32
KILL_AFTER = 800


def lim(*args: str, **options: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "lim_cli", *args], env=env, **options
    )


class RealServer:
    """A ``lim serve`` process on the given data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.address: tuple[str, int] = ("", 0)

    async def start(self) -> None:
        runtime = self.data_dir / "server.json"
        runtime.unlink(missing_ok=True)
        log = open(self.data_dir.parent / "serve.log", "ab")  # noqa: SIM115
        self.process = lim(
            "serve",
            "--data-dir", str(self.data_dir),
            "--ws-port", "0",
            "--tcp-port", "0",
            "--http-port", "-1",
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        await wait_until(
            lambda: runtime.exists() or self.process.poll() is not None, 30
        )
        assert self.process.poll() is None, "lim serve exited"
        self.address = tuple(json.loads(runtime.read_text())["addresses"]["tcp"])

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    async def stop(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return await asyncio.to_thread(self.process.wait, 30)

    async def session(self, user_id: str) -> ClientSession:
        app = read_app(self.data_dir)
        host, port = self.address
        session = await connect(f"tcp://{host}:{port}", app_id=app.app_id)
        await session.login(user_id, create_user_sign(app.secret, app.app_id, user_id))
        return session


class Sender:
    """One client keeping WINDOW numbered messages in flight until it dies.

    Each of WINDOW workers records a message as attempted, sends it, and on
    its ack sends the next, so whenever the server dies every worker has a
    message out that will never be acked.
    """

    def __init__(self, user_id: str, peer: str) -> None:
        self.user_id = user_id
        self.peer = peer
        self.attempted: list[str] = []
        self.acked: dict[str, tuple[int, int]] = {}

    async def run(self, server: RealServer) -> None:
        session = await server.session(self.user_id)
        try:
            await asyncio.gather(*(self._worker(session) for _ in range(WINDOW)))
        finally:
            await session.close()

    async def _worker(self, session: ClientSession) -> None:
        while True:
            message_id = f"{self.user_id}-{len(self.attempted)}"
            self.attempted.append(message_id)
            try:
                ack = await session.send_message(self.peer, message_id, message_id)
            except Exception:
                # The server died under it (or refused it): the message is
                # unacked and the test resends it after the restart.
                return
            self.acked[message_id] = (ack["messageKey"], ack["messageSequence"])


async def pull_all(session: ClientSession) -> dict[str, list[dict[str, Any]]]:
    """Every message of every conversation of the session's user, by sync."""
    cursors = await session.api("/v1/sync/cursors")
    conversations: dict[str, list[dict[str, Any]]] = {}
    for cursor in cursors["conversations"]:
        conversation_id = cursor["conversationId"]
        messages: list[dict[str, Any]] = []
        while True:
            page = await session.api(
                "/v1/sync/messages",
                {
                    "conversationId": conversation_id,
                    "lastSequence": len(messages),
                    "maxLimit": 1000,
                },
            )
            messages += page["dataList"]
            if page["completed"]:
                break
        assert len(messages) == cursor["lastSequence"]
        conversations[conversation_id] = messages
    return conversations


def check_conversations(
    conversations: dict[str, list[dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Assert dense sequences and unique ids; return the messages by id."""
    by_id: dict[str, dict[str, Any]] = {}
    for conversation_id, messages in conversations.items():
        sequences = [m["messageSequence"] for m in messages]
        assert sequences == list(range(1, len(messages) + 1)), conversation_id
        for m in messages:
            assert m["messageId"] not in by_id, f"duplicate {m['messageId']}"
            by_id[m["messageId"]] = m
    return by_id


async def create_users(server: RealServer) -> None:
    admin = await server.session("@admin")
    for user_id in {user for pair in SENDERS for user in pair}:
        await admin.api("/v1/user/create", {"userId": user_id})
    await admin.close()


async def start_loaded_server(tmp_path: Path) -> tuple[RealServer, list[Sender]]:
    """A fresh ``lim serve`` with senders running until it goes away."""
    data_dir = tmp_path / "data"
    assert lim("init", "--data-dir", str(data_dir)).wait(30) == 0
    server = RealServer(data_dir)
    await server.start()
    await create_users(server)
    return server, [Sender(user_id, peer) for user_id, peer in SENDERS]


async def interrupt_under_load(
    server: RealServer, senders: list[Sender], stop: Any
) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Run the senders, call ``stop`` mid-load; return the acked and unacked."""
    running = [asyncio.create_task(sender.run(server)) for sender in senders]
    await wait_until(lambda: sum(len(s.acked) for s in senders) >= KILL_AFTER, 60)
    await stop()
    await asyncio.wait_for(asyncio.gather(*running), 30)
    acked = {mid: ack for sender in senders for mid, ack in sender.acked.items()}
    unacked = [mid for s in senders for mid in s.attempted if mid not in acked]
    assert len(acked) >= KILL_AFTER
    return acked, unacked


async def check_after_restart(
    server: RealServer, senders: list[Sender], acked: dict[str, tuple[int, int]]
) -> dict[str, dict[str, Any]]:
    """Every acked message is stored once as acked; resends add nothing."""
    await server.start()
    alice = await server.session("alice")
    stored = check_conversations(await pull_all(alice))
    for message_id, (key, sequence) in acked.items():
        message = stored[message_id]
        assert (message["messageKey"], message["messageSequence"]) == (key, sequence)

    # Resending everything unacked (and some acked) never stores a second copy.
    for sender in senders:
        session = await server.session(sender.user_id)
        resent = [mid for mid in sender.attempted if mid not in acked]
        resent += list(sender.acked)[:50]
        acks = await asyncio.gather(
            *(session.send_message(sender.peer, mid, mid) for mid in resent)
        )
        for message_id, ack in zip(resent, acks, strict=True):
            if message_id in acked:
                expected = acked[message_id]
                assert (ack["messageKey"], ack["messageSequence"]) == expected
            elif message_id in stored:
                assert ack["messageKey"] == stored[message_id]["messageKey"]
        await session.close()

    final = check_conversations(await pull_all(alice))
    attempted = {mid for sender in senders for mid in sender.attempted}
    assert set(final) == attempted
    conversation = p2p_conversation_id("alice", "bob")
    assert conversation in {m["conversationId"] for m in final.values()}
    await alice.close()
    return stored


async def test_kill_9_under_load_loses_no_acked_message_and_duplicates_none(
    tmp_path: Path,
) -> None:
    server, senders = await start_loaded_server(tmp_path)

    async def kill() -> None:
        server.kill()

    acked, unacked = await interrupt_under_load(server, senders, kill)
    assert unacked, "the kill came while messages were in flight"
    stored = await check_after_restart(server, senders, acked)

    print(
        f"acked {len(acked)}, unacked {len(unacked)},"
        f" stored but unacked {len(set(unacked) & set(stored))}"
    )
    assert await server.stop() == 0
    assert not (server.data_dir / "server.json").exists()


async def test_sigterm_under_load_exits_cleanly_and_keeps_every_acked_message(
    tmp_path: Path,
) -> None:
    server, senders = await start_loaded_server(tmp_path)
    codes: list[int] = []

    async def terminate() -> None:
        codes.append(await server.stop())

    acked, _ = await interrupt_under_load(server, senders, terminate)

    assert codes == [0]
    assert not (server.data_dir / "server.json").exists()
    await check_after_restart(server, senders, acked)
    assert await server.stop() == 0
