"""The message log of the open conversation, scrolled to its end.

Reaching the top (scrolling up or Home) asks for older history.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static


class MessageLog(VerticalScroll):
    DEFAULT_CSS = """
    MessageLog {
        height: 1fr;
        padding: 0 1;
    }
    MessageLog > Static {
        width: 1fr;
    }
    """

    class OlderWanted(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.body = Static("", id="log-body")
        self.has_older = False

    def compose(self):
        yield self.body

    def show(self, text: Text, *, keep_position: bool = False) -> None:
        at_end = self.is_vertical_scroll_end or self.max_scroll_y == 0
        old_height = self.virtual_size.height
        self.body.update(text)
        if keep_position:
            self.call_after_refresh(self._keep, old_height)
        elif at_end or not keep_position:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _keep(self, old_height: int) -> None:
        grown = self.virtual_size.height - old_height
        if grown > 0:
            self.scroll_to(y=self.scroll_y + grown, animate=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 < old and self.has_older:
            self.post_message(self.OlderWanted())

    def action_scroll_home(self) -> None:
        super().action_scroll_home()
        if self.has_older:
            self.post_message(self.OlderWanted())
