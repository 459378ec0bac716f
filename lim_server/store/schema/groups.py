"""Groups, their members and join requests.

Group messages need no table of their own: they live in ``messages`` under
the conversation ``group|<groupId>``, stored once for all members.
"""

from __future__ import annotations

from ..migrations import register

V1 = """
CREATE TABLE groups (
    app_id INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    group_type TEXT NOT NULL DEFAULT 'private',
    join_mode TEXT NOT NULL DEFAULT 'approval',
    name TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    notice TEXT NOT NULL DEFAULT '',
    introduction TEXT NOT NULL DEFAULT '',
    extra TEXT NOT NULL DEFAULT '{}',
    mute_all INTEGER NOT NULL DEFAULT 0,
    dismissed INTEGER NOT NULL DEFAULT 0,
    max_members INTEGER NOT NULL DEFAULT 0,
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, group_id)
) WITHOUT ROWID;

CREATE TABLE group_members (
    app_id INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member',
    alias TEXT NOT NULL DEFAULT '',
    mute_until INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    join_sequence INTEGER NOT NULL DEFAULT 0,
    left_group INTEGER NOT NULL DEFAULT 0,
    leave_sequence INTEGER NOT NULL DEFAULT 0,
    sequence INTEGER NOT NULL DEFAULT 0,
    member_sequence INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, group_id, member_id)
) WITHOUT ROWID;

CREATE INDEX group_members_by_user
    ON group_members (app_id, member_id, sequence);

CREATE INDEX group_members_by_change
    ON group_members (app_id, group_id, member_sequence);

CREATE TABLE group_join_requests (
    request_id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    wording TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    handled_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX group_join_requests_by_group
    ON group_join_requests (app_id, group_id, status)
"""

register("groups", [V1])
