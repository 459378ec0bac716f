"""Storage: the SQLite engine and one repository per kind of record.

The services only talk to the repositories (:class:`Store` and its
attributes), never to SQL. A second backend (PostgreSQL) provides the same
repository classes over its own engine; nothing above this package changes.
"""

from __future__ import annotations

from pathlib import Path

from .apps import AppStore
from .conversations import ConversationStore
from .database import Database
from .groups import GroupStore
from .messages import MessageStore
from .relations import RelationStore
from .users import UserStore


class Store:
    """The repositories over one database."""

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: str = "FULL",
        node_id: int = 0,
        commit_window: float | None = None,
    ) -> None:
        self.db = Database(path, synchronous=synchronous, commit_window=commit_window)
        self.node_id = node_id
        self.apps: AppStore
        self.users: UserStore
        self.messages: MessageStore
        self.groups: GroupStore
        self.relations: RelationStore
        self.conversations: ConversationStore

    def open(self) -> None:
        self.db.open()
        self.apps = AppStore(self.db)
        self.users = UserStore(self.db)
        self.messages = MessageStore(self.db, self.node_id)
        self.groups = GroupStore(self.db)
        self.relations = RelationStore(self.db)
        self.conversations = ConversationStore(self.db)

    def close(self) -> None:
        self.db.close()


__all__ = ["Database", "Store"]
