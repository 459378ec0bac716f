"""Conversation list extras: the per-conversation recall log and its cursor.

A recall changes a message that devices may already hold. Each conversation
counts its recalls (``conversation_sequences.recall_sequence``) and logs
them in ``message_recalls``, so a device compares one number per
conversation from the cursors call and pulls only the recalls it missed.
One write per recall, whatever the size of the conversation.
"""

from __future__ import annotations

from ..migrations import register
from . import core  # noqa: F401  the tables altered here come first

V1 = """
ALTER TABLE conversation_sequences
    ADD COLUMN recall_sequence INTEGER NOT NULL DEFAULT 0;

CREATE TABLE message_recalls (
    app_id INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    recall_sequence INTEGER NOT NULL,
    message_key INTEGER NOT NULL,
    message_sequence INTEGER NOT NULL,
    from_id TEXT NOT NULL,
    recalled_by TEXT NOT NULL,
    recalled_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, conversation_id, recall_sequence)
) WITHOUT ROWID
"""

register("conversations", [V1])
