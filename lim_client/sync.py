"""The sync engine: bring the local cache up to the server, cheaply.

At start and after every reconnect: one ``/v1/sync/cursors`` call; then,
for each synced kind whose server cursor is ahead of ours, the changed
rows (``/v1/sync/pull``, paged); then, for each conversation whose last
sequence is ahead of what we hold, its messages by sequence range
(``/v1/sync/messages``, paged). A pushed message whose sequence skips
ahead of the contiguous range we hold triggers the same range pull.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .cache import Cache
from .session import LimClientError

log = logging.getLogger(__name__)

Api = Callable[[str, dict[str, Any]], Awaitable[Any]]

PAGE = 200
# A conversation first seen with a long history starts this far back; older
# messages come from /v1/message/history when the user scrolls up.
FIRST_WINDOW = 200

# The key of a row of each known kind, so a later change replaces it.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "friends": ("toId",),
    "friendRequests": ("requestId",),
    "friendGroups": ("name",),
    "groups": ("groupId",),
}

# Friendship rows say "deleted" with status 2; other kinds with a flag.
FRIEND_DELETED = 2


def is_tombstone(kind: str, row: dict[str, Any]) -> bool:
    if kind == "friends":
        return row.get("status") == FRIEND_DELETED
    return bool(row.get("deleted"))


class Syncer:
    def __init__(self, cache: Cache, api: Api, me: str) -> None:
        self.cache = cache
        self.api = api
        self.me = me
        self.kinds: list[str] = []
        self.pulled_messages = 0
        self.gaps = 0

    async def sync_all(self) -> set[str]:
        """One full incremental sync; returns the conversations that changed."""
        cursors = await self.api("/v1/sync/cursors", {})
        changed: set[str] = set()
        self.kinds = sorted(cursors.get("kinds", {}))
        for kind, server_value in cursors.get("kinds", {}).items():
            if int(server_value) > self.cache.cursor(f"kind:{kind}"):
                changed |= await self.pull_kind(kind)

        for row in cursors.get("conversations", []):
            conversation_id = row["conversationId"]
            local = self.cache.conversation(conversation_id)
            self.cache.upsert_conversation(
                conversation_id,
                conversation_type=row.get("conversationType", 0),
                peer_id=row.get("peerId") or "",
                read_sequence=max(
                    row.get("readSequence", 0), local["read_sequence"] if local else 0
                ),
                start_sequence=row.get("startSequence", 0),
            )
            last = int(row.get("lastSequence", 0))
            if await self.pull_messages(conversation_id, last):
                changed.add(conversation_id)
            recalls = int(row.get("recallSequence") or 0)
            if await self.pull_recalls(conversation_id, recalls):
                changed.add(conversation_id)
        await self.fetch_profiles()
        return changed

    async def pull_kind(self, kind: str) -> set[str]:
        changed: set[str] = set()
        while True:
            last = self.cache.cursor(f"kind:{kind}")
            page = await self.api(
                "/v1/sync/pull", {"kind": kind, "lastSequence": last, "maxLimit": PAGE}
            )
            rows = page.get("dataList", [])
            if kind == "conversations":
                changed |= self._apply_conversations(rows)
            else:
                self._apply_rows(kind, rows)
            new_last = rows[-1].get("sequence", last) if rows else last
            self.cache.set_cursor(f"kind:{kind}", max(last, int(new_last)))
            if page.get("completed", True) or not rows:
                return changed

    def _apply_conversations(self, rows: list[dict[str, Any]]) -> set[str]:
        changed = set()
        for row in rows:
            conversation_id = row["conversationId"]
            local = self.cache.conversation(conversation_id)
            self.cache.upsert_conversation(
                conversation_id,
                conversation_type=row.get("conversationType", 0),
                peer_id=row.get("peerId") or "",
                read_sequence=max(
                    row.get("readSequence", 0), local["read_sequence"] if local else 0
                ),
                pinned=int(bool(row.get("pinned"))),
                muted=int(bool(row.get("muted"))),
                deleted=int(bool(row.get("deleted"))),
                last_sequence=max(
                    row.get("lastSequence", 0), local["last_sequence"] if local else 0
                ),
                last_time=max(
                    int(row.get("updatedAt") or 0), local["last_time"] if local else 0
                ),
            )
            changed.add(conversation_id)
        return changed

    def _apply_rows(self, kind: str, rows: list[dict[str, Any]]) -> None:
        keys = ROW_KEYS.get(kind, ("id",))
        out = []
        for row in rows:
            key = next((str(row[k]) for k in keys if row.get(k) is not None), None)
            if key is None:
                key = str(row.get("sequence"))
            out.append((key, int(row.get("sequence", 0)), row, is_tombstone(kind, row)))
        self.cache.put_rows(kind, out)

    async def pull_messages(self, conversation_id: str, last_sequence: int) -> int:
        """Pull what we miss of one conversation up to ``last_sequence``."""
        conversation = self.cache.conversation(conversation_id) or {}
        held = int(conversation.get("synced_sequence") or 0)
        if held >= last_sequence:
            return 0
        if held == 0 and self.cache.max_sequence(conversation_id) == 0:
            held = max(held, last_sequence - FIRST_WINDOW)
        held = max(held, int(conversation.get("start_sequence") or 0))

        new = 0
        while True:
            page = await self.api(
                "/v1/sync/messages",
                {
                    "conversationId": conversation_id,
                    "lastSequence": held,
                    "maxLimit": PAGE,
                },
            )
            messages = page.get("dataList", [])
            new += self.cache.add_messages(messages)
            if messages:
                held = int(messages[-1]["messageSequence"])
            if page.get("completed", True) or not messages:
                break
        self.cache.upsert_conversation(
            conversation_id,
            synced_sequence=held,
            last_sequence=max(held, int(conversation.get("last_sequence") or 0)),
        )
        self.pulled_messages += new
        log.debug("pulled %d messages of %s up to %d", new, conversation_id, held)
        return new

    async def pull_recalls(self, conversation_id: str, recall_sequence: int) -> int:
        """Apply the recalls of a conversation we have not seen yet."""
        conversation = self.cache.conversation(conversation_id) or {}
        held = int(conversation.get("recall_sequence") or 0)
        applied = 0
        while held < recall_sequence:
            page = await self.api(
                "/v1/sync/recalls",
                {"conversationId": conversation_id, "lastSequence": held},
            )
            records = page.get("dataList", [])
            for record in records:
                self.cache.recall_at(conversation_id, int(record["messageSequence"]))
                held = max(held, int(record["recallSequence"]))
            applied += len(records)
            if page.get("completed", True) or not records:
                break
        if applied:
            self.cache.upsert_conversation(conversation_id, recall_sequence=held)
        return applied

    async def receive(self, wire: dict[str, Any]) -> bool:
        """Store a pushed message; pull the range before it when one is missing.

        Returns whether a gap was found.
        """
        conversation_id = wire["conversationId"]
        sequence = int(wire["messageSequence"])
        conversation = self.cache.conversation(conversation_id)
        held = int(conversation["synced_sequence"]) if conversation else 0
        self.cache.add_messages([wire])
        if sequence == held + 1:
            self.cache.upsert_conversation(conversation_id, synced_sequence=sequence)
            return False
        if sequence <= held:
            return False
        self.gaps += 1
        log.info("gap in %s: hold %d, got %d", conversation_id, held, sequence)
        await self.pull_messages(conversation_id, sequence)
        return True

    async def history(self, conversation_id: str, before: int, limit: int = 50) -> int:
        """Older messages before a sequence, for scrolling back."""
        messages = await self.api(
            "/v1/message/history",
            {"conversationId": conversation_id, "before": before, "maxLimit": limit},
        )
        return self.cache.add_messages(messages or [])

    async def fetch_profiles(self, user_ids: list[str] | None = None) -> None:
        if user_ids is None:
            known = {row["user_id"] for row in self.cache.db.table("profiles").rows}
            wanted = set()
            for conversation in self.cache.conversations(self.me):
                peer = peer_of(conversation, self.me)
                if conversation["conversation_type"] == 0 and peer not in known:
                    wanted.add(peer)
            user_ids = sorted(wanted)
        if not user_ids:
            return
        try:
            users = await self.api("/v1/user/get", {"userIds": user_ids})
        except LimClientError as exc:
            log.info("profiles not fetched: %s", exc.msg)
            return
        if isinstance(users, dict):
            users = users.get("users") or users.get("dataList") or []
        self.cache.put_profiles([u for u in users if isinstance(u, dict)])


def peer_of(conversation: dict[str, Any], me: str) -> str:
    """The other user of a 1:1 conversation, or the group id of a group."""
    conversation_id = str(conversation["conversation_id"])
    if conversation_id.startswith("group|"):
        return conversation_id[len("group|") :]
    if conversation_id.startswith("p2p|"):
        _, low, high = conversation_id.split("|", 2)
        return high if low == me else low
    return str(conversation.get("peer_id") or conversation_id)
