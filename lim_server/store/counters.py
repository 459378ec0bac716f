"""Named per-app counters, bumped inside writer operations.

Incremental sync stamps every changed row with the next value of a counter
(for example ``conv:alice`` for alice's conversations), so "rows changed
since N" is an indexed range scan.
"""

from __future__ import annotations

import sqlite3


def next_value(conn: sqlite3.Connection, app_id: int, name: str, step: int = 1) -> int:
    """Advance a counter by ``step`` and return its new value (writer only)."""
    row = conn.execute(
        "INSERT INTO counters (app_id, name, value) VALUES (?, ?, ?)"
        " ON CONFLICT (app_id, name) DO UPDATE SET value = value + excluded.value"
        " RETURNING value",
        (app_id, name, step),
    ).fetchone()
    return int(row[0])


def current_value(conn: sqlite3.Connection, app_id: int, name: str) -> int:
    row = conn.execute(
        "SELECT value FROM counters WHERE app_id = ? AND name = ?", (app_id, name)
    ).fetchone()
    return int(row[0]) if row else 0
