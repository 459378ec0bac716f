"""Turning cached rows into Rich text: messages, day separators, marks.

Marks after your own messages: ``…`` pending, ``✗`` failed, ``✓`` stored
by the server, ``✓✓`` delivered to a device of the peer, ``◉`` read.
Every mark is a distinct glyph, so they read the same without colour.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.text import Text

MARKS = {
    "pending": ("…", "dim"),
    "failed": ("✗", "bold red"),
    "sent": ("✓", "dim"),
    "delivered": ("✓✓", "green"),
    "read": ("◉", "bold green"),
}


def local_time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000) if ms else datetime.now()


def day_label(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y")


def render_log(
    messages: list[dict[str, Any]],
    pending: list[dict[str, Any]],
    me: str,
    names: dict[str, str],
    *,
    has_older: bool = False,
) -> Text:
    """The whole visible log of one conversation as one Text."""
    out = Text()
    if has_older:
        out.append("  ↑ older messages: scroll up or press Home\n", style="dim")
    day = None
    rows = [(m, m.get("status", "sent")) for m in messages]
    rows += [
        (
            {
                "from_id": me,
                "text": p["text"],
                "time": p["created_at"],
                "recalled": 0,
                "body": p["body"],
            },
            p["state"],
        )
        for p in pending
    ]
    for message, status in rows:
        moment = local_time(int(message.get("time") or 0))
        label = day_label(moment)
        if label != day:
            day = label
            out.append(f"── {label} ──\n", style="dim italic")
        out.append(moment.strftime("%H:%M "), style="dim")
        sender = message.get("from_id", "")
        style = "bold cyan" if sender == me else "bold magenta"
        out.append(names.get(sender, sender), style=style)
        out.append(": ")
        if message.get("recalled"):
            out.append("(message recalled)", style="dim italic")
        else:
            out.append(message_body_text(message))
        if sender == me:
            glyph, mark_style = MARKS.get(status, ("", ""))
            out.append(f" {glyph}", style=mark_style)
        out.append("\n")
    if not rows:
        out.append("No messages yet. Say hello.\n", style="dim")
    out.rstrip()
    return out


def message_body_text(message: dict[str, Any]) -> str:
    text = message.get("text")
    if text:
        return str(text)
    try:
        body = json.loads(message.get("body") or "null")
    except ValueError:
        return ""
    if isinstance(body, dict) and body.get("type") == "custom":
        return "[custom message]"
    return ""
