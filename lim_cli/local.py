"""The server's machine seen from the CLI: its data directory and database.

A CLI that can read the data directory acts as the app's admin without a
login, as root would on a database server: it reads the app secret from the
database and signs a short-lived token for the app's ``@admin`` account.
The running server's addresses are in ``server.json`` beside the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN_USER = "@admin"


class LocalError(Exception):
    """The data directory or its database cannot be used."""


@dataclass
class LocalApp:
    app_id: int
    name: str
    secret: str


def data_dir_path(data_dir: Path | None) -> Path:
    if data_dir is not None:
        return data_dir.expanduser()
    if os.environ.get("LIM_DATA_DIR"):
        return Path(os.environ["LIM_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lim"


def read_app(data_dir: Path | None, app_id: int | None = None) -> LocalApp:
    """The app with this id (or the first app) from the local database."""
    directory = data_dir_path(data_dir)
    path = directory / "lim.db"
    if not path.exists():
        raise LocalError(
            f"no lim database in {directory}; run 'lim init' or pass --data-dir"
        )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            if app_id is None:
                row = conn.execute(
                    "SELECT app_id, name, secret FROM apps ORDER BY app_id LIMIT 1"
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT app_id, name, secret FROM apps WHERE app_id = ?", (app_id,)
                ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise LocalError(f"cannot read {path}: {exc}") from exc
    if row is None:
        which = f"app {app_id}" if app_id is not None else "any app"
        raise LocalError(f"{which} not found in {path}")
    return LocalApp(int(row[0]), str(row[1]), str(row[2]))


def read_runtime(data_dir: Path | None) -> dict[str, Any] | None:
    """The running server's ``server.json``, or None when none is running."""
    path = data_dir_path(data_dir) / "server.json"
    try:
        runtime: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(int(runtime["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return runtime
