"""Versioned schema migrations, one ordered list per component.

Each component (``core``, ``relations``, ``groups``, …) owns a list of SQL
scripts; the database records in ``schema_versions`` how many of each it
has applied. A migration is never edited once released: a change is a new
script appended to its component's list. Components are independent, so a
new module adds its tables without renumbering anyone else's.
"""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger(__name__)

MIGRATIONS: dict[str, list[str]] = {}


def register(component: str, scripts: list[str]) -> None:
    """Declare the migrations of one component (called at import time)."""
    MIGRATIONS[component] = scripts


def migrate(conn: sqlite3.Connection) -> dict[str, int]:
    """Apply every pending migration; return each component's version."""
    from . import schema  # noqa: F401  registers the components

    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions "
        "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    applied = {
        row[0]: row[1]
        for row in conn.execute("SELECT component, version FROM schema_versions")
    }
    for component, scripts in MIGRATIONS.items():
        current = applied.get(component, 0)
        for version, script in enumerate(scripts[current:], start=current + 1):
            log.info("applying migration %s/%d", component, version)
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_versions VALUES (?, ?) ON CONFLICT(component)"
                    " DO UPDATE SET version = excluded.version",
                    (component, version),
                )
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            applied[component] = version
    return applied


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
