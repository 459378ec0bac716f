"""A long-lived client: a session that reconnects, syncs and keeps an outbox.

:class:`LimClient` owns one :class:`~lim_client.session.ClientSession` at a
time. It logs in, syncs the cache (:mod:`lim_client.sync`), re-sends the
outbox, sends heartbeats, and reconnects with exponential backoff and
jitter when the connection drops. What happens is told to listeners as
typed events (:class:`StateChanged`, :class:`ConversationChanged`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lim_protocol.commands import ClientType, Command, ConversationType

from .cache import Cache, message_text
from .session import ClientSession, Event, LimClientError, connect
from .sync import Syncer, peer_of

log = logging.getLogger(__name__)


class State(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    ONLINE = "online"
    STOPPED = "stopped"


# typed events


@dataclass(slots=True)
class StateChanged:
    state: State
    detail: str = ""


@dataclass(slots=True)
class ConversationChanged:
    """Messages, marks or the unread count of these conversations changed."""

    conversation_ids: set[str]


@dataclass(slots=True)
class MessageReceived:
    """A message from someone else arrived live (not by a sync)."""

    conversation_id: str
    from_id: str
    text: str


@dataclass(slots=True)
class Synced:
    changed: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Notice:
    """Something the user should be told (an error, a relation event)."""

    text: str
    severity: str = "information"
    command: int = 0
    body: Any = None


ClientEvent = StateChanged | ConversationChanged | MessageReceived | Synced | Notice
Listener = Callable[[ClientEvent], None]


@dataclass
class Backoff:
    base: float = 0.5
    cap: float = 30.0
    attempt: int = 0

    def next_delay(self) -> float:
        """Exponential delay with full-range jitter in its upper half."""
        delay = min(self.cap, self.base * (2**self.attempt))
        self.attempt += 1
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


class LimClient:
    def __init__(
        self,
        url: str,
        *,
        app_id: int,
        user_id: str,
        token: str | Callable[[], str],
        cache: Cache,
        client_type: int = ClientType.TERMINAL,
        imei: str = "",
        heartbeat: float = 30.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = url
        self.app_id = app_id
        self.user_id = user_id
        self._token = token
        self.cache = cache
        self.client_type = client_type
        self.imei = imei or uuid.uuid4().hex[:16]
        self.heartbeat = heartbeat
        self.backoff = backoff or Backoff()
        self.state = State.OFFLINE
        self.session: ClientSession | None = None
        self.syncer = Syncer(cache, self.api, user_id)
        self.listeners: list[Listener] = []
        self.kinds: set[str] = set()
        self.connects = 0
        self._task: asyncio.Task[None] | None = None
        self._online = asyncio.Event()
        self._sending: set[str] = set()
        self._early_receipts: set[int] = set()

    # lifecycle

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="lim-client")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.session is not None:
            # Quitting must be quick even when the server does not answer.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.session.close(), 2)
            self.session = None
        self._set_state(State.STOPPED)

    async def wait_online(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._online.wait(), timeout)

    def drop_connection(self) -> None:
        """Close the socket as a network failure would (the client reconnects)."""
        if self.session is not None:
            asyncio.ensure_future(self.session.transport.close())

    def _emit(self, event: ClientEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("listener failed on %s", type(event).__name__)

    def _set_state(self, state: State, detail: str = "") -> None:
        self.state = state
        if state is State.ONLINE:
            self._online.set()
        else:
            self._online.clear()
        self._emit(StateChanged(state, detail))

    def token(self) -> str:
        return self._token() if callable(self._token) else self._token

    async def _run(self) -> None:
        while True:
            self._set_state(State.CONNECTING)
            try:
                session = await connect(
                    self.url,
                    app_id=self.app_id,
                    client_type=self.client_type,
                    imei=self.imei,
                )
            except (OSError, TimeoutError, ValueError) as exc:
                await self._wait_retry(f"cannot connect: {exc}")
                continue
            self.session = session
            try:
                await session.login(self.user_id, self.token())
                self.connects += 1
                self.backoff.reset()
                reason = await self._serve(session)
            except LimClientError as exc:
                reason = f"refused: {exc.msg}"
            except (ConnectionError, TimeoutError, OSError) as exc:
                reason = f"connection lost: {exc}"
            finally:
                self.session = None
                with contextlib.suppress(Exception):
                    await session.close()
            await self._wait_retry(reason)

    async def _wait_retry(self, reason: str) -> None:
        delay = self.backoff.next_delay()
        log.info("offline (%s); retry in %.1fs", reason, delay)
        self._set_state(State.OFFLINE, reason)
        await asyncio.sleep(delay)

    async def _serve(self, session: ClientSession) -> str:
        """Sync, flush the outbox, then handle pushes until the session ends."""
        self._set_state(State.SYNCING)
        pump = asyncio.create_task(self._pump(session))
        beat = asyncio.create_task(self._beat(session))
        try:
            changed = await self.syncer.sync_all()
            self.kinds = set(self.syncer.kinds)
            self._set_state(State.ONLINE)
            self._emit(Synced(changed))
            if changed:
                self._emit(ConversationChanged(changed))
            self._flush_outbox()
            await self.load_presence()
            await session.closed.wait()
            return session.close_reason or "closed"
        finally:
            pump.cancel()
            beat.cancel()

    async def _beat(self, session: ClientSession) -> None:
        while not session.closed.is_set():
            await asyncio.sleep(self.heartbeat)
            try:
                await session.send(Command.PING, {})
            except Exception:
                return

    async def _pump(self, session: ClientSession) -> None:
        while True:
            event = await session.events.get()
            try:
                await self._handle(event)
            except Exception:
                log.exception("failed to handle %s", event.name)

    # requests

    async def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call an API operation over the socket; raises when offline."""
        session = self.session
        if session is None:
            raise ConnectionError("not connected")
        return await session.api(path, body or {})

    async def request(self, command: int, body: dict[str, Any]) -> Any:
        session = self.session
        if session is None:
            raise ConnectionError("not connected")
        return await session.request(command, body)

    # sending through the outbox

    def send_text(self, conversation_id: str, text: str) -> dict[str, Any]:
        """Queue a text message in the outbox and send it when online."""
        conversation = self.cache.conversation(conversation_id) or {}
        if conversation_id.startswith("group|"):
            kind = ConversationType.GROUP
        else:
            kind = ConversationType.P2P
        to_id = peer_of(
            {**conversation, "conversation_id": conversation_id}, self.user_id
        )
        body = {"type": "text", "text": text}
        row = self.cache.queue(uuid.uuid4().hex, conversation_id, kind, to_id, body)
        self._emit(ConversationChanged({conversation_id}))
        if self.state is State.ONLINE:
            self._spawn_send(row)
            if kind == ConversationType.P2P and self.cache.profile(to_id) is None:
                asyncio.create_task(self._learn_peer(to_id))
        return row

    async def _learn_peer(self, user_id: str) -> None:
        """Profile and presence of someone we just started talking to."""
        with contextlib.suppress(LimClientError, ConnectionError, TimeoutError):
            await self.syncer.fetch_profiles([user_id])
            await self.load_presence()
            self._emit(ConversationChanged(set()))

    def _flush_outbox(self) -> None:
        for row in self.cache.outbox():
            if row["state"] == "pending":
                self._spawn_send(row)

    def _spawn_send(self, row: dict[str, Any]) -> None:
        if row["message_id"] in self._sending:
            return
        self._sending.add(row["message_id"])
        asyncio.create_task(self._send(row))

    async def _send(self, row: dict[str, Any]) -> None:
        import json

        message_id = row["message_id"]
        body = json.loads(row["body"])
        try:
            if row["conversation_type"] == ConversationType.GROUP:
                payload = {
                    "messageId": message_id,
                    "groupId": row["to_id"],
                    "messageBody": body,
                }
                ack = await self.request(Command.MSG_GROUP, payload)
            else:
                payload = {
                    "messageId": message_id,
                    "toId": row["to_id"],
                    "messageBody": body,
                }
                ack = await self.request(Command.MSG_P2P, payload)
        except LimClientError as exc:
            self.cache.fail(message_id, exc.msg)
            self._emit(Notice(f"not sent: {exc.msg}", "error"))
            self._emit(ConversationChanged({row["conversation_id"]}))
            return
        except (ConnectionError, TimeoutError, OSError) as exc:
            # Kept pending: the next connection sends it again, same messageId.
            log.info("send of %s deferred: %s", message_id, exc)
            return
        finally:
            self._sending.discard(message_id)
        conversation_id = self.cache.acked(message_id, ack, self.user_id)
        key = int(ack["messageKey"])
        if key in self._early_receipts:
            self._early_receipts.discard(key)
            self.cache.set_status(key, "delivered")
        if conversation_id is not None:
            conversation = self.cache.conversation(conversation_id) or {}
            if (
                int(ack["messageSequence"])
                == int(conversation.get("synced_sequence") or 0) + 1
            ):
                self.cache.upsert_conversation(
                    conversation_id, synced_sequence=int(ack["messageSequence"])
                )
            self._emit(ConversationChanged({conversation_id}))

    def retry(self, message_id: str) -> None:
        with self.cache.db.conn:
            self.cache.db.table("outbox").update(message_id, {"state": "pending"})
        if self.state is State.ONLINE:
            self._flush_outbox()

    # reading

    async def mark_read(self, conversation_id: str) -> None:
        """Mark a conversation read up to its last message, here and on the server."""
        conversation = self.cache.conversation(conversation_id)
        if conversation is None:
            return
        last = max(
            int(conversation["last_sequence"]), self.cache.max_sequence(conversation_id)
        )
        if last <= int(conversation["read_sequence"]):
            return
        self.cache.upsert_conversation(conversation_id, read_sequence=last)
        self._emit(ConversationChanged({conversation_id}))
        if self.state is not State.ONLINE:
            return
        peer = peer_of(conversation, self.user_id)
        command: int = Command.MSG_READ
        body: dict[str, Any] = {
            "conversationType": int(conversation["conversation_type"]),
            "toId": peer,
            "messageSequence": last,
        }
        if conversation_id.startswith("group|"):
            command = Command.GROUP_MSG_READ
            body = {"groupId": peer, "messageSequence": last}
        try:
            await self.request(command, body)
        except (LimClientError, ConnectionError, TimeoutError) as exc:
            log.debug("read mark not sent: %s", exc)

    async def load_older(self, conversation_id: str, limit: int = 50) -> int:
        """Fetch messages older than the oldest cached one; how many were new."""
        oldest = self.cache.min_sequence(conversation_id)
        if oldest == 1:
            return 0
        return await self.syncer.history(conversation_id, oldest, limit)

    # pushes

    async def _handle(self, event: Event) -> None:
        body = event.body if isinstance(event.body, dict) else {}
        command = event.command
        if command in (Command.MSG_P2P, Command.MSG_GROUP):
            await self._on_message(body)
        elif command == Command.MSG_RECEIVE_ACK:
            key = int(body["messageKey"])
            conversation_id = self.cache.set_status(key, "delivered")
            if conversation_id:
                self._emit(ConversationChanged({conversation_id}))
            elif self._sending and len(self._early_receipts) < 1000:
                # The receipt beat our own ack: apply it when the ack lands.
                self._early_receipts.add(key)
        elif command == Command.MSG_READ_RECEIPT:
            conversation_id = body.get("conversationId") or _p2p_id(
                self.user_id, body.get("fromId") or body.get("userId") or ""
            )
            self.cache.mark_peer_read(
                conversation_id, self.user_id, int(body.get("messageSequence", 0))
            )
            self._emit(ConversationChanged({conversation_id}))
        elif command in (Command.MSG_READ_NOTIFY, Command.GROUP_MSG_READ_NOTIFY):
            # Another device of mine read this far.
            conversation_id = body.get("conversationId") or ""
            if not conversation_id and body.get("groupId"):
                conversation_id = f"group|{body['groupId']}"
            read = int(body.get("readSequence") or body.get("messageSequence") or 0)
            local = self.cache.conversation(conversation_id)
            if local is not None and read > int(local["read_sequence"]):
                self.cache.upsert_conversation(conversation_id, read_sequence=read)
                self._emit(ConversationChanged({conversation_id}))
        elif command == Command.MSG_RECALL_NOTIFY:
            self._on_recall(body)
        elif command in (
            Command.USER_ONLINE_STATUS_CHANGED,
            Command.USER_CUSTOM_STATUS_CHANGED,
        ):
            self._on_presence(body)
        elif command == Command.USER_MODIFIED:
            self.cache.put_profiles([body])
            self._emit(ConversationChanged(set()))
        elif command == Command.MUTUAL_LOGIN:
            self._emit(Notice("signed in elsewhere; this device was closed", "error"))
        elif command == Command.PING:
            return
        elif 2000 <= command <= 5001:
            await self._on_change(event)

    async def _on_message(self, wire: dict[str, Any]) -> None:
        conversation_id = wire["conversationId"]
        await self.syncer.receive(wire)
        mine = wire.get("fromId") == self.user_id
        if not mine and self.cache.profile(wire.get("fromId", "")) is None:
            await self._learn_peer(wire["fromId"])
        if not mine and wire.get("conversationType", 0) == ConversationType.P2P:
            with contextlib.suppress(Exception):
                await self.session.send(  # type: ignore[union-attr]
                    Command.MSG_RECEIVE_ACK,
                    {
                        "messageKey": wire["messageKey"],
                        "fromId": wire["fromId"],
                        "toId": wire["toId"],
                        "messageSequence": wire["messageSequence"],
                    },
                )
        self._emit(ConversationChanged({conversation_id}))
        if not mine:
            text = message_text(wire.get("messageBody"))
            self._emit(MessageReceived(conversation_id, wire.get("fromId", ""), text))

    def _on_recall(self, body: dict[str, Any]) -> None:
        conversation_id = body.get("conversationId") or self.cache.recall(
            int(body.get("messageKey", 0))
        )
        if not conversation_id:
            return
        if body.get("messageSequence") is not None:
            self.cache.recall_at(conversation_id, int(body["messageSequence"]))
        conversation = self.cache.conversation(conversation_id) or {}
        recall_sequence = int(body.get("recallSequence") or 0)
        if recall_sequence == int(conversation.get("recall_sequence") or 0) + 1:
            self.cache.upsert_conversation(
                conversation_id, recall_sequence=recall_sequence
            )
        self._emit(ConversationChanged({conversation_id}))

    async def load_presence(self) -> None:
        """Statuses of friends and of 1:1 peers, and a watch on the peers."""
        statuses: list[dict[str, Any]] = []
        try:
            statuses += await self.api("/v1/status/friends", {})
            peers = sorted(
                {
                    peer_of(row, self.user_id)
                    for row in self.cache.conversations(self.user_id)
                    if row["conversation_type"] == ConversationType.P2P
                }
                - {s.get("userId") for s in statuses}
                - {self.user_id}
            )[:1000]
            if peers:
                statuses += await self.api("/v1/status/get", {"userIds": peers})
                await self.api(
                    "/v1/status/subscribe", {"userIds": peers, "ttlSeconds": 86400}
                )
        except LimClientError as exc:
            log.info("presence not loaded: %s", exc.msg)
        for status in statuses:
            self._store_presence(status)
        if statuses:
            self._emit(ConversationChanged(set()))

    def _on_presence(self, body: dict[str, Any]) -> None:
        if self._store_presence(body):
            self._emit(ConversationChanged(set()))

    def _store_presence(self, body: dict[str, Any]) -> bool:
        user_id = body.get("userId") or ""
        if not user_id:
            return False
        self.cache.set_presence(
            user_id,
            bool(body.get("online")),
            int(body.get("customStatus") or 0),
            str(body.get("customText") or ""),
        )
        return True

    async def _on_change(self, event: Event) -> None:
        """A relation, group or conversation event: resync the kinds, then tell."""
        if self.state is State.ONLINE:
            try:
                changed = await self.syncer.sync_all()
            except (LimClientError, ConnectionError, TimeoutError) as exc:
                log.info("resync after %s failed: %s", event.name, exc)
                changed = set()
            self._emit(ConversationChanged(changed))
        text = _describe(event, self.user_id)
        if text:
            self._emit(Notice(text, command=event.command, body=event.body))


def _p2p_id(a: str, b: str) -> str:
    low, high = (a, b) if a <= b else (b, a)
    return f"p2p|{low}|{high}"


def _describe(event: Event, me: str) -> str:
    """A one-line notice for relation and group events that concern me."""
    body = event.body if isinstance(event.body, dict) else {}
    from_id, to_id = body.get("fromId", ""), body.get("toId", "")
    match event.command:
        case Command.FRIEND_REQUEST if to_id == me:
            wording = f": {body['wording']}" if body.get("wording") else ""
            return f"friend request from {from_id}{wording} (/accept {from_id})"
        case Command.FRIEND_REQUEST_APPROVED if from_id == me:
            return f"{to_id} accepted your friend request"
        case Command.FRIEND_REQUEST_REJECTED if from_id == me:
            return f"{to_id} declined your friend request"
        case Command.GROUP_MEMBER_ADDED if me in body.get("memberIds", []):
            return f"you were added to group {body.get('groupId', '')}"
        case Command.GROUP_JOIN_REQUESTED:
            request = body.get("request") or {}
            request_id = request.get("requestId")
            return (
                f"{request.get('userId', '')} asks to join {body.get('groupId', '')}"
                f" (/admit {request_id} or /deny {request_id})"
            )
    return ""
