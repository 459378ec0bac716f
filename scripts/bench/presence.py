"""Cost of one presence change with 10,000 online users of 200 friends each.

Runs the real PresenceService and LocalRouter with in-process devices whose
``send_body`` only counts (the socket write is the gateway's cost, measured
by the message benchmarks). Friends come either from a dict (presence's own
cost) or from an indexed SQLite table read per change, as the relations
service does. Prints microseconds per change (median of three runs) and per
delivered push.

    PYTHONPATH=. python scripts/bench/presence.py [--users 10000] [--friends 200]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Callable

from lim_server.routing import LocalRouter
from lim_server.services.context import Caller
from lim_server.services.presence import PresenceService

APP = 1


class CountingDevice:
    def __init__(self, user_id: str) -> None:
        self.app_id = APP
        self.user_id = user_id
        self.client_type = 6
        self.imei = f"dev-{user_id}"
        self.frames = 0

    def send_body(self, command: int, body: bytes) -> bool:
        self.frames += 1
        return True


class FakeApp:
    app_id = APP


def friend_table(friends: dict[str, list[str]]) -> Callable[[int, str], list[str]]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE friends (app_id INTEGER, owner_id TEXT, friend_id TEXT,"
        " PRIMARY KEY (app_id, owner_id, friend_id)) WITHOUT ROWID"
    )
    conn.executemany(
        "INSERT INTO friends VALUES (?, ?, ?)",
        ((APP, owner, friend) for owner, ids in friends.items() for friend in ids),
    )

    def friend_ids(app_id: int, user_id: str) -> list[str]:
        rows = conn.execute(
            "SELECT friend_id FROM friends WHERE app_id = ? AND owner_id = ?",
            (app_id, user_id),
        )
        return [row[0] for row in rows]

    return friend_ids


def run(
    users: int, friends: int, online: int, changes: int, source: str
) -> tuple[float, float, float]:
    rng = random.Random(7)
    ids = [f"u{index}" for index in range(users)]
    graph = {user: rng.sample(ids, friends) for user in ids}
    router = LocalRouter()
    presence = PresenceService(router)
    presence.friends_of = (
        (lambda app_id, user_id: graph[user_id])
        if source == "dict"
        else friend_table(graph)
    )
    for user in ids[:online]:
        router.add(CountingDevice(user))

    changers = [rng.choice(ids[:online]) for _ in range(changes)]
    pushed = presence.pushed
    started = time.perf_counter()
    for index, user in enumerate(changers):
        caller = Caller(FakeApp(), user, user)  # type: ignore[arg-type]
        presence.set_status(caller, 1 + index % 3, "bench")
    elapsed = time.perf_counter() - started
    delivered = presence.pushed - pushed

    started = time.perf_counter()
    for user in changers[:1000]:
        device = router.devices(APP, user)[0]
        router.remove(device)
        router.add(device)
    flap = (time.perf_counter() - started) / (2 * min(1000, len(changers)))
    per_change = elapsed / changes * 1e6
    return per_change, elapsed / max(delivered, 1) * 1e6, flap * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--friends", type=int, default=200)
    parser.add_argument("--changes", type=int, default=5_000)
    args = parser.parse_args()

    cases = [
        ("all online, friends from a dict", args.users, args.users, "dict"),
        ("all online, friends from SQLite", args.users, args.users, "sqlite"),
        ("half online, friends from SQLite", args.users * 2, args.users, "sqlite"),
    ]
    print(f"{args.friends} friends each, {args.changes} custom status changes")
    for name, users, online, source in cases:
        runs = [
            run(users, args.friends, online, args.changes, source) for _ in range(3)
        ]
        change = statistics.median(r[0] for r in runs)
        push = statistics.median(r[1] for r in runs)
        flap = statistics.median(r[2] for r in runs)
        print(
            f"{name:36} {users:>7} users {online:>6} online:"
            f" {change:8.1f} µs/change {push:6.2f} µs/push"
            f" {flap:8.1f} µs/login-or-logout"
        )


if __name__ == "__main__":
    main()
