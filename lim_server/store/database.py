"""SQLite with one writer thread doing group commit, and readers beside it.

Every change goes through :meth:`Database.write`: the operation is queued to
the writer thread, which takes all queued operations at once, runs each in a
savepoint inside one transaction, commits, and only then resolves their
futures. A caller that awaits ``write`` therefore knows its change is
durable, and a busy server pays one fsync for many operations.

Hot operations go further with :meth:`Database.submit_together`: a run of
them queued back to back is handed to one call that does the work of all
with a few statements (message appends do this).

Reads run on the caller's thread against a separate connection. In WAL mode
they see the last committed state and never block the writer.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from .migrations import migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[..., Any]
# Called on the event loop with an operation's result, or with the exception
# it raised, once the transaction holding it has committed (or failed).
Settle = Callable[[Any], None]
# run(conn, shared, items) -> one outcome per item, as if run one by one.
RunOperation = Callable[[sqlite3.Connection, Any, list[Any]], list[Any]]

MAX_BATCH = 4096
# While writes keep coming, the writer waits this long after the first one
# so that one commit (and one fsync) carries many. A write that arrives on
# a quiet database commits at once.
COMMIT_WINDOW = 0.0005
_STOP = object()


def connect(path: Path | str, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """Open a connection with the pragmas every lim connection uses."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=30
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


