"""The client SDK against a real server: sync, outbox, reconnect, gaps."""

from __future__ import annotations

import json
import socket

from lim_client.cache import Cache
from lim_client.client import State

from .helpers import make_client, until

CONV = "p2p|alice|bob"


def texts(cache: Cache, conversation_id: str = CONV) -> list[str]:
    return [row["text"] for row in cache.messages(conversation_id)]


async def test_first_sync_pulls_every_missed_message_once(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    for n in range(5):
        await alice.send_message("bob", f"hello {n}")

    client = make_client(harness, "bob", tmp_path / "bob.db")
    client.start()
    await client.wait_online()

    assert texts(client.cache) == [f"hello {n}" for n in range(5)]
    assert [m["sequence"] for m in client.cache.messages(CONV)] == [1, 2, 3, 4, 5]
    assert client.cache.unread(CONV, "bob") == 5
    assert client.cache.profile("alice")["userId"] == "alice"

    # A second sync pulls nothing: the cursors say we are current.
    before = client.syncer.pulled_messages
    await client.syncer.sync_all()
    assert client.syncer.pulled_messages == before
    await client.stop()


async def test_sent_message_leaves_the_outbox_on_ack_and_reaches_the_peer(
    harness, tmp_path
):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    client = make_client(harness, "bob", tmp_path / "bob.db")
    client.start()
    await client.wait_online()

    row = client.send_text(CONV, "hi alice 你好 👋")
    event = await alice.next_event(1103)

    assert event.body["messageId"] == row["message_id"]
    assert event.body["messageBody"]["text"] == "hi alice 你好 👋"
    await until(lambda: not client.cache.outbox())
    assert texts(client.cache) == ["hi alice 你好 👋"]

    # The receipt alice's client sends back marks it delivered.
    await alice.send(
        1107,
        {
            "messageKey": event.body["messageKey"],
            "fromId": "bob",
            "toId": "alice",
            "messageSequence": 1,
        },
    )
    await until(lambda: client.cache.messages(CONV)[0]["status"] == "delivered")
    await client.stop()


async def test_client_reconnects_and_catches_up_what_it_missed(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    client = make_client(harness, "bob", tmp_path / "bob.db")
    states: list[State] = []
    client.listeners.append(lambda e: states.append(getattr(e, "state", None)))
    client.start()
    await client.wait_online()
    await alice.send_message("bob", "before")
    await until(lambda: texts(client.cache) == ["before"])

    client.drop_connection()
    await until(lambda: client.state is not State.ONLINE)
    await alice.send_message("bob", "while away")
    await client.wait_online()

    await until(lambda: texts(client.cache) == ["before", "while away"])
    assert client.connects == 2
    assert State.OFFLINE in states
    await client.stop()


async def test_pushed_message_past_a_gap_pulls_the_missing_range(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    client = make_client(harness, "bob", tmp_path / "bob.db")
    client.start()
    await client.wait_online()
    await alice.send_message("bob", "one")
    await alice.send_message("bob", "two")
    await until(lambda: len(texts(client.cache)) == 2)

    # Lose message 2 locally, as if its push never arrived.
    client.cache.db.execute(
        "DELETE FROM messages WHERE conversation_id = ? AND sequence = 2", [CONV]
    )
    client.cache.db.conn.commit()
    client.cache.upsert_conversation(CONV, synced_sequence=1)

    await alice.send_message("bob", "three")

    await until(lambda: texts(client.cache) == ["one", "two", "three"])
    assert client.syncer.gaps == 1
    await client.stop()


async def test_outbox_survives_a_client_crash_and_resends_with_the_same_id(
    harness, tmp_path
):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    path = tmp_path / "bob.db"

    # Offline: nothing listens on this port, so the message stays pending.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    crashed = make_client(harness, "bob", path, url=dead)
    crashed.start()
    queued = crashed.send_text(CONV, "written offline")
    await until(lambda: crashed.state is State.OFFLINE)

    # The first attempt reached the server but its ack was lost in the crash.
    await (await harness.device("bob")).send_message(
        "alice", json.loads(queued["body"]), message_id=queued["message_id"]
    )
    first = await alice.next_event(1103)
    crashed._task.cancel()  # the process dies: no stop(), no cleanup
    crashed.cache.close()

    reopened = make_client(harness, "bob", path)
    assert [row["message_id"] for row in reopened.cache.outbox()] == [
        queued["message_id"]
    ]
    reopened.start()
    await reopened.wait_online()

    await until(lambda: not reopened.cache.outbox())
    stored = reopened.cache.messages(CONV)
    assert [m["message_id"] for m in stored] == [queued["message_id"]]
    assert stored[0]["message_key"] == first.body["messageKey"]
    assert stored[0]["sequence"] == 1
    await reopened.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_messages_written_while_the_server_restarts_are_sent_once(
    make_harness, tmp_path
):
    port = free_port()
    first = await make_harness(ws_port=port)
    await first.user("alice")
    await first.user("bob")
    client = make_client(first, "bob", tmp_path / "bob.db")
    client.start()
    await client.wait_online()
    client.send_text(CONV, "before the restart")
    await until(lambda: not client.cache.outbox())

    await first.server.stop()
    await until(lambda: client.state is not State.ONLINE)
    client.send_text(CONV, "during the restart")
    assert [row["state"] for row in client.cache.outbox()] == ["pending"]

    second = await make_harness(ws_port=port)
    await client.wait_online(timeout=30)
    await until(lambda: not client.cache.outbox())

    alice = await second.device("alice")
    history = await alice.api("/v1/message/history", {"conversationId": CONV})
    assert [m["messageBody"]["text"] for m in history] == [
        "before the restart",
        "during the restart",
    ]
    assert texts(client.cache) == ["before the restart", "during the restart"]
    await client.stop()
    await alice.close()
    await second.server.stop()


async def test_older_history_loads_before_the_first_sync_window(harness, tmp_path):
    from lim_client import sync

    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    for n in range(1, 13):
        await alice.send_message("bob", f"m{n}")

    window = sync.FIRST_WINDOW
    sync.FIRST_WINDOW = 5
    try:
        client = make_client(harness, "bob", tmp_path / "bob.db")
        client.start()
        await client.wait_online()
    finally:
        sync.FIRST_WINDOW = window
    assert texts(client.cache) == [f"m{n}" for n in range(8, 13)]

    assert await client.load_older(CONV, limit=4) == 4
    assert texts(client.cache)[0] == "m4"
    assert await client.load_older(CONV, limit=10) == 3
    assert await client.load_older(CONV) == 0
    assert [m["sequence"] for m in client.cache.messages(CONV)] == list(range(1, 13))
    await client.stop()
