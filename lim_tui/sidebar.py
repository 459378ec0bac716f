"""The sidebar: conversations first (pinned, unread, presence), then the rest.

Entries are keyed ``conv:<conversationId>``, ``user:<userId>``,
``group:<groupId>`` and ``request:<userId>``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist


@dataclass(slots=True)
class Entry:
    key: str
    label: str
    unread: int = 0
    pinned: bool = False
    muted: bool = False
    online: bool | None = None
    pending: int = 0
    section: str = "Conversations"


def entry_text(entry: Entry) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if entry.online is None:
        text.append("  ")
    elif entry.online:
        text.append("● ", style="green")
    else:
        text.append("○ ", style="dim")
    text.append(entry.label, style="bold" if entry.unread else "")
    if entry.pinned:
        text.append(" ^", style="yellow")
    if entry.muted:
        text.append(" ~", style="dim")
    if entry.unread:
        text.append(f" ({entry.unread})", style="bold reverse")
    if entry.pending:
        text.append(" …", style="dim")
    return text


class Sidebar(OptionList):
    DEFAULT_CSS = """
    Sidebar {
        width: 26;
        height: 1fr;
        border: none;
        border-right: tall $panel;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[Entry] = []

    def show(self, entries: list[Entry], current: str | None) -> None:
        """Replace the entries, keeping the highlight on ``current``."""
        self.entries = entries
        options: list[Option | None] = []
        section = None
        for entry in entries:
            if entry.section != section:
                section = entry.section
                options.append(
                    Option(Text(section, style="bold underline"), disabled=True)
                )
            options.append(Option(entry_text(entry), id=entry.key))
        self.clear_options()
        self.add_options(options)
        if current is not None:
            with contextlib.suppress(OptionDoesNotExist):
                self.highlighted = self.get_option_index(current)

    def unread_keys(self) -> list[str]:
        return [e.key for e in self.entries if e.unread and e.key.startswith("conv:")]
