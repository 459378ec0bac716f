"""Writer cost of one 1:1 append, which keeps the sender's read sequence.

Appends 1:1 messages straight through the writer's ``append_many`` in runs
of 500 per transaction (as group commit does) on a fresh database; prints
the median of three runs in CPU microseconds per append. Run it against an older
checkout (``PYTHONPATH=old-tree``) to compare.

    PYTHONPATH=. python scripts/bench/unread.py [--messages 20000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from lim_server.models import p2p_conversation_id
from lim_server.store.appends import NewMessage, append_many
from lim_server.store.database import connect
from lim_server.store.keys import MessageKeyGenerator
from lim_server.store.migrations import migrate

BATCH = 500


def run(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "bench.db", synchronous="NORMAL")
        migrate(conn)
        keys = MessageKeyGenerator(0, 0)
        pairs = [(f"u{i}", f"u{i + 1}") for i in range(0, 200, 2)]
        started = time.process_time()
        for start in range(0, count, BATCH):
            run = []
            for index in range(start, min(start + BATCH, count)):
                sender, receiver = pairs[index % len(pairs)]
                if index % 2:
                    sender, receiver = receiver, sender
                run.append(
                    NewMessage(
                        app_id=1,
                        conversation_id=p2p_conversation_id(sender, receiver),
                        conversation_type=0,
                        from_id=sender,
                        to_id=receiver,
                        message_id=f"m{index}",
                        body={"type": "text", "text": "hello"},
                        owners=((sender, receiver), (receiver, sender)),
                    )
                )
            conn.execute("BEGIN")
            append_many(conn, keys, run)
            conn.execute("COMMIT")
        elapsed = time.process_time() - started
        conn.close()
    return elapsed / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    cost = statistics.median(run(args.messages) for _ in range(3))
    print(f"{cost:6.1f} µs per 1:1 append in the writer")


if __name__ == "__main__":
    main()
