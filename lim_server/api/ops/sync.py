"""Sync operations: every cursor in one call, then pulls by sequence."""

from __future__ import annotations

from pydantic import Field

from ..operations import Request, operation


class Cursors(Request):
    pass


class Pull(Request):
    kind: str
    last_sequence: int = Field(default=0, ge=0)
    max_limit: int = Field(default=100, ge=1, le=1000)


class PullMessages(Request):
    conversation_id: str
    last_sequence: int = Field(default=0, ge=0)
    max_limit: int = Field(default=100, ge=1, le=1000)


@operation("/v1/sync/cursors", Cursors)
async def cursors(services, caller, request: Cursors):
    """Every cursor of the caller: each synced kind and each conversation."""
    return services.sync.cursors(caller)


@operation("/v1/sync/pull", Pull)
async def pull(services, caller, request: Pull):
    """Rows of one kind changed after ``lastSequence``, tombstones included."""
    return services.sync.pull(
        caller, request.kind, request.last_sequence, request.max_limit
    )


@operation("/v1/sync/messages", PullMessages)
async def pull_messages(services, caller, request: PullMessages):
    """Messages of one conversation after ``lastSequence``, ascending."""
    return services.sync.pull_messages(
        caller, request.conversation_id, request.last_sequence, request.max_limit
    )
