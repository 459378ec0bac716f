"""The storage engine: group commit, savepoints, message keys, migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lim_server.store import Store
from lim_server.store import keys as keys_module
from lim_server.store.appends import NewMessage
from lim_server.store.keys import MessageKeyGenerator, key_time_ms
from lim_server.store.migrations import MIGRATIONS, migrate


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "lim.db"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened = Store(store_path, synchronous="NORMAL")
    opened.open()
    opened.db.reader.execute("SELECT 1")
    yield opened
    opened.close()


def create_table(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)")


def insert(conn: sqlite3.Connection, key: str) -> str:
    conn.execute("INSERT INTO t VALUES (?)", (key,))
    return key


def insert_then_fail(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("INSERT INTO t VALUES (?)", (key,))
    raise ValueError("refused after writing")


def keys_in(store: Store) -> set[str]:
    return {row[0] for row in store.db.query_all("SELECT k FROM t")}


def message(n: int, sender: str = "alice", message_id: str | None = None) -> NewMessage:
    return NewMessage(
        app_id=1,
        conversation_id="p2p|alice|bob",
        conversation_type=0,
        from_id=sender,
        to_id="bob" if sender == "alice" else "alice",
        message_id=message_id or f"{sender}-{n}",
        body={"type": "text", "text": str(n)},
        owners=(("alice", "bob"), ("bob", "alice")),
    )


class Gate:
    """A writer operation that holds the writer until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, conn: sqlite3.Connection) -> None:
        self.entered.set()
        self.release.wait(10)


async def hold_writer(store: Store) -> tuple[Gate, asyncio.Future[Any]]:
    gate = Gate()
    future = store.db.submit(gate)
    await asyncio.to_thread(gate.entered.wait, 10)
    return gate, future


async def test_group_commit_puts_concurrent_writes_in_few_transactions(
    store: Store,
) -> None:
    await store.db.write(create_table)
    before_batches, before_ops = store.db.batches, store.db.operations

    results = await asyncio.gather(
        *(store.db.write(insert, f"k{n}") for n in range(500))
    )

    assert results == [f"k{n}" for n in range(500)]
    assert store.db.operations - before_ops == 500
    assert store.db.batches - before_batches < 500
    assert len(keys_in(store)) == 500


async def test_writes_queued_while_the_writer_is_busy_share_one_commit(
    store: Store,
) -> None:
    await store.db.write(create_table)
    gate, held = await hold_writer(store)
    batches = store.db.batches

    futures = [store.db.submit(insert, f"k{n}") for n in range(50)]
    gate.release.set()
    await held
    await asyncio.gather(*futures)

    assert store.db.batches - batches == 2


async def test_a_failing_operation_does_not_spoil_the_rest_of_its_batch(
    store: Store,
) -> None:
    await store.db.write(create_table)
    gate, held = await hold_writer(store)
    batches = store.db.batches

    first = store.db.submit(insert, "a")
    failing = store.db.submit(insert_then_fail, "b")
    duplicate = store.db.submit(insert, "a")
    last = store.db.submit(insert, "c")
    gate.release.set()
    await held

    assert await first == "a"
    with pytest.raises(ValueError, match="refused after writing"):
        await failing
    with pytest.raises(sqlite3.IntegrityError):
        await duplicate
    assert await last == "c"
    assert store.db.batches - batches == 2
    assert keys_in(store) == {"a", "c"}


async def test_closing_commits_writes_that_were_queued_but_not_awaited(
    store_path: Path,
) -> None:
    store = Store(store_path, synchronous="NORMAL")
    store.open()
    await store.db.write(create_table)
    futures = [store.db.submit(insert, f"k{n}") for n in range(100)]

    store.close()

    reopened = Store(store_path, synchronous="NORMAL")
    reopened.open()
    try:
        assert len(keys_in(reopened)) == 100
    finally:
        reopened.close()
    for future in futures:
        future.cancel()


async def test_concurrent_appends_to_one_conversation_get_dense_sequences(
    store: Store,
) -> None:
    results = await asyncio.gather(
        *(
            store.messages.append(message(n, "alice" if n % 2 else "bob"))
            for n in range(300)
        )
    )

    sequences = [stored.sequence for stored, _ in results]
    assert sequences == list(range(1, 301))
    keys = [stored.message_key for stored, _ in results]
    assert keys == sorted(keys) and len(set(keys)) == 300
    assert store.messages.last_sequence(1, "p2p|alice|bob") == 300


async def test_appending_the_same_message_id_twice_returns_the_original(
    store: Store,
) -> None:
    (first, dup1), (second, dup2) = await asyncio.gather(
        store.messages.append(message(1, message_id="m")),
        store.messages.append(message(2, message_id="m")),
    )

    assert (dup1, dup2) == (False, True)
    assert second == first
    assert store.messages.count() == 1


