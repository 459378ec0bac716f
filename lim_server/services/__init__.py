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
from .messages import MessageService
from .presence import PresenceService
from .recall import RecallService
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
        self.conversations = ConversationService(store, router, self.sync, self.apps)
        self.recall = RecallService(store, router, self.apps)
        self.presence = PresenceService(router)


__all__ = ["Caller", "Services"]
