"""The chat app: sidebar, message log, composer and a connection status line.

It opens from the local cache at once and lets :class:`LimClient` connect
and sync in the background; every client event refreshes what it touched.
"""

from __future__ import annotations

import logging
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Footer, Static

from lim_client.client import (
    ClientEvent,
    ConversationChanged,
    LimClient,
    MessageReceived,
    Notice,
    State,
    StateChanged,
    Synced,
)
from lim_client.session import LimClientError
from lim_client.sync import peer_of

from .commands import run_command
from .composer import Composer
from .log import MessageLog
from .render import render_log
from .screens import HelpScreen, PickerScreen, rank
from .sidebar import Entry, Sidebar

log = logging.getLogger(__name__)

STATE_MARKS = {
    State.ONLINE: ("● online", "green"),
    State.SYNCING: ("◐ syncing", "yellow"),
    State.CONNECTING: ("◌ connecting", "yellow"),
    State.OFFLINE: ("○ offline", "red"),
    State.STOPPED: ("○ stopped", "red"),
}

PAGE = 50


class ChatApp(App[None]):
    CSS = """
    #status { height: 1; background: $panel; padding: 0 1; }
    #title { height: 1; padding: 0 1; background: $boost; }
    #main { height: 1fr; }
    #pane { width: 1fr; }
    """
    BINDINGS = [
        Binding("f1", "help", "Help", priority=True),
        Binding("ctrl+k", "switcher", "Jump", priority=True),
        Binding("ctrl+f", "search", "Search", priority=True),
        Binding("ctrl+n", "unread(1)", "Next unread", priority=True),
        Binding("ctrl+p", "unread(-1)", "Prev unread", priority=True),
        Binding("ctrl+down", "step(1)", "Next", show=False, priority=True),
        Binding("ctrl+up", "step(-1)", "Previous", show=False, priority=True),
        Binding("pageup", "page(-1)", "Scroll up", show=False, priority=True),
        Binding("pagedown", "page(1)", "Scroll down", show=False, priority=True),
        Binding("escape", "focus_input", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False

    current: reactive[str | None] = reactive(None, init=False)
    """The open conversation id."""

    connection: reactive[str] = reactive("connecting")
    """The client's connection state, shown in the status line."""

    class Update(Message):
        """A client event, carried onto the app's message queue."""

        def __init__(self, event: ClientEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(self, client: LimClient, *, server_label: str = "", bell=False):
        super().__init__()
        self.client = client
        self.cache = client.cache
        self.me = client.user_id
        self.server_label = server_label
        self.bell_on_message = bell
        self.window: dict[str, int] = {}
        self.detail = ""

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="pane"):
                yield Static(id="title")
                yield MessageLog(id="log")
                yield Composer(id="composer")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"lim chat · {self.me}"
        self.refresh_sidebar()
        conversations = self.cache.conversations(self.me)
        if conversations:
            self.current = conversations[0]["conversation_id"]
        else:
            self.render_log()
        self.render_status()
        self.query_one(Composer).focus()
        self.client.listeners.append(self._forward)
        self.client.start()

    async def on_unmount(self) -> None:
        if self._forward in self.client.listeners:
            self.client.listeners.remove(self._forward)
        await self.client.stop()

    def _forward(self, event: ClientEvent) -> None:
        self.post_message(self.Update(event))

    # watchers

    def watch_current(self, conversation_id: str | None) -> None:
        self.render_log()
        self.refresh_sidebar()
        self.mark_read()

    def watch_connection(self, state: str) -> None:
        self.render_status()

    # client events

    @on(Update)
    def on_update(self, message: Update) -> None:
        if not self.query(Sidebar):
            return  # the app is closing
        event = message.event
        if isinstance(event, StateChanged):
            self.detail = event.detail
            self.connection = event.state.value
            self.render_status()
        elif isinstance(event, ConversationChanged | Synced):
            changed: set[str] = (
                event.conversation_ids
                if isinstance(event, ConversationChanged)
                else event.changed
            )
            self.refresh_sidebar()
            if self.current is None:
                conversations = self.cache.conversations(self.me)
                if conversations:
                    self.current = conversations[0]["conversation_id"]
            elif self.current in changed or not changed:
                self.render_log()
                if self.current in changed:
                    self.mark_read()
        elif isinstance(event, MessageReceived):
            self._notify_message(event)
        elif isinstance(event, Notice):
            self.notify(event.text, severity=event.severity)  # type: ignore[arg-type]

    def _notify_message(self, event: MessageReceived) -> None:
        if event.conversation_id == self.current:
            return
        conversation = self.cache.conversation(event.conversation_id) or {}
        if conversation.get("muted"):
            return
        sender = self.cache.display_name(event.from_id)
        where = self.conversation_name(event.conversation_id)
        title = sender if where == sender else f"{sender} in {where}"
        self.notify(event.text[:200] or "(message)", title=title)
        if self.bell_on_message:
            self.bell()

    # rendering

    def conversation_name(self, conversation_id: str) -> str:
        peer = peer_of({"conversation_id": conversation_id}, self.me)
        if conversation_id.startswith("group|"):
            for group in self.cache.rows("groups"):
                if group.get("groupId") == peer and group.get("name"):
                    return f"#{group['name']}"
            return f"#{peer}"
        return self.cache.display_name(peer)

    def sidebar_entries(self) -> list[Entry]:
        presence = self.cache.presence()
        entries = []
        seen: set[str] = set()
        for row in self.cache.conversations(self.me):
            conversation_id = row["conversation_id"]
            peer = peer_of(row, self.me)
            seen.add(peer)
            online = None
            if not conversation_id.startswith("group|") and peer in presence:
                online = bool(presence[peer]["online"])
            entries.append(
                Entry(
                    key=f"conv:{conversation_id}",
                    label=self.conversation_name(conversation_id),
                    unread=row["unread"] if conversation_id != self.current else 0,
                    pinned=bool(row["pinned"]),
                    muted=bool(row["muted"]),
                    online=online,
                    pending=row["pending"],
                )
            )
        for request in self.pending_requests():
            who = request.get("fromId", "")
            entries.append(
                Entry(
                    key=f"request:{who}",
                    label=f"{who} wants to be friends",
                    section="Requests",
                )
            )
        for friend in self.cache.rows("friends"):
            peer = friend.get("toId") or ""
            if peer and peer not in seen and not friend.get("black"):
                online = bool(presence[peer]["online"]) if peer in presence else None
                label = friend.get("remark") or self.cache.display_name(peer)
                entries.append(
                    Entry(
                        key=f"user:{peer}",
                        label=label,
                        online=online,
                        section="Contacts",
                    )
                )
        for group in self.cache.rows("groups"):
            group_id = group.get("groupId", "")
            if group_id and group_id not in seen:
                entries.append(
                    Entry(
                        key=f"group:{group_id}",
                        label=f"#{group.get('name') or group_id}",
                        section="Groups",
                    )
                )
        return entries

    def pending_requests(self) -> list[dict[str, Any]]:
        """Friend requests addressed to me that wait for an answer."""
        return [
            r
            for r in self.cache.rows("friendRequests")
            if r.get("toId") == self.me and r.get("status") == 0
        ]

    def refresh_sidebar(self) -> None:
        current = f"conv:{self.current}" if self.current else None
        self.query_one(Sidebar).show(self.sidebar_entries(), current)

    def render_status(self) -> None:
        label, style = STATE_MARKS.get(State(self.connection), ("?", ""))
        text = Text()
        text.append(f"lim · {self.me}", style="bold")
        if self.server_label:
            text.append(f" @ {self.server_label}", style="dim")
        text.append("  ")
        text.append(label, style=style)
        if self.detail and self.connection != State.ONLINE:
            text.append(f" ({self.detail[:60]})", style="dim")
        unread = sum(e.unread for e in self.sidebar_entries())
        if unread:
            text.append(f"  {unread} unread", style="bold")
        text.append("   F1 help", style="dim")
        self.query_one("#status", Static).update(text)

    def render_log(self, keep_position: bool = False) -> None:
        title = self.query_one("#title", Static)
        log_view = self.query_one(MessageLog)
        conversation_id = self.current
        if conversation_id is None:
            title.update(Text("no conversation: /msg USER to start one", style="dim"))
            log_view.has_older = False
            log_view.show(Text("Welcome to lim. Press F1 for help.", style="dim"))
            return
        limit = self.window.setdefault(conversation_id, 200)
        messages = self.cache.messages(conversation_id, limit=limit)
        pending = self.cache.outbox(conversation_id)
        conversation = self.cache.conversation(conversation_id) or {}
        first = messages[0]["sequence"] if messages else 0
        start = int(conversation.get("start_sequence") or 0)
        log_view.has_older = first > start + 1 or (
            not messages and int(conversation.get("last_sequence") or 0) > 0
        )
        names = {m["from_id"]: self.cache.display_name(m["from_id"]) for m in messages}
        names[self.me] = self.cache.display_name(self.me)
        log_view.show(
            render_log(messages, pending, self.me, names, has_older=log_view.has_older),
            keep_position=keep_position,
        )
        header = Text(self.conversation_name(conversation_id), style="bold")
        peer = peer_of(conversation, self.me) if conversation else ""
        presence = self.cache.presence().get(peer)
        if presence is not None:
            header.append("  online" if presence["online"] else "  offline", "dim")
            if presence.get("text"):
                header.append(f" · {presence['text']}", "dim italic")
        if conversation.get("muted"):
            header.append("  muted", "dim")
        title.update(header)
        self.render_status()

    # actions on the open conversation

    def open_conversation(self, conversation_id: str) -> None:
        if self.cache.conversation(conversation_id) is None:
            kind = 1 if conversation_id.startswith("group|") else 0
            peer = peer_of({"conversation_id": conversation_id}, self.me)
            self.cache.upsert_conversation(
                conversation_id, conversation_type=kind, peer_id=peer
            )
        if self.current == conversation_id:
            self.render_log()
        self.current = conversation_id
        self.query_one(Composer).focus()

    def open_key(self, key: str | None) -> None:
        if not key:
            return
        kind, _, value = key.partition(":")
        if kind == "conv":
            self.open_conversation(value)
        elif kind == "user":
            self.open_conversation(p2p_id(self.me, value))
        elif kind == "group":
            self.open_conversation(f"group|{value}")
        elif kind == "request":
            self.query_one(Composer).text = f"/accept {value}"
            self.query_one(Composer).focus()

    @work(exclusive=True, group="read")
    async def mark_read(self) -> None:
        if self.current is not None and self.screen is self.screen_stack[0]:
            await self.client.mark_read(self.current)

    @on(MessageLog.OlderWanted)
    @work(exclusive=True, group="older")
    async def load_older(self) -> None:
        conversation_id = self.current
        if conversation_id is None:
            return
        try:
            await self.client.load_older(conversation_id, PAGE)
        except (LimClientError, ConnectionError, TimeoutError) as exc:
            self.notify(f"older messages unavailable: {exc}", severity="warning")
            return
        self.window[conversation_id] = self.window.get(conversation_id, 200) + PAGE
        if conversation_id == self.current:
            self.render_log(keep_position=True)

    # handlers

    @on(Sidebar.OptionSelected)
    def on_sidebar_selected(self, event: Sidebar.OptionSelected) -> None:
        self.open_key(event.option.id)

    @on(Composer.Submitted)
    async def on_submitted(self, event: Composer.Submitted) -> None:
        text = event.text
        if text.startswith("/") and not text.startswith("//"):
            await run_command(self, text)
            return
        if text.startswith("//"):
            text = text[1:]
        if self.current is None:
            self.notify("open a conversation first: /msg USER", severity="warning")
            return
        self.client.send_text(self.current, text)
        self.query_one(MessageLog).call_after_refresh(
            self.query_one(MessageLog).scroll_end, animate=False
        )

    @on(Composer.HelpRequested)
    def on_help_requested(self) -> None:
        self.action_help()

    # actions

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_focus_input(self) -> None:
        self.query_one(Composer).focus()

    def action_page(self, direction: int) -> None:
        log_view = self.query_one(MessageLog)
        if direction < 0:
            log_view.scroll_page_up()
            if log_view.scroll_y <= 0 and log_view.has_older:
                log_view.post_message(MessageLog.OlderWanted())
        else:
            log_view.scroll_page_down()

    def action_step(self, step: int) -> None:
        keys = [e.key for e in self.query_one(Sidebar).entries]
        if not keys:
            return
        current = f"conv:{self.current}"
        index = keys.index(current) if current in keys else -1
        self.open_key(keys[(index + step) % len(keys)])

    def action_unread(self, step: int) -> None:
        sidebar = self.query_one(Sidebar)
        keys = [e.key for e in sidebar.entries]
        unread = set(sidebar.unread_keys())
        if not unread:
            self.notify("no unread conversations")
            return
        current = f"conv:{self.current}"
        index = keys.index(current) if current in keys else -1
        for offset in range(1, len(keys) + 1):
            key = keys[(index + step * offset) % len(keys)]
            if key in unread:
                self.open_key(key)
                return

    def action_switcher(self) -> None:
        self.push_screen(
            PickerScreen("jump to a conversation or contact", self.switcher_items),
            self.open_key,
        )

    def switcher_items(self, query: str) -> list[tuple[str, Any]]:
        items: list[tuple[str, str, Any]] = []
        seen = set()
        for entry in self.sidebar_entries():
            if entry.key.startswith("request:"):
                continue
            name = entry.label.lstrip("#")
            items.append((entry.key, name, entry.label))
            seen.add(name)
        for row in self.cache.db.table("profiles").rows:
            user_id = row["user_id"]
            if user_id != self.me and user_id not in seen:
                items.append((f"user:{user_id}", user_id, row["nickname"] or user_id))
        if query and query not in seen and query != self.me and " " not in query:
            items.append((f"user:{query}", query, f"new conversation with {query}"))
        return rank(query, items)

    def action_search(self, initial: str = "") -> None:
        self.push_screen(
            PickerScreen("search messages", self.search_items, initial),
            self.open_search_hit,
        )

    def search_items(self, query: str) -> list[tuple[str, Any]]:
        results = []
        for row in self.cache.search(query):
            label = Text()
            label.append(self.conversation_name(row["conversation_id"]), "bold")
            label.append(f" {row['from_id']}: ", "dim")
            label.append(row["text"][:200])
            results.append((f"conv:{row['conversation_id']}#{row['sequence']}", label))
        return results

    def open_search_hit(self, key: str | None) -> None:
        if key:
            self.open_key(key.split("#", 1)[0])


def p2p_id(a: str, b: str) -> str:
    low, high = (a, b) if a <= b else (b, a)
    return f"p2p|{low}|{high}"
