"""Group messages: validate, store once, acknowledge, fan out; read state.

A group message is stored once, in the conversation ``group|<groupId>``
with a dense per-group sequence (read diffusion): members find it through
their own conversation row, made when they joined. The order of a send::

    validate -> append (group commit) -> ack -> fan out to members' devices

Fan-out runs in one task per group that delivers that group's messages in
sequence order. It encodes each message once and yields to the event loop
every :data:`BATCH` members, so a big group never stalls other sessions.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from lim_protocol.commands import Command, ConversationType
from lim_protocol.errors import ErrorCode, ProtocolError
from lim_protocol.packets import GroupRead, SendGroup

from ..models import StoredMessage, group_conversation_id
from ..routing import LocalRouter
from ..store import Store
from ..store.appends import NewMessage
from ..store.groups import MANAGER, OWNER, now_ms
from .context import Caller
from .messages import MessageService

if TYPE_CHECKING:
    from .groups import GroupService

log = logging.getLogger(__name__)

BATCH = 200


@dataclass(slots=True)
class GroupSendResult:
    message: StoredMessage
    duplicate: bool


class GroupMessenger:
    def __init__(
        self,
        store: Store,
        router: LocalRouter,
        groups: GroupService,
        messages: MessageService,
    ) -> None:
        self.store = store
        self.router = router
        self.groups = groups
        self.messages = messages
        self.sent = 0
        self.delivered = 0
        # The last fan-out: devices reached, seconds from start to end, and
        # seconds spent pushing (the rest went to other work between batches).
        self.last_fanout: tuple[int, float, float] = (0, 0.0, 0.0)
        self._queues: dict[tuple[int, str], deque[Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # sending

    async def send(self, caller: Caller, packet: SendGroup) -> GroupSendResult:
        """Store and fan out a group message; idempotent on ``messageId``."""
        app_id = caller.app_id

        # A resend of a stored message skips validation: the original passed.
        existing = self.store.messages.find(app_id, caller.user_id, packet.messageId)
        if existing is not None:
            return GroupSendResult(existing, True)

        self._check_sender(caller, packet.groupId)
        stored, duplicate = await self.store.messages.append(
            NewMessage(
                app_id=app_id,
                conversation_id=group_conversation_id(packet.groupId),
                conversation_type=ConversationType.GROUP,
                from_id=caller.user_id,
                to_id=packet.groupId,
                message_id=packet.messageId,
                body=packet.messageBody.model_dump(mode="json", exclude_none=True),
            )
        )
        if not duplicate:
            self.sent += 1
            self.fan_out(stored, caller.origin)
        return GroupSendResult(stored, duplicate)

    def _check_sender(self, caller: Caller, group_id: str) -> None:
        user = self.store.users.get(caller.app_id, caller.user_id)
        if user is None or user.deleted:
            raise ProtocolError(ErrorCode.USER_NOT_FOUND, "sender does not exist")
        if user.disabled:
            raise ProtocolError(ErrorCode.USER_DISABLED, "sender is disabled")
        if user.silenced:
            raise ProtocolError(ErrorCode.USER_SILENCED, "sender is silenced")

        group = self.groups.group(caller.app_id, group_id)
        member = self.store.groups.member(caller.app_id, group_id, caller.user_id)
        if member is None or member.left:
            raise ProtocolError(
                ErrorCode.GROUP_NOT_MEMBER, "you are not a member of this group"
            )
        if member.muted(now_ms()):
            raise ProtocolError(
                ErrorCode.GROUP_MEMBER_MUTED,
                f"you are muted in this group until {member.mute_until}",
            )
        if group.mute_all and member.role not in (OWNER, MANAGER):
            raise ProtocolError(
                ErrorCode.GROUP_MUTED, "the group is muted: only managers can speak"
            )

    # fan-out

    def fan_out(self, stored: StoredMessage, origin: object | None) -> None:
        """Queue a committed message for delivery after the group's earlier ones."""
        key = (stored.app_id, stored.to_id)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            task = asyncio.get_running_loop().create_task(self._drain(key, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.append((stored, origin))

    async def _drain(self, key: tuple[int, str], queue: deque[Any]) -> None:
        try:
            while queue:
                stored, origin = queue.popleft()
                try:
                    await self._deliver(stored, origin)
                except Exception:
                    log.exception("fan-out of %s failed", stored.message_key)
        finally:
            del self._queues[key]

    async def _deliver(self, stored: StoredMessage, origin: object | None) -> None:
        started = time.perf_counter()
        app_id = stored.app_id
        body = to_json(stored.to_wire())
        recipients = self.store.groups.recipients(app_id, stored.to_id, stored.sequence)

        reached = 0
        busy = 0.0
        batch_started = started
        for index, user_id in enumerate(recipients, start=1):
            reached += self.router.push_body(
                app_id, user_id, Command.MSG_GROUP, body, exclude=origin
            )
            if index % BATCH == 0:
                busy += time.perf_counter() - batch_started
                await asyncio.sleep(0)
                batch_started = time.perf_counter()
        ended = time.perf_counter()
        busy += ended - batch_started

        self.delivered += reached
        self.last_fanout = (reached, ended - started, busy)
        for listener in self.messages.listeners:
            listener(stored)

    async def idle(self) -> None:
        """Wait until every queued fan-out has finished (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # read state

    async def mark_read(self, caller: Caller, packet: GroupRead) -> int:
        """Advance the caller's read sequence; tell their other devices."""
        conversation_id = group_conversation_id(packet.groupId)
        row = self.store.messages.conversation(
            caller.app_id, caller.user_id, conversation_id
        )
        if row is None:
            raise ProtocolError(
                ErrorCode.GROUP_NOT_MEMBER, "you are not a member of this group"
            )
        end = int(row["last_sequence"])
        member = self.store.groups.member(caller.app_id, packet.groupId, caller.user_id)
        if member is not None and member.left:
            end = min(end, member.leave_sequence)
        sequence = min(packet.messageSequence, end)

        before = int(row["read_sequence"])
        read = await self.store.groups.mark_read(
            caller.app_id, caller.user_id, packet.groupId, sequence
        )
        if read > before:
            self.router.push(
                caller.app_id,
                [caller.user_id],
                Command.GROUP_MSG_READ_NOTIFY,
                {
                    "groupId": packet.groupId,
                    "conversationId": conversation_id,
                    "conversationType": int(ConversationType.GROUP),
                    "messageSequence": read,
                },
                exclude=caller.origin,
            )
        return read

    def read_counts(
        self, caller: Caller, group_id: str, sequences: list[int]
    ) -> list[dict[str, Any]]:
        """For each message: how many members who could see it have read it.

        The sender is not counted; members who joined after the message or
        left since are not counted either.
        """
        group = self.groups.group(caller.app_id, group_id, dismissed_ok=True)
        self.groups.require_member(caller, group)
        states = self.store.groups.read_states(caller.app_id, group_id)
        senders = self.store.groups.senders(caller.app_id, group_id, sequences)

        # Walk the sequences upwards, letting in each member once the message
        # is after their join; count those whose read sequence reaches it.
        by_join = sorted(states, key=lambda state: state["join_sequence"])
        by_member = {state["member_id"]: state for state in states}
        admitted: list[int] = []
        next_member = 0
        found: dict[int, dict[str, Any]] = {}
        for sequence in sorted(set(sequences) & senders.keys()):
            while (
                next_member < len(by_join)
                and by_join[next_member]["join_sequence"] < sequence
            ):
                bisect.insort(admitted, by_join[next_member]["read_sequence"])
                next_member += 1
            eligible = len(admitted)
            read = eligible - bisect.bisect_left(admitted, sequence)

            # The sender does not count, whether or not they have "read" it.
            sender = by_member.get(senders[sequence])
            if sender is not None and sender["join_sequence"] < sequence:
                eligible -= 1
                read -= sender["read_sequence"] >= sequence
            found[sequence] = {
                "messageSequence": sequence,
                "found": True,
                "fromId": senders[sequence],
                "readCount": read,
                "unreadCount": eligible - read,
            }

        counts = [
            found.get(sequence, {"messageSequence": sequence, "found": False})
            for sequence in sequences
        ]
        return counts
