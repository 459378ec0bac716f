"""Apps, users, 1:1 and group message storage, per-user conversation index."""

from __future__ import annotations

from ..migrations import register

V1 = """
CREATE TABLE apps (
    app_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    secret TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    app_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    nickname TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    gender INTEGER NOT NULL DEFAULT 0,
    signature TEXT NOT NULL DEFAULT '',
    extra TEXT NOT NULL DEFAULT '{}',
    user_type INTEGER NOT NULL DEFAULT 1,
    disabled INTEGER NOT NULL DEFAULT 0,
    silenced INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    friend_policy INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, user_id)
) WITHOUT ROWID;

CREATE INDEX users_by_sequence ON users (app_id, sequence);

CREATE TABLE user_keys (
    app_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    public_key TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id, fingerprint)
) WITHOUT ROWID;

CREATE TABLE messages (
    message_key INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    conversation_type INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    from_id TEXT NOT NULL,
    to_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    recalled INTEGER NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX messages_by_conversation
    ON messages (app_id, conversation_id, sequence);

CREATE UNIQUE INDEX messages_by_sender ON messages (app_id, from_id, message_id);

CREATE TABLE conversation_sequences (
    app_id INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    last_sequence INTEGER NOT NULL,
    PRIMARY KEY (app_id, conversation_id)
) WITHOUT ROWID;

CREATE TABLE conversations (
    app_id INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    conversation_type INTEGER NOT NULL,
    peer_id TEXT NOT NULL,
    read_sequence INTEGER NOT NULL DEFAULT 0,
    start_sequence INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    muted INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, owner_id, conversation_id)
) WITHOUT ROWID;

CREATE INDEX conversations_by_sequence ON conversations (app_id, owner_id, sequence);

CREATE TABLE counters (
    app_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (app_id, name)
) WITHOUT ROWID
"""

register("core", [V1])
