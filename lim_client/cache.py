"""The client's local cache: one SQLite database per server, app and user.

Messages are keyed by ``(conversation_id, sequence)``, so a message pulled
twice, or pushed and pulled, is stored once by construction. Messages not
yet acknowledged live in the ``outbox`` keyed by their ``messageId``; an
ack moves them into ``messages``. Every write commits at once, so a client
that crashes loses nothing it showed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 1


def data_home() -> Path:
    if os.environ.get("LIM_CACHE_DIR"):
        return Path(os.environ["LIM_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lim" / "client"


def cache_path(
    server: str, app_id: int, user_id: str, base: Path | None = None
) -> Path:
    """Where the cache of this user of this app on this server lives."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{server}-{app_id}-{user_id}")[:80]
    digest = hashlib.sha256(f"{server}|{app_id}|{user_id}".encode()).hexdigest()[:10]
    return (base or data_home()) / f"{label}-{digest}.db"


def message_text(body: Any) -> str:
    """The text shown (and indexed) for a message body."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    kind = body.get("type")
    if kind in ("text", "markdown"):
        return str(body.get("text", ""))
    if kind in ("image", "file"):
        return f"[{kind}] {body.get('name') or body.get('url', '')}"
    return f"[{kind}]"


class Cache:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite_utils.Database(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._create()

    def close(self) -> None:
        self.db.close()

    def _create(self) -> None:
        db = self.db
        db.table("conversations").create(
            {
                "conversation_id": str,
                "conversation_type": int,
                "peer_id": str,
                "last_sequence": int,
                "read_sequence": int,
                "start_sequence": int,
                "synced_sequence": int,
                "pinned": int,
                "muted": int,
                "deleted": int,
                "last_time": int,
                "recall_sequence": int,
                "peer_read_sequence": int,
            },
            pk="conversation_id",
            if_not_exists=True,
            defaults={
                "last_sequence": 0,
                "read_sequence": 0,
                "start_sequence": 0,
                "synced_sequence": 0,
                "pinned": 0,
                "muted": 0,
                "deleted": 0,
                "last_time": 0,
                "recall_sequence": 0,
                "peer_read_sequence": 0,
            },
        )
        db.table("messages").create(
            {
                "conversation_id": str,
                "sequence": int,
                "message_key": int,
                "message_id": str,
                "from_id": str,
                "to_id": str,
                "body": str,
                "text": str,
                "time": int,
                "recalled": int,
                "status": str,
            },
            pk=("conversation_id", "sequence"),
            if_not_exists=True,
            defaults={"recalled": 0, "status": "sent"},
        )
        db.table("messages").create_index(["message_key"], if_not_exists=True)
        if "messages_fts" not in db.table_names():
            db.table("messages").enable_fts(["text"], create_triggers=True)
        db.table("outbox").create(
            {
                "message_id": str,
                "conversation_id": str,
                "conversation_type": int,
                "to_id": str,
                "body": str,
                "text": str,
                "created_at": int,
                "state": str,
                "error": str,
            },
            pk="message_id",
            if_not_exists=True,
        )
        db.table("profiles").create(
            {"user_id": str, "nickname": str, "data": str},
            pk="user_id",
            if_not_exists=True,
        )
        db.table("cursors").create(
            {"name": str, "value": int}, pk="name", if_not_exists=True
        )
        # Rows of the synced kinds the server offers beyond conversations
        # (friends, requests, groups ...), keyed by kind and the row's key.
        db.table("rows").create(
            {"kind": str, "key": str, "sequence": int, "data": str, "deleted": int},
            pk=("kind", "key"),
            if_not_exists=True,
        )
        db.table("presence").create(
            {"user_id": str, "online": int, "status": int, "text": str},
            pk="user_id",
            if_not_exists=True,
        )

    # cursors

    def cursor(self, name: str) -> int:
        row = self.db.execute(
            "SELECT value FROM cursors WHERE name = ?", [name]
        ).fetchone()
        return int(row[0]) if row else 0

    def set_cursor(self, name: str, value: int) -> None:
        self.db.table("cursors").upsert({"name": name, "value": value}, pk="name")

    # conversations

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        rows = list(
            self.db.table("conversations").rows_where(
                "conversation_id = ?", [conversation_id]
            )
        )
        return rows[0] if rows else None

    def upsert_conversation(self, conversation_id: str, **fields: Any) -> None:
        with self.db.conn:
            self.db.table("conversations").upsert(
                {"conversation_id": conversation_id, **fields}, pk="conversation_id"
            )

    def conversations(self, me: str) -> list[dict[str, Any]]:
        """Visible conversations, pinned first then by last activity."""
        cursor = self.db.execute(
            "SELECT c.*, ("
            "  SELECT count(*) FROM messages m WHERE m.conversation_id ="
            "  c.conversation_id AND m.sequence > c.read_sequence AND m.from_id = ?"
            ") AS own_unread,"
            " (SELECT count(*) FROM outbox o WHERE o.conversation_id ="
            "  c.conversation_id) AS pending"
            " FROM conversations c WHERE c.deleted = 0"
            " ORDER BY c.pinned DESC, c.last_time DESC, c.conversation_id",
            [me],
        )
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        out = []
        for row in rows:
            item = dict(zip(columns, row, strict=True))
            unread = item["last_sequence"] - item["read_sequence"] - item["own_unread"]
            item["unread"] = max(0, unread)
            out.append(item)
        return out

    def unread(self, conversation_id: str, me: str) -> int:
        for item in self.conversations(me):
            if item["conversation_id"] == conversation_id:
                return int(item["unread"])
        return 0

    # messages

    def add_messages(self, messages: list[dict[str, Any]], status: str = "sent") -> int:
        """Store wire messages; returns how many were new."""
        if not messages:
            return 0
        new = 0
        with self.db.conn:
            for wire in messages:
                row = wire_to_row(wire, status)
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO messages (conversation_id, sequence,"
                    " message_key, message_id, from_id, to_id, body, text, time,"
                    " recalled, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        row["conversation_id"],
                        row["sequence"],
                        row["message_key"],
                        row["message_id"],
                        row["from_id"],
                        row["to_id"],
                        row["body"],
                        row["text"],
                        row["time"],
                        row["recalled"],
                        row["status"],
                    ],
                )
                new += cursor.rowcount
                if row["recalled"]:
                    self._recall(row["conversation_id"], row["sequence"])
                self._touch(row["conversation_id"], wire, row)
        return new

    def _touch(self, conversation_id: str, wire: dict[str, Any], row: dict) -> None:
        self.db.execute(
            "INSERT INTO conversations (conversation_id, conversation_type, peer_id,"
            " last_sequence, last_time) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(conversation_id) DO UPDATE SET"
            " last_sequence = max(last_sequence, excluded.last_sequence),"
            " last_time = max(last_time, excluded.last_time), deleted = 0",
            [
                conversation_id,
                int(wire.get("conversationType", 0)),
                "",
                row["sequence"],
                row["time"],
            ],
        )

    def messages(
        self, conversation_id: str, limit: int = 200, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` messages (before a sequence), ascending."""
        where = "conversation_id = ?"
        args: list[Any] = [conversation_id]
        if before is not None:
            where += " AND sequence < ?"
            args.append(before)
        rows = list(
            self.db.table("messages").rows_where(
                where, args, order_by="sequence DESC", limit=limit
            )
        )
        return rows[::-1]

    def max_sequence(self, conversation_id: str) -> int:
        row = self.db.execute(
            "SELECT max(sequence) FROM messages WHERE conversation_id = ?",
            [conversation_id],
        ).fetchone()
        return int(row[0] or 0)

    def min_sequence(self, conversation_id: str) -> int:
        row = self.db.execute(
            "SELECT min(sequence) FROM messages WHERE conversation_id = ?",
            [conversation_id],
        ).fetchone()
        return int(row[0] or 0)

    def set_status(self, message_key: int, status: str) -> str | None:
        """Advance a message's mark (sent < delivered < read); its conversation."""
        order = {"sent": 0, "delivered": 1, "read": 2}
        row = self.db.execute(
            "SELECT conversation_id, status FROM messages WHERE message_key = ?",
            [message_key],
        ).fetchone()
        if row is None or order.get(row[1], 0) >= order[status]:
            return None
        with self.db.conn:
            self.db.execute(
                "UPDATE messages SET status = ? WHERE message_key = ?",
                [status, message_key],
            )
        return str(row[0])

    def mark_peer_read(self, conversation_id: str, me: str, sequence: int) -> None:
        """The peer read up to ``sequence``; kept even before our ack arrives."""
        with self.db.conn:
            self.db.execute(
                "UPDATE conversations SET peer_read_sequence ="
                " max(peer_read_sequence, ?) WHERE conversation_id = ?",
                [sequence, conversation_id],
            )
            self._apply_peer_read(conversation_id, me)

    def _apply_peer_read(self, conversation_id: str, me: str) -> None:
        self.db.execute(
            "UPDATE messages SET status = 'read' WHERE conversation_id = ?"
            " AND from_id = ? AND status != 'read' AND sequence <= ("
            " SELECT peer_read_sequence FROM conversations WHERE conversation_id = ?)",
            [conversation_id, me, conversation_id],
        )

    def recall(self, message_key: int) -> str | None:
        row = self.db.execute(
            "SELECT conversation_id, sequence FROM messages WHERE message_key = ?",
            [message_key],
        ).fetchone()
        if row is None:
            return None
        with self.db.conn:
            self._recall(row[0], row[1])
        return str(row[0])

    def recall_at(self, conversation_id: str, sequence: int) -> None:
        with self.db.conn:
            self._recall(conversation_id, sequence)

    def _recall(self, conversation_id: str, sequence: int) -> None:
        self.db.execute(
            "UPDATE messages SET recalled = 1, body = 'null', text = ''"
            " WHERE conversation_id = ? AND sequence = ?",
            [conversation_id, sequence],
        )

    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over cached messages, newest first."""
        words = [w for w in re.split(r"\s+", query.strip()) if w]
        if not words:
            return []
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        sql = (
            "SELECT m.* FROM messages m JOIN messages_fts f ON f.rowid = m.rowid"
            " WHERE messages_fts MATCH ? ORDER BY m.time DESC LIMIT ?"
        )
        cursor = self.db.execute(sql, [match, limit])
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    # outbox

    def queue(
        self,
        message_id: str,
        conversation_id: str,
        conversation_type: int,
        to_id: str,
        body: Any,
    ) -> dict[str, Any]:
        row = {
            "message_id": message_id,
            "conversation_id": conversation_id,
            "conversation_type": conversation_type,
            "to_id": to_id,
            "body": json.dumps(body, ensure_ascii=False),
            "text": message_text(body),
            "created_at": int(time.time() * 1000),
            "state": "pending",
            "error": "",
        }
        with self.db.conn:
            self.db.table("outbox").insert(row, pk="message_id", ignore=True)
            self.db.execute(
                "INSERT INTO conversations (conversation_id, conversation_type,"
                " peer_id, last_time) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(conversation_id) DO UPDATE SET deleted = 0,"
                " last_time = max(last_time, excluded.last_time)",
                [conversation_id, conversation_type, to_id, row["created_at"]],
            )
        return row

    def outbox(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        if conversation_id is None:
            return list(self.db.table("outbox").rows_where(order_by="created_at"))
        return list(
            self.db.table("outbox").rows_where(
                "conversation_id = ?", [conversation_id], order_by="created_at"
            )
        )

    def acked(self, message_id: str, ack: dict[str, Any], me: str) -> str | None:
        """Move an acknowledged message from the outbox into the messages."""
        rows = list(self.db.table("outbox").rows_where("message_id = ?", [message_id]))
        if not rows:
            return None
        row = rows[0]
        wire = {
            "conversationId": row["conversation_id"],
            "conversationType": row["conversation_type"],
            "messageSequence": ack["messageSequence"],
            "messageKey": ack["messageKey"],
            "messageId": message_id,
            "fromId": me,
            "toId": row["to_id"],
            "messageBody": json.loads(row["body"]),
            "messageTime": ack.get("messageTime", row["created_at"]),
        }
        with self.db.conn:
            self.db.table("outbox").delete(message_id)
        self.add_messages([wire])
        with self.db.conn:
            self._apply_peer_read(row["conversation_id"], me)
        return str(row["conversation_id"])

    def fail(self, message_id: str, error: str) -> None:
        with self.db.conn:
            self.db.table("outbox").update(
                message_id, {"state": "failed", "error": error}
            )

    def drop(self, message_id: str) -> None:
        with self.db.conn:
            self.db.table("outbox").delete(message_id)

    # profiles, synced rows, presence

    def put_profiles(self, users: list[dict[str, Any]]) -> None:
        with self.db.conn:
            for user in users:
                self.db.table("profiles").upsert(
                    {
                        "user_id": user["userId"],
                        "nickname": user.get("nickname") or "",
                        "data": json.dumps(user, ensure_ascii=False),
                    },
                    pk="user_id",
                )

    def profile(self, user_id: str) -> dict[str, Any] | None:
        rows = list(self.db.table("profiles").rows_where("user_id = ?", [user_id]))
        return json.loads(rows[0]["data"]) if rows else None

    def display_name(self, user_id: str) -> str:
        rows = list(self.db.table("profiles").rows_where("user_id = ?", [user_id]))
        if rows and rows[0]["nickname"]:
            return str(rows[0]["nickname"])
        return user_id

    def put_rows(self, kind: str, rows: list[tuple[str, int, dict, bool]]) -> None:
        with self.db.conn:
            for key, sequence, data, deleted in rows:
                self.db.table("rows").upsert(
                    {
                        "kind": kind,
                        "key": key,
                        "sequence": sequence,
                        "data": json.dumps(data, ensure_ascii=False),
                        "deleted": int(deleted),
                    },
                    pk=("kind", "key"),
                )

    def rows(self, kind: str) -> list[dict[str, Any]]:
        return [
            json.loads(row["data"])
            for row in self.db.table("rows").rows_where(
                "kind = ? AND deleted = 0", [kind], order_by="key"
            )
        ]

    def set_presence(self, user_id: str, online: bool, status=0, text="") -> None:
        with self.db.conn:
            self.db.table("presence").upsert(
                {
                    "user_id": user_id,
                    "online": int(online),
                    "status": status,
                    "text": text,
                },
                pk="user_id",
            )

    def presence(self) -> dict[str, dict[str, Any]]:
        return {row["user_id"]: row for row in self.db.table("presence").rows}


def wire_to_row(wire: dict[str, Any], status: str = "sent") -> dict[str, Any]:
    body = wire.get("messageBody")
    recalled = bool(wire.get("recalled"))
    return {
        "conversation_id": wire["conversationId"],
        "sequence": int(wire["messageSequence"]),
        "message_key": int(wire.get("messageKey") or 0),
        "message_id": wire.get("messageId") or "",
        "from_id": wire.get("fromId") or "",
        "to_id": wire.get("groupId") or wire.get("toId") or "",
        "body": json.dumps(body, ensure_ascii=False),
        "text": "" if recalled else message_text(body),
        "time": int(wire.get("messageTime") or 0),
        "recalled": int(recalled),
        "status": status,
    }
