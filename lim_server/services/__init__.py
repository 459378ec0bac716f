"""The logic layer: one service per domain, wired together in :class:`Services`.

Services validate, decide and call the store; they push events through the
router. They know nothing of sockets or HTTP: the gateways and the API are
thin layers that turn frames and requests into service calls.
"""

from __future__ import annotations

from ..routing import LocalRouter
from ..store import Store
from .apps import AppService
from .context import Caller
from .conversations import ConversationService
from .groups import GroupService
from .messages import MessageService
from .presence import PresenceService
from .recall import RecallService
from .relations import RelationService
from .sync import SyncService
from .users import UserService


class Services:
    def __init__(self, store: Store, router: LocalRouter) -> None:
        self.store = store
        self.router = router
        self.apps = AppService(store)
        self.users = UserService(store, router)
        self.messages = MessageService(store, router)
        self.sync = SyncService(store)
        self.groups = GroupService(store, router, self.sync, self.messages)
        self.relations = RelationService(store, router, self.messages, self.sync)
        self.conversations = ConversationService(store, router, self.sync, self.apps)
        self.recall = RecallService(store, router, self.apps)
        self.presence = PresenceService(router)

        # Hooks between domains, so that none imports another.
        self.presence.friends_of = self.relations.friend_ids
        self.recall.group_role_of = self.groups.role_of
        self.recall.group_member_ids = self.groups.member_ids


__all__ = ["Caller", "Services"]