def test_message_keys_are_strictly_increasing() -> None:
    generator = MessageKeyGenerator(node_id=3)

    keys = [generator.next_key() for _ in range(50_000)]

    assert all(a < b for a, b in zip(keys, keys[1:], strict=False))
    assert all((key >> 12) & 1023 == 3 for key in keys)


def test_message_keys_keep_increasing_when_the_clock_steps_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generator = MessageKeyGenerator()
    now = [2_000_000_000.0]
    monkeypatch.setattr(keys_module.time, "time", lambda: now[0])
    before = [generator.next_key() for _ in range(10)]

    now[0] -= 3600
    after = [generator.next_key() for _ in range(10)]

    keys = before + after
    assert all(a < b for a, b in zip(keys, keys[1:], strict=False))


def test_a_key_records_the_millisecond_it_was_issued_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keys_module.time, "time", lambda: 1_800_000_000.5)

    key = MessageKeyGenerator().next_key()

    assert key_time_ms(key) == 1_800_000_000_500
    assert 0 < key < 2**63


def test_a_generator_seeded_with_a_future_key_issues_larger_keys() -> None:
    seed = MessageKeyGenerator().next_key() + (10_000 << 22)

    generator = MessageKeyGenerator(last_key=seed)

    assert generator.next_key() > seed


async def test_keys_after_a_restart_are_above_every_stored_key(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(store_path, synchronous="NORMAL")
    store.open()
    stored = [(await store.messages.append(message(n)))[0] for n in range(20)]
    store.close()
    largest = max(m.message_key for m in stored)

    # The clock stepped back an hour while the server was down.
    real_time = keys_module.time.time
    monkeypatch.setattr(keys_module.time, "time", lambda: real_time() - 3600)
    reopened = Store(store_path, synchronous="NORMAL")
    reopened.open()
    try:
        fresh, _ = await reopened.messages.append(message(99))
    finally:
        reopened.close()

    assert fresh.message_key > largest
    assert fresh.sequence == 21


def test_migrations_are_applied_once_and_reopening_is_a_no_op(
    store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(store_path, synchronous="NORMAL")
    with caplog.at_level(logging.INFO, logger="lim_server.store.migrations"):
        store.open()
    store.close()
    first_run = [r for r in caplog.records if "applying migration" in r.message]
    caplog.clear()

    with caplog.at_level(logging.INFO, logger="lim_server.store.migrations"):
        store = Store(store_path, synchronous="NORMAL")
        store.open()
        store.close()
        conn = sqlite3.connect(store_path)
        versions = migrate(conn)
        rows = conn.execute("SELECT component, version FROM schema_versions").fetchall()
        conn.close()

    assert len(first_run) == sum(len(scripts) for scripts in MIGRATIONS.values())
    assert not [r for r in caplog.records if "applying migration" in r.message]
    expected = {component: len(scripts) for component, scripts in MIGRATIONS.items()}
    assert versions == expected
    assert dict(rows) == expected


def test_a_failing_migration_leaves_no_trace(store_path: Path) -> None:
    conn = sqlite3.connect(store_path, isolation_level=None)
    MIGRATIONS["zz_broken"] = ["CREATE TABLE broken (x INTEGER); SELECT * FROM nope"]
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        versions = dict(conn.execute("SELECT * FROM schema_versions").fetchall())
    finally:
        del MIGRATIONS["zz_broken"]
        conn.close()

    assert "broken" not in tables
    assert "zz_broken" not in versions
    assert versions["core"] == len(MIGRATIONS["core"])


async def test_an_open_read_transaction_never_blocks_the_writer(store: Store) -> None:
    await store.db.write(create_table)
    await store.db.write(insert, "before")
    reader = store.db.reader
    reader.execute("BEGIN")
    assert keys_in(store) == {"before"}

    await asyncio.wait_for(store.db.write(insert, "during"), 5)

    assert keys_in(store) == {"before"}, "the open read keeps its snapshot"
    reader.execute("COMMIT")
    assert keys_in(store) == {"before", "during"}


async def test_a_cached_profile_is_never_older_than_the_last_change(
    store: Store,
) -> None:
    from lim_server.models import User

    await store.users.create(User(app_id=1, user_id="alice", nickname="A"))
    assert store.users.get(1, "alice").nickname == "A"  # now cached

    await store.users.update(1, "alice", {"nickname": "Alice", "silenced": 1})
    cached = store.users.get(1, "alice")
    assert (cached.nickname, cached.silenced) == ("Alice", True)

    await store.users.upsert_many(1, [{"user_id": "alice", "nickname": "Al"}])
    assert store.users.get(1, "alice").nickname == "Al"


async def test_the_profile_cache_stays_within_its_bound(store: Store) -> None:
    from lim_server.models import User

    store.users.cache_size = 3
    for index in range(10):
        await store.users.create(User(app_id=1, user_id=f"u{index}"))
        assert store.users.get(1, f"u{index}") is not None

    assert len(store.users._cache) == 3
    assert store.users.get(1, "u0") is not None
