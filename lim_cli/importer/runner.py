"""Running an import: batches to the bulk operation, rejects to a file.

Batches go out on up to four HTTP connections so that reading the next batch
overlaps the server's work on the previous one; results are taken in file
order, so rejects are reported in the order of their lines.
"""

from __future__ import annotations

import csv
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..wire import ApiError, WireClient
from .kinds import Kind, map_row
from .readers import Record

IN_FLIGHT = 4
PARSE_ERROR = 90001


@dataclass
class Totals:
    read: int = 0
    imported: int = 0
    rejected: int = 0
    batches: int = 0


@dataclass
class Reject:
    line: int
    code: int
    reason: str
    raw: Any


@dataclass
class Batch:
    """Rows to send, and the lines among them that could not be parsed."""

    rows: list[Record] = field(default_factory=list)
    errors: list[Reject] = field(default_factory=list)


class ImportFailed(Exception):
    """A whole batch was refused; the import stops."""


class RejectsFile:
    """The rejects file, created on the first reject.

    CSV imports get CSV rejects: ``line, code, reason`` then the original
    cells under the original header. Other imports get JSON Lines of
    ``{line, code, reason, row}``.
    """

    def __init__(self, path: Path, fmt: str, meta: dict[str, Any]) -> None:
        self.path = path
        self.fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
        self.meta = meta
        self._handle: IO[str] | None = None
        self._writer: Any = None

    def write(self, reject: Reject) -> None:
        if self._handle is None:
            self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            if self.fmt == "csv":
                self._writer = csv.writer(self._handle)
                header = self.meta.get("header") or ["row"]
                self._writer.writerow(["line", "code", "reason", *header])
        if self.fmt == "csv":
            raw = reject.raw if isinstance(reject.raw, list) else [reject.raw or ""]
            self._writer.writerow([reject.line, reject.code, reject.reason, *raw])
        else:
            record = {
                "line": reject.line,
                "code": reject.code,
                "reason": reject.reason,
                "row": reject.raw,
            }
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    @property
    def written(self) -> bool:
        return self._handle is not None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


@dataclass
class Importer:
    """Feed records to ``kind``'s bulk operation, ``batch_size`` at a time."""

    server: str
    token: str
    kind: Kind
    batch_size: int
    on_reject: Callable[[Reject], None]
    on_batch: Callable[[Totals], None] = lambda totals: None
    totals: Totals = field(default_factory=Totals)

    def __post_init__(self) -> None:
        self._local = threading.local()
        self._clients: list[WireClient] = []
        self._lock = threading.Lock()

    def _client(self) -> WireClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = WireClient(self.server, self.token, timeout=300)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _send(self, rows: list[dict[str, Any]]) -> Any:
        body = {self.kind.key: rows}
        try:
            return self._client().call(self.kind.path, body)
        except ApiError as exc:
            if exc.code == 90003:
                raise ImportFailed(
                    f"this server cannot import {self.kind.name} ({self.kind.path})"
                ) from exc
            raise ImportFailed(f"batch refused: {exc.msg} (code {exc.code})") from exc

    def run(self, records: Iterable[Record]) -> Totals:
        pending: deque[tuple[Future[Any], Batch]] = deque()
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            try:
                for batch in self._batches(records):
                    pending.append((self._submit(pool, batch), batch))
                    if len(pending) >= IN_FLIGHT:
                        self._collect(*pending.popleft())
                while pending:
                    self._collect(*pending.popleft())
            finally:
                for future, _ in pending:
                    future.cancel()
                for client in self._clients:
                    client.close()
        return self.totals

    def _submit(self, pool: ThreadPoolExecutor, batch: Batch) -> Future[Any]:
        if not batch.rows:
            done: Future[Any] = Future()
            done.set_result({"imported": 0, "rejected": []})
            return done
        rows = [map_row(self.kind, record.row or {}) for record in batch.rows]
        return pool.submit(self._send, rows)

    def _batches(self, records: Iterable[Record]) -> Iterable[Batch]:
        batch = Batch()
        for record in records:
            self.totals.read += 1
            if record.error is not None:
                batch.errors.append(
                    Reject(record.line, PARSE_ERROR, record.error, record.raw)
                )
                continue
            batch.rows.append(record)
            if len(batch.rows) >= self.batch_size:
                yield batch
                batch = Batch()
        if batch.rows or batch.errors:
            yield batch

    def _collect(self, future: Future[Any], batch: Batch) -> None:
        result = future.result()
        rejected = result.get("rejected") or []
        rejects = list(batch.errors)
        for item in rejected:
            record = batch.rows[int(item["index"])]
            rejects.append(
                Reject(record.line, int(item["code"]), str(item["msg"]), record.raw)
            )
        # Reported in the order of the file's lines.
        for reject in sorted(rejects, key=lambda reject: reject.line):
            self._reject(reject)
        imported = result.get("imported", len(batch.rows) - len(rejected))
        self.totals.imported += int(imported)
        self.totals.batches += 1
        self.on_batch(self.totals)

    def _reject(self, reject: Reject) -> None:
        self.totals.rejected += 1
        self.on_reject(reject)
