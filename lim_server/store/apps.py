"""App (tenant) records."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time

from ..models import App, AppSettings
from .database import Database


def _app(row: sqlite3.Row) -> App:
    return App(
        app_id=row["app_id"],
        name=row["name"],
        secret=row["secret"],
        settings=AppSettings.model_validate(json.loads(row["settings"])),
        created_at=row["created_at"],
    )


class AppStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, app_id: int) -> App | None:
        row = self.db.query_one("SELECT * FROM apps WHERE app_id = ?", (app_id,))
        return _app(row) if row else None

    def list(self) -> list[App]:
        return [
            _app(row) for row in self.db.query_all("SELECT * FROM apps ORDER BY app_id")
        ]

    async def create(
        self, name: str, *, app_id: int | None = None, secret: str | None = None
    ) -> App:
        return await self.db.write(
            _insert_app, name, app_id, secret or secrets.token_urlsafe(32)
        )

    async def update_settings(self, app_id: int, settings: AppSettings) -> None:
        await self.db.write(_update_settings, app_id, settings.model_dump_json())

    async def rotate_secret(self, app_id: int) -> str:
        secret = secrets.token_urlsafe(32)
        await self.db.write(_set_secret, app_id, secret)
        return secret


def _insert_app(
    conn: sqlite3.Connection, name: str, app_id: int | None, secret: str
) -> App:
    if app_id is None:
        row = conn.execute("SELECT coalesce(max(app_id), 0) + 1 FROM apps").fetchone()
        app_id = max(int(row[0]), 1)
    settings = AppSettings()
    created = int(time.time())
    conn.execute(
        "INSERT INTO apps (app_id, name, secret, settings, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (app_id, name, secret, settings.model_dump_json(), created),
    )
    return App(
        app_id=app_id, name=name, secret=secret, settings=settings, created_at=created
    )


def _update_settings(conn: sqlite3.Connection, app_id: int, settings: str) -> None:
    conn.execute("UPDATE apps SET settings = ? WHERE app_id = ?", (settings, app_id))


def _set_secret(conn: sqlite3.Connection, app_id: int, secret: str) -> None:
    conn.execute("UPDATE apps SET secret = ? WHERE app_id = ?", (secret, app_id))
