"""The relation checks on 1:1 messages: blacklist, friends only, stranger quota.

Registered by the relation service in ``MessageService.checks``; the rule
is written out for operators in docs/operations.md ("Relations").
"""

from __future__ import annotations

from collections import OrderedDict

from lim_protocol.commands import ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import App, StoredMessage, User
from ..store import Store
from ..store.relations import NORMAL


class SendChecks:
    """The relation checks on 1:1 messages, and the stranger quota.

    A sender is a *friend* of the receiver when the receiver's own row for
    the sender is normal (the receiver decides who counts as a friend). For
    anyone else, the app settings decide:

    - ``blacklistCheckOnSend``: refuse with 30006 when the receiver blocked
      the sender, friend or not.
    - ``strangerQuota`` N (not null): a non-friend may have at most N
      unanswered messages to the receiver; the next is refused with 30007.
      A message from the receiver to the sender, or a friendship between
      them starting or ending, starts the count again from zero.
    - otherwise ``friendCheckOnSend``: refuse non-friends with 30005.

    App admins (user type 100) and messages to oneself skip the friend check
    and the quota. The count is derived from the stored messages, so it
    survives restarts; in memory the service only remembers counts it has
    already loaded, raised before each append, so that concurrent sends of
    one sender cannot overshoot N.
    """

    MAX_REMEMBERED = 100_000

    def __init__(self, store: Store) -> None:
        self.store = store
        self._counts: OrderedDict[tuple[int, str, str], int] = OrderedDict()

    def check(self, app: App, sender: User, receiver: User, message_id: str) -> None:
        if sender.user_id == receiver.user_id:
            return
        settings = app.settings
        quota = settings.stranger_quota
        limited = not sender.is_admin and (
            quota is not None or settings.friend_check_on_send
        )
        if not (settings.blacklist_check_on_send or limited):
            return

        # One row answers both questions: the receiver's row for the sender.
        app_id = app.app_id
        status, black = self.store.relations.flags(
            app_id, receiver.user_id, sender.user_id
        )
        if settings.blacklist_check_on_send and black:
            raise ProtocolError(
                ErrorCode.BLOCKED_BY_RECEIVER,
                f"{receiver.user_id!r} has blocked you",
            )
        if not limited or status == NORMAL:
            return
        if quota is None:
            raise ProtocolError(
                ErrorCode.FRIEND_REQUIRED,
                f"{receiver.user_id!r} accepts messages from friends only",
            )
        if self.store.messages.find(app_id, sender.user_id, message_id) is not None:
            return  # a resend of a stored message costs nothing
        self._spend(app_id, sender.user_id, receiver.user_id, quota)

    def _spend(self, app_id: int, sender_id: str, receiver_id: str, quota: int) -> None:
        key = (app_id, sender_id, receiver_id)
        used = self._counts.get(key)
        if used is None:
            used = self.store.relations.unanswered(app_id, sender_id, receiver_id)
        if used >= quota:
            raise ProtocolError(
                ErrorCode.STRANGER_QUOTA_EXCEEDED,
                f"{receiver_id!r} is not your friend: at most {quota} messages"
                " until they reply or accept you",
            )
        self._counts[key] = used + 1
        self._counts.move_to_end(key)
        while len(self._counts) > self.MAX_REMEMBERED:
            self._counts.popitem(last=False)

    def on_message(self, message: StoredMessage) -> None:
        """A reply restarts the count of the one it answers."""
        if message.conversation_type != ConversationType.P2P:
            return
        self._counts.pop((message.app_id, message.to_id, message.from_id), None)

    def forget_pair(self, app_id: int, a: str, b: str) -> None:
        self._counts.pop((app_id, a, b), None)
        self._counts.pop((app_id, b, a), None)

    def forget_app(self, app_id: int) -> None:
        for key in [key for key in self._counts if key[0] == app_id]:
            del self._counts[key]
