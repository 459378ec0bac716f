"""``lim conv`` (the conversation list and its flags) and ``lim recall``.

A CONVERSATION argument is a conversation id (``p2p|alice|bob``,
``group|g1``) or, for 1:1 conversations, just the peer's user id.
"""

from __future__ import annotations

import datetime
from typing import Any

import typer

from .common import AS_OPTION, JSON_OPTION, call, emit, target

app = typer.Typer(
    help="Conversations: list with unread counts, pin, mute, delete, mark read."
    "\n\nExample: lim conv list --as alice",
    no_args_is_help=True,
)

CONVERSATION = typer.Argument(
    ..., help="Conversation id (p2p|a|b, group|g) or the peer's user id."
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="conv")
    root.command("recall")(recall)


def conversation_id(ctx: typer.Context, value: str, as_user: str | None) -> str:
    """Expand a peer's user id to the 1:1 conversation id with the caller."""
    if "|" in value:
        return value
    from lim_protocol.tokens import parse_user_sign
    from lim_server.models import p2p_conversation_id

    me = as_user or parse_user_sign(target(ctx, as_user).token)[0].identifier
    return p2p_conversation_id(me, value)


def _rows(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in data:
        last = item.get("lastMessage") or {}
        when = last.get("messageTime")
        rows.append(
            {
                "conversation": item["conversationId"],
                "peer": item["peerId"],
                "unread": item["unreadCount"],
                "pinned": item["pinned"],
                "muted": item["muted"],
                "last": last.get("preview", ""),
                "time": _time(when) if when else "",
            }
        )
    return rows


def _time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000)
    return moment.strftime("%Y-%m-%d %H:%M")


@app.command("list")
def list_conversations(
    ctx: typer.Context, as_json: bool = JSON_OPTION, as_user: str = AS_OPTION
) -> None:
    """List your conversations: pinned first, then the most recent.

    Example: lim conv list --as alice
    """
    data = call(ctx, "/v1/conversation/list", {}, as_user)
    columns = ["peer", "unread", "pinned", "muted", "last", "time", "conversation"]
    emit(data, as_json, columns=columns, rows=_rows)


def _change(path: str, verb: str) -> Any:
    def change(
        ctx: typer.Context,
        conversation: str = CONVERSATION,
        as_json: bool = JSON_OPTION,
        as_user: str = AS_OPTION,
    ) -> None:
        body = {"conversationId": conversation_id(ctx, conversation, as_user)}
        data = call(ctx, path, body, as_user)
        emit(data, as_json, text=lambda d: f"{verb} {d['conversationId']}")

    return change


def _command(name: str, path: str, verb: str, doc: str) -> None:
    handler = _change(path, verb)
    handler.__doc__ = doc
    app.command(name)(handler)


_command(
    "pin",
    "/v1/conversation/pin",
    "pinned",
    "Pin a conversation to the top of the list.\n\nExample: lim conv pin bob",
)
_command(
    "unpin",
    "/v1/conversation/unpin",
    "unpinned",
    "Unpin a conversation.\n\nExample: lim conv unpin bob",
)
_command(
    "mute",
    "/v1/conversation/mute",
    "muted",
    "Mute a conversation: messages still arrive, without notification."
    "\n\nExample: lim conv mute group|team",
)
_command(
    "unmute",
    "/v1/conversation/unmute",
    "unmuted",
    "Unmute a conversation.\n\nExample: lim conv unmute bob",
)
_command(
    "delete",
    "/v1/conversation/delete",
    "deleted",
    "Hide a conversation until its next message (its unread count is cleared)."
    "\n\nExample: lim conv delete bob --as alice",
)


@app.command("read")
def read(
    ctx: typer.Context,
    conversation: str = CONVERSATION,
    sequence: int = typer.Option(
        0, "--seq", min=0, help="Read up to this message sequence (0: all)."
    ),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Mark a conversation read (the peer gets a read receipt).

    Example: lim conv read bob --seq 42
    """
    body = {
        "conversationId": conversation_id(ctx, conversation, as_user),
        "messageSequence": sequence,
    }
    data = call(ctx, "/v1/conversation/read", body, as_user)
    emit(
        data,
        as_json,
        text=lambda d: (
            f"read {d['conversationId']} up to {d['readSequence']}"
            f" ({d['unreadCount']} unread)"
        ),
    )


def recall(
    ctx: typer.Context,
    key: int = typer.Argument(..., help="The messageKey of the message."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Recall a message you sent, within the app's recall window.

    Every device in the conversation is told; the body is removed for good.

    Example: lim recall 7281948264729411584 --as alice
    """
    data = call(ctx, "/v1/message/recall", {"messageKey": key}, as_user)
    emit(
        data,
        as_json,
        text=lambda d: (
            f"recalled {d['messageKey']} (#{d['messageSequence']}"
            f" in {d['conversationId']})"
        ),
    )
