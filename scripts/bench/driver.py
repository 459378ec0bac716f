"""Generator-side jobs of the suite that ``lim bench`` does not cover.

Each subcommand prints one JSON object. The suite runs them pinned to the
generator's core::

    python scripts/bench/driver.py idle --url ws://127.0.0.1:7700/ws --app 1 \\
        --credentials users.txt --count 10000 --pid 1234
    python scripts/bench/driver.py fill --url ... --credentials c --count 100000
    python scripts/bench/driver.py catch-up --url ... --credentials c
    python scripts/bench/driver.py import --server http://... --token T --count N
    python scripts/bench/driver.py sqlite-utils --count N --path /tmp/x.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lim_client.bench import (  # noqa: E402
    Credentials,
    catch_up,
    fill,
    hold_idle,
    server_rss_bytes,
)


def read_credentials(path: str, count: int | None = None) -> list[Credentials]:
    pairs = [line.split() for line in Path(path).read_text().split("\n") if line]
    return [Credentials(user, token) for user, token in pairs[:count]]


def user_rows(count: int) -> list[dict[str, Any]]:
    """The rows both import paths store: an id and a nickname per user."""
    return [{"userId": f"user{n:07d}", "nickname": f"User {n}"} for n in range(count)]


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    users = read_credentials(args.credentials, args.count)
    before = server_rss_bytes(args.pid)
    started = time.monotonic()
    connections = await hold_idle(args.url, args.app, users)
    connected = time.monotonic() - started

    # Let the server settle (allocator, sweeper) before reading its memory.
    await asyncio.sleep(args.settle)
    after = server_rss_bytes(args.pid)
    open_count = sum(1 for conn in connections if not conn.closed)
    for conn in connections:
        conn.close()
    return {
        "workload": "idle",
        "connections": open_count,
        "rssBefore": before,
        "rssAfter": after,
        "bytesPerConnection": round((after - before) / max(1, open_count)),
        "connectSeconds": round(connected, 3),
    }


async def fill_job(args: argparse.Namespace) -> dict[str, Any]:
    sender, receiver = read_credentials(args.credentials, 2)
    seconds = await fill(args.url, args.app, sender, receiver.user_id, args.count)
    return {"workload": "fill", "messages": args.count, "seconds": round(seconds, 3)}


async def catch_up_job(args: argparse.Namespace) -> dict[str, Any]:
    _, receiver = read_credentials(args.credentials, 2)
    return await catch_up(args.url, args.app, receiver, page=args.page)


def import_job(args: argparse.Namespace) -> dict[str, Any]:
    """Bulk import through the HTTP API's /v1/user/import, batch after batch."""
    from lim_client.http import HttpApi

    rows = user_rows(args.count)
    api = HttpApi(args.server, args.token, timeout=600)
    started = time.monotonic()
    imported = 0
    for start in range(0, len(rows), args.batch):
        data = api.call("/v1/user/import", {"users": rows[start : start + args.batch]})
        imported += data["imported"]
    seconds = time.monotonic() - started
    api.close()
    return {"workload": "import", "users": imported, "seconds": round(seconds, 3)}


def sqlite_utils_job(args: argparse.Namespace) -> dict[str, Any]:
    """The same rows into a fresh file with sqlite-utils, as a floor."""
    import sqlite_utils

    rows = [
        {"user_id": r["userId"], "nickname": r["nickname"]}
        for r in user_rows(args.count)
    ]
    path = Path(args.path)
    path.unlink(missing_ok=True)
    started = time.monotonic()
    db = sqlite_utils.Database(path)
    db["users"].insert_all(rows, pk="user_id", batch_size=args.batch)
    db.conn.commit()
    db.close()
    seconds = time.monotonic() - started
    return {
        "workload": "sqlite-utils",
        "users": len(rows),
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="job", required=True)
    for name in ("idle", "fill", "catch-up"):
        job = sub.add_parser(name)
        job.add_argument("--url", required=True)
        job.add_argument("--app", type=int, default=1)
        job.add_argument("--credentials", required=True)
        job.add_argument("--count", type=int, default=0)
        job.add_argument("--pid", type=int, default=0)
        job.add_argument("--settle", type=float, default=2.0)
        job.add_argument("--page", type=int, default=1000)
    job = sub.add_parser("import")
    job.add_argument("--server", required=True)
    job.add_argument("--token", required=True)
    job.add_argument("--count", type=int, required=True)
    job.add_argument("--batch", type=int, default=10000)
    job = sub.add_parser("sqlite-utils")
    job.add_argument("--count", type=int, required=True)
    job.add_argument("--path", required=True)
    job.add_argument("--batch", type=int, default=10000)
    args = parser.parse_args()

    if args.job == "idle":
        result = asyncio.run(idle(args))
    elif args.job == "fill":
        result = asyncio.run(fill_job(args))
    elif args.job == "catch-up":
        result = asyncio.run(catch_up_job(args))
    elif args.job == "import":
        result = import_job(args)
    else:
        result = sqlite_utils_job(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
