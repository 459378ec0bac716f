"""Modal screens: help, the quick switcher and search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

KEYS = [
    ("F1, ? (empty input)", "this help"),
    ("Ctrl+K", "quick switcher: jump to a conversation or contact"),
    ("Ctrl+F", "search the local history (full text)"),
    ("Ctrl+N / Ctrl+P", "next / previous conversation with unread messages"),
    ("Ctrl+Down / Ctrl+Up", "next / previous conversation"),
    ("PageUp / PageDown", "scroll the messages (older history loads at the top)"),
    ("Enter", "send the message"),
    ("Alt+Enter, Ctrl+J", "new line in the message"),
    ("Tab / Shift+Tab", "move focus between the sidebar and the input"),
    ("Escape", "back to the input, close a dialog"),
    ("Ctrl+Q", "quit"),
]

COMMANDS = [
    ("/msg USER [text]", "open (or start) a conversation with USER"),
    ("/add USER [words]", "send a friend request"),
    ("/accept [USER]", "accept a friend request (the newest without USER)"),
    ("/reject [USER]", "reject a friend request"),
    ("/block USER", "add USER to your blacklist"),
    ("/unblock USER", "remove USER from your blacklist"),
    ("/group create NAME [USER ...]", "create a group with these members"),
    ("/invite USER [GROUP]", "add USER to a group (the open one by default)"),
    ("/join GROUP", "join (or ask to join) a public group"),
    ("/admit ID, /deny ID", "answer a request to join your group"),
    ("/recall", "recall your last message in this conversation"),
    ("/pin, /unpin, /mute, /unmute", "flag the open conversation"),
    ("/status online|away|busy [text]", "set your status and status text"),
    ("/search WORDS", "search the local history"),
    ("/retry", "send failed messages of this conversation again"),
    ("/help", "this help"),
    ("/quit", "leave"),
]

MARKS = "marks: … pending  ✗ failed  ✓ stored  ✓✓ delivered  ◉ read"


def help_text() -> Text:
    text = Text()
    text.append("Keys\n", style="bold underline")
    for key, what in KEYS:
        text.append(f"  {key:<22}", style="bold")
        text.append(f"{what}\n")
    text.append("\nCommands\n", style="bold underline")
    for command, what in COMMANDS:
        text.append(f"  {command:<31}", style="bold")
        text.append(f"{what}\n")
    text.append(f"\n{MARKS}\n", style="dim")
    text.append(
        "sidebar: ● online  ○ offline  ^ pinned  ~ muted  (n) unread", style="dim"
    )
    return text


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90%; max-width: 100; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("lim chat — press Escape to close", classes="title")
            yield Static(help_text(), id="help-body")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class PickerScreen(ModalScreen[str | None]):
    """An input over a list; typing filters, Enter picks the highlighted entry."""

    DEFAULT_CSS = """
    PickerScreen { align: center top; }
    PickerScreen > Vertical {
        width: 80%; max-width: 90; height: 70%; margin-top: 2;
        border: thick $accent; background: $surface;
    }
    PickerScreen OptionList { height: 1fr; border: none; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(
        self,
        title: str,
        search: Callable[[str], list[tuple[str, Text | str]]],
        initial: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.search = search
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(value=self.initial, placeholder=self.title_text, id="picker")
            yield OptionList(id="picks")

    def on_mount(self) -> None:
        self._refill(self.initial)
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._refill(event.value)

    def _refill(self, query: str) -> None:
        picks = self.query_one(OptionList)
        picks.clear_options()
        picks.add_options([Option(label, id=key) for key, label in self.search(query)])
        if picks.option_count:
            picks.highlighted = 0

    def action_move(self, step: int) -> None:
        picks = self.query_one(OptionList)
        if picks.option_count:
            current = picks.highlighted or 0
            picks.highlighted = max(0, min(picks.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        picks = self.query_one(OptionList)
        if picks.highlighted is not None and picks.option_count:
            self.dismiss(picks.get_option_at_index(picks.highlighted).id)
        else:
            self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def fuzzy_score(query: str, candidate: str) -> int | None:
    """Lower is better; None when the letters of query are not in order."""
    query, candidate = query.lower(), candidate.lower()
    if not query:
        return 0
    if candidate.startswith(query):
        return 0
    if query in candidate:
        return 1
    position = 0
    for char in query:
        found = candidate.find(char, position)
        if found < 0:
            return None
        position = found + 1
    return 2


def rank(query: str, items: list[tuple[str, str, Any]]) -> list[tuple[str, Any]]:
    """Sort ``(key, name, label)`` by how well name matches the query."""
    scored = []
    for index, (key, name, label) in enumerate(items):
        score = fuzzy_score(query, name)
        if score is not None:
            scored.append((score, index, key, label))
    scored.sort()
    return [(key, label) for _, _, key, label in scored]