class Database:
    """The storage engine under every repository.

    ``synchronous`` is SQLite's pragma: ``FULL`` (the default) fsyncs every
    commit, so an acked change survives power loss; ``NORMAL`` survives a
    crash of the process but not of the machine. ``commit_window`` (seconds,
    default :data:`COMMIT_WINDOW`) is how long the writer gathers more work
    while writes keep coming.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: str = "FULL",
        commit_window: float | None = None,
    ) -> None:
        self.path = Path(path)
        self.synchronous = synchronous
        self.batches = 0
        self.operations = 0
        self.commit_window = COMMIT_WINDOW if commit_window is None else commit_window
        self._last_commit = 0.0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._reader: sqlite3.Connection | None = None
        self._write_conn: sqlite3.Connection | None = None

    # lifecycle

    def open(self) -> None:
        """Create or migrate the database file and start the writer thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_conn = connect(self.path, synchronous=self.synchronous)
        migrate(self._write_conn)
        self._reader = connect(self.path, synchronous=self.synchronous)
        self._writer = threading.Thread(
            target=self._run_writer, name="lim-writer", daemon=True
        )
        self._writer.start()

    def close(self) -> None:
        """Commit everything queued so far, then stop the writer."""
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        for conn in (self._reader, self._write_conn):
            if conn is not None:
                conn.close()
        self._reader = self._write_conn = None

    # writes

    def submit(self, operation: Operation, *args: Any) -> asyncio.Future[Any]:
        """Queue ``operation(conn, *args)`` for the writer; return its future.

        Operations run in submission order, so callers that submit without
        awaiting in between keep their relative order.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((operation, args, partial(settle_future, future), loop, False))
        return future

    def submit_then(self, settle: Settle, operation: Operation, *args: Any) -> None:
        """Queue ``operation(conn, *args)``; call ``settle(outcome)`` once committed.

        The cheapest way to write from the event loop: no future, no task.
        ``settle`` runs on the running loop with the operation's result, or
        with the exception that refused it, in submission order.
        """
        self._queue.put((operation, args, settle, asyncio.get_running_loop(), False))

    def submit_together(
        self, settle: Settle, run: RunOperation, shared: Any, item: Any
    ) -> None:
        """Queue ``item`` for ``run``, which may take it with its neighbours.

        Consecutive items queued for the same ``run`` and ``shared`` value go
        to one call ``run(conn, shared, items)`` in one savepoint; it returns
        one outcome per item and must leave the database as running them one
        by one would. If that call raises, each item is retried alone, so a
        bad item fails alone. ``settle`` is as for :meth:`submit_then`.
        """
        loop = asyncio.get_running_loop()
        self._queue.put((run, (shared, item), settle, loop, True))

    async def write(self, operation: Operation, *args: Any) -> Any:
        """Run ``operation(conn, *args)`` in the writer; return once committed."""
        return await self.submit(operation, *args)

    def write_blocking(self, operation: Operation, *args: Any) -> Any:
        """Run an operation from a thread without a running event loop."""
        done = threading.Event()
        box: list[Any] = []

        def finish(outcome: Any) -> None:
            box.append(outcome)
            done.set()

        self._queue.put((operation, args, finish, None, False))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def _run_writer(self) -> None:
        conn = self._write_conn
        assert conn is not None
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            self._take_queued(batch)
            streaming = time.monotonic() - self._last_commit < self.commit_window
            if streaming and len(batch) < MAX_BATCH and _STOP not in batch:
                time.sleep(self.commit_window)
                self._take_queued(batch)
            if batch[-1] is _STOP or _STOP in batch:
                stopping = True
                batch = [item for item in batch if item is not _STOP]
            if batch:
                self._commit_batch(conn, batch)

    def _take_queued(self, batch: list[Any]) -> None:
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[Any]) -> None:
        outcomes: list[Any] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            start = 0
            while start < len(batch):
                operation, args, _, _, together = batch[start]
                if not together:
                    outcomes.append(self._run_one(conn, operation, args))
                    start += 1
                    continue
                end = _run_end(batch, start)
                items = [item[1][1] for item in batch[start:end]]
                outcomes.extend(self._run_together(conn, operation, args[0], items))
                start = end
            conn.execute("COMMIT")
        except Exception as exc:  # the commit itself failed: nothing is durable
            log.exception("group commit of %d operations failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [exc] * len(batch)

        self.batches += 1
        self.operations += len(batch)
        self._last_commit = time.monotonic()
        _resolve(batch, outcomes)

    @staticmethod
    def _run_one(conn: sqlite3.Connection, operation: Operation, args: Any) -> Any:
        # A savepoint per operation lets one failure leave the batch intact.
        conn.execute("SAVEPOINT op")
        try:
            result = operation(conn, *args)
        except Exception as exc:
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            return exc
        conn.execute("RELEASE op")
        return result

    def _run_together(
        self, conn: sqlite3.Connection, run: RunOperation, shared: Any, items: list[Any]
    ) -> list[Any]:
        outcome = self._run_one(conn, run, (shared, items))
        if not isinstance(outcome, BaseException):
            return list(outcome)
        if len(items) == 1:
            return [outcome]
        log.warning("a run of %d failed, retrying one by one: %s", len(items), outcome)
        results = []
        for item in items:
            alone = self._run_one(conn, run, (shared, [item]))
            results.append(alone if isinstance(alone, BaseException) else alone[0])
        return results

    # reads

    @property
    def reader(self) -> sqlite3.Connection:
        if self._reader is None:
            raise RuntimeError("the database is not open")
        return self._reader

    def query_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.reader.execute(sql, tuple(params)).fetchone()
        return row

    def query_all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self.reader.execute(sql, tuple(params)).fetchall()


def _run_end(batch: list[Any], start: int) -> int:
    """Where the run of items that can go together starting at ``start`` ends."""
    run, (shared, _), _, _, _ = batch[start]
    end = start + 1
    while end < len(batch):
        operation, args, _, _, together = batch[end]
        if not together or operation is not run or args[0] is not shared:
            break
        end += 1
    return end


def _resolve(batch: list[Any], outcomes: list[Any]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Settle, Any]]] = {}
    for (_, _, settle, loop, _), outcome in zip(batch, outcomes, strict=True):
        if loop is None:
            settle(outcome)
        else:
            by_loop.setdefault(loop, []).append((settle, outcome))

    # One wake-up of each event loop per batch, not one per operation.
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, pairs)
        except RuntimeError:
            log.warning("event loop closed before %d results arrived", len(pairs))


def _settle(pairs: list[tuple[Settle, Any]]) -> None:
    for settle, outcome in pairs:
        try:
            settle(outcome)
        except Exception:
            log.exception("settling a committed write failed")


def settle_future(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def now_ms() -> int:
    return int(time.time() * 1000)
