"""The lim client SDK: socket sessions, the HTTP API client, sync and cache."""

from __future__ import annotations

from .session import ClientSession, Event, LimClientError, connect

__all__ = ["ClientSession", "Event", "LimClientError", "connect"]
