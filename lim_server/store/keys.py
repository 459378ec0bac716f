"""Message keys: 64-bit, time-ordered, unique across restarts and nodes.

Layout, most significant first: 41 bits of milliseconds since 2024-01-01
UTC, 10 bits of node id, 12 bits of counter within the millisecond. A node
issues at most 4,096 keys per millisecond; past that it borrows the next
millisecond, so keys stay unique and ordered even when the clock stalls or
steps back. On start the generator is seeded with the largest key stored,
so a restart never reissues a key.
"""

from __future__ import annotations

import time

EPOCH_MS = 1_704_067_200_000
NODE_BITS = 10
COUNTER_BITS = 12
MAX_NODE = (1 << NODE_BITS) - 1
COUNTER_MASK = (1 << COUNTER_BITS) - 1


class MessageKeyGenerator:
    def __init__(self, node_id: int = 0, last_key: int = 0) -> None:
        if not 0 <= node_id <= MAX_NODE:
            raise ValueError(f"node id must be between 0 and {MAX_NODE}")
        self.node_id = node_id
        self._last_ms = last_key >> (NODE_BITS + COUNTER_BITS)
        self._counter = last_key & COUNTER_MASK

    def next_key(self) -> int:
        now = int(time.time() * 1000) - EPOCH_MS
        if now > self._last_ms:
            self._last_ms = now
            self._counter = 0
        else:
            self._counter += 1
            if self._counter > COUNTER_MASK:
                self._last_ms += 1
                self._counter = 0
        return (
            (self._last_ms << (NODE_BITS + COUNTER_BITS))
            | (self.node_id << COUNTER_BITS)
            | self._counter
        )


def key_time_ms(key: int) -> int:
    """The wall-clock millisecond a key was issued in (Unix epoch)."""
    return (key >> (NODE_BITS + COUNTER_BITS)) + EPOCH_MS
