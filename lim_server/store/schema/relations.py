"""Friendships, friend requests, friend groups and the stranger-quota marks."""

from __future__ import annotations

from ..migrations import register

V1 = """
CREATE TABLE friendships (
    app_id INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    add_source TEXT NOT NULL DEFAULT '',
    extra TEXT NOT NULL DEFAULT '{}',
    status INTEGER NOT NULL DEFAULT 1,
    black INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (app_id, owner_id, friend_id)
) WITHOUT ROWID;

CREATE INDEX friendships_by_sequence ON friendships (app_id, owner_id, sequence);

CREATE TABLE friend_requests (
    request_id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL,
    from_id TEXT NOT NULL,
    to_id TEXT NOT NULL,
    wording TEXT NOT NULL DEFAULT '',
    add_source TEXT NOT NULL DEFAULT '',
    remark TEXT NOT NULL DEFAULT '',
    extra TEXT NOT NULL DEFAULT '{}',
    read INTEGER NOT NULL DEFAULT 0,
    status INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    from_sequence INTEGER NOT NULL,
    to_sequence INTEGER NOT NULL
);

CREATE UNIQUE INDEX friend_requests_pending
    ON friend_requests (app_id, from_id, to_id) WHERE status = 0;

CREATE INDEX friend_requests_by_to ON friend_requests (app_id, to_id, to_sequence);

CREATE INDEX friend_requests_by_from
    ON friend_requests (app_id, from_id, from_sequence);

CREATE TABLE friend_groups (
    app_id INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (app_id, owner_id, name)
) WITHOUT ROWID;

CREATE INDEX friend_groups_by_sequence ON friend_groups (app_id, owner_id, sequence);

CREATE TABLE friend_group_members (
    app_id INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, owner_id, name, friend_id)
) WITHOUT ROWID;

CREATE INDEX friend_group_members_by_friend
    ON friend_group_members (app_id, owner_id, friend_id);

CREATE TABLE stranger_marks (
    app_id INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    since_sequence INTEGER NOT NULL,
    PRIMARY KEY (app_id, conversation_id)
) WITHOUT ROWID
"""

register("relations", [V1])
