"""Appends in runs leave the database exactly as appends one by one."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lim_server.models import p2p_conversation_id
from lim_server.store import Store
from lim_server.store.appends import NewMessage, append_many
from lim_server.store.database import connect, settle_future
from lim_server.store.keys import MessageKeyGenerator
from lim_server.store.migrations import migrate

from .test_store import hold_writer

USERS = ("ann", "ben", "cat")


def p2p(sender: str, receiver: str, message_id: str) -> NewMessage:
    owners = ((sender, receiver),)
    if sender != receiver:
        owners += ((receiver, sender),)
    return NewMessage(
        app_id=1,
        conversation_id=p2p_conversation_id(sender, receiver),
        conversation_type=1,
        from_id=sender,
        to_id=receiver,
        message_id=message_id,
        body={"type": "text", "text": message_id},
        owners=owners,
    )


def group(sender: str, message_id: str) -> NewMessage:
    return NewMessage(
        app_id=1,
        conversation_id="group|g1",
        conversation_type=2,
        from_id=sender,
        to_id="g1",
        message_id=message_id,
        body={"type": "text", "text": message_id},
    )


def fresh_db(path: Path) -> sqlite3.Connection:
    conn = connect(path, synchronous="OFF")
    migrate(conn)
    # Group members' rows exist from joining; one of them has deleted theirs.
    for owner, deleted in (("ann", 0), ("ben", 0), ("cat", 1)):
        conn.execute(
            "INSERT INTO conversations (app_id, owner_id, conversation_id,"
            " conversation_type, peer_id, deleted, updated_at)"
            " VALUES (1, ?, 'group|g1', 2, 'g1', ?, 0)",
            (owner, deleted),
        )
    return conn


def state(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an append writes, but clock readings and key values."""
    queries = {
        "messages": "SELECT conversation_id, sequence, from_id, to_id, message_id,"
        " body FROM messages ORDER BY message_key",
        "sequences": "SELECT * FROM conversation_sequences ORDER BY 1, 2",
        "conversations": "SELECT app_id, owner_id, conversation_id, peer_id,"
        " read_sequence, deleted, sequence FROM conversations ORDER BY 1, 2, 3",
        "counters": "SELECT * FROM counters ORDER BY 1, 2",
    }
    return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}


def summary(results: list[tuple[Any, bool]]) -> list[tuple[str, int, bool]]:
    return [(stored.message_id, stored.sequence, dup) for stored, dup in results]


def delete_conversation(conn: sqlite3.Connection, owner: str, peer: str) -> None:
    conn.execute(
        "UPDATE conversations SET deleted = 1 WHERE owner_id = ?"
        " AND conversation_id = ?",
        (owner, p2p_conversation_id(owner, peer)),
    )


sends = st.lists(
    st.tuples(
        st.sampled_from(USERS),
        st.sampled_from((*USERS, "group")),
        st.integers(0, 6),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    before=sends,
    run=sends,
    deleted=st.lists(st.tuples(st.sampled_from(USERS), st.sampled_from(USERS))),
)
def test_a_run_leaves_the_same_state_as_appending_one_by_one(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[tuple[str, str, int]],
    run: list[tuple[str, str, int]],
    deleted: list[tuple[str, str]],
) -> None:
    def build(sender: str, receiver: str, n: int) -> NewMessage:
        if receiver == "group":
            return group(sender, f"{sender}-{n}")
        return p2p(sender, receiver, f"{sender}-{n}")

    states, outcomes = [], []
    for together in (False, True):
        conn = fresh_db(tmp_path_factory.mktemp("db") / "lim.db")
        keys = MessageKeyGenerator()
        append_many(conn, keys, [build(*send) for send in before])
        for owner, peer in deleted:
            delete_conversation(conn, owner, peer)

        messages = [build(*send) for send in run]
        if together:
            results = append_many(conn, keys, messages)
        else:
            results = [append_many(conn, keys, [m])[0] for m in messages]
        outcomes.append(summary(results))
        states.append(state(conn))
        conn.close()

    assert outcomes[0] == outcomes[1]
    assert states[0] == states[1]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "lim.db", synchronous="NORMAL")
    opened.open()
    yield opened
    opened.close()


def queue_append(store: Store, message: NewMessage) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    store.messages.submit_append(message, partial(settle_future, future))
    return future


async def test_a_message_sent_twice_in_one_run_is_stored_once(store: Store) -> None:
    gate, held = await hold_writer(store)
    first = queue_append(store, p2p("ann", "ben", "m1"))
    again = queue_append(store, p2p("ann", "ben", "m1"))
    gate.release.set()
    await held

    stored, duplicate = await first
    assert duplicate is False
    assert await again == (stored, True)
    assert store.messages.count(1) == 1


async def test_a_bad_message_fails_alone_and_its_run_is_stored(store: Store) -> None:
    bad = p2p("ann", "ben", "bad")
    bad.body = {"not json": object()}
    gate, held = await hold_writer(store)
    batches = store.db.batches
    futures = [
        queue_append(store, message)
        for message in (p2p("ann", "ben", "m1"), bad, p2p("ben", "ann", "m2"))
    ]
    gate.release.set()
    await held

    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    assert isinstance(outcomes[1], Exception)
    assert [(s.message_id, s.sequence, dup) for s, dup in outcomes[::2]] == [
        ("m1", 1, False),
        ("m2", 2, False),
    ]
    assert store.messages.count(1) == 2
    assert store.db.batches - batches == 2
