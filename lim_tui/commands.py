"""Slash commands typed in the composer (``/msg bob hi``, ``/accept`` ...).

Each is a thin shell over one API call through the client's socket; an
error becomes a notification, never a crash.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lim_client.session import LimClientError
from lim_protocol.commands import Command

if TYPE_CHECKING:
    from .app import ChatApp

Handler = Callable[["ChatApp", list[str]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}

STATUS_CODES = {"online": 1, "away": 2, "busy": 3, "offline": 0, "invisible": 0}


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = handler
        return handler

    return register


async def run_command(app: ChatApp, line: str) -> None:
    try:
        words = shlex.split(line[1:])
    except ValueError:
        words = line[1:].split()
    if not words:
        return
    name, args = words[0].lower(), words[1:]
    if name == "group" and args:
        name, args = f"group {args[0].lower()}", args[1:]
    handler = HANDLERS.get(name)
    if handler is None:
        app.notify(f"unknown command /{name}: /help lists them", severity="warning")
        return
    try:
        await handler(app, args)
    except LimClientError as exc:
        if exc.code == 10404 or "no operation" in exc.msg.lower():
            app.notify(f"/{name} is not available on this server", severity="error")
        else:
            app.notify(f"/{name}: {exc.msg}", severity="error")
    except ConnectionError:
        app.notify(f"/{name} needs a connection: offline", severity="error")
    except UsageError as exc:
        app.notify(str(exc), severity="warning")


class UsageError(Exception):
    pass


def need(args: list[str], count: int, usage: str) -> None:
    if len(args) < count:
        raise UsageError(f"usage: {usage}")


@command("help", "h", "?")
async def _help(app: ChatApp, args: list[str]) -> None:
    app.action_help()


@command("quit", "q", "exit")
async def _quit(app: ChatApp, args: list[str]) -> None:
    app.exit()


@command("msg", "m", "query")
async def _msg(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/msg USER [text]")
    from .app import p2p_id

    conversation_id = p2p_id(app.me, args[0])
    app.open_conversation(conversation_id)
    if len(args) > 1:
        app.client.send_text(conversation_id, " ".join(args[1:]))


@command("search", "s")
async def _search(app: ChatApp, args: list[str]) -> None:
    app.action_search(" ".join(args))


@command("retry")
async def _retry(app: ChatApp, args: list[str]) -> None:
    for row in app.cache.outbox(app.current):
        app.client.retry(row["message_id"])


@command("add")
async def _add(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/add USER [words]")
    body: dict[str, Any] = {"toId": args[0]}
    if len(args) > 1:
        body["wording"] = " ".join(args[1:])
    data = await app.client.api("/v1/friend/add", body)
    added = isinstance(data, dict) and data.get("added")
    app.notify(f"added {args[0]}" if added else f"friend request sent to {args[0]}")
    await app.client.syncer.sync_all()
    app.refresh_sidebar()


async def _answer(app: ChatApp, args: list[str], approve: bool) -> None:
    requests = app.pending_requests()
    if args:
        requests = [r for r in requests if r.get("fromId") == args[0]]
    if not requests:
        raise UsageError(
            "no pending friend request" + (f" from {args[0]}" if args else "")
        )
    request = requests[-1]
    path = "/v1/friend/request/approve" if approve else "/v1/friend/request/reject"
    await app.client.api(path, {"requestId": request["requestId"]})
    verb = "accepted" if approve else "rejected"
    app.notify(f"{verb} {request.get('fromId')}")
    await app.client.syncer.sync_all()
    app.refresh_sidebar()


@command("accept", "approve")
async def _accept(app: ChatApp, args: list[str]) -> None:
    await _answer(app, args, True)


@command("reject", "decline")
async def _reject(app: ChatApp, args: list[str]) -> None:
    await _answer(app, args, False)


@command("block")
async def _block(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/block USER")
    await app.client.api("/v1/blacklist/add", {"toId": args[0]})
    app.notify(f"blocked {args[0]}")


@command("unblock")
async def _unblock(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/unblock USER")
    await app.client.api("/v1/blacklist/remove", {"toId": args[0]})
    app.notify(f"unblocked {args[0]}")


@command("group create")
async def _group_create(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/group create NAME [USER ...]")
    body = {"name": args[0], "memberIds": args[1:]}
    data = await app.client.api("/v1/group/create", body)
    group_id = data.get("groupId") if isinstance(data, dict) else None
    app.notify(f"created group {args[0]}")
    await app.client.syncer.sync_all()
    if group_id:
        app.open_conversation(f"group|{group_id}")


@command("invite")
async def _invite(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/invite USER [GROUP]")
    group_id = args[1] if len(args) > 1 else current_group(app)
    if group_id is None:
        raise UsageError("open a group or name it: /invite USER GROUP")
    await app.client.api(
        "/v1/group/member/add", {"groupId": group_id, "memberIds": [args[0]]}
    )
    app.notify(f"invited {args[0]} to {group_id}")


@command("join")
async def _join(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/join GROUP")
    data = await app.client.api("/v1/group/join", {"groupId": args[0]})
    if isinstance(data, dict) and not data.get("joined"):
        app.notify(f"asked to join {args[0]}")
    else:
        app.notify(f"joined {args[0]}")
        await app.client.syncer.sync_all()
        app.open_conversation(f"group|{args[0]}")


async def _handle_join(app: ChatApp, args: list[str], approve: bool) -> None:
    need(args, 1, "/admit REQUEST_ID" if approve else "/deny REQUEST_ID")
    try:
        request_id = int(args[0])
    except ValueError:
        raise UsageError(
            "the request id is a number (shown in the notification)"
        ) from None
    verb = "approve" if approve else "reject"
    await app.client.api(f"/v1/group/request/{verb}", {"requestId": request_id})
    app.notify(f"join request {request_id} {verb}d")


@command("admit")
async def _admit(app: ChatApp, args: list[str]) -> None:
    await _handle_join(app, args, True)


@command("deny")
async def _deny(app: ChatApp, args: list[str]) -> None:
    await _handle_join(app, args, False)


@command("recall")
async def _recall(app: ChatApp, args: list[str]) -> None:
    conversation_id = app.current
    if conversation_id is None:
        raise UsageError("open a conversation first")
    mine = [
        m
        for m in app.cache.messages(conversation_id, limit=50)
        if m["from_id"] == app.me and not m["recalled"]
    ]
    if not mine:
        raise UsageError("nothing of yours to recall here")
    message = mine[-1]
    conversation = app.cache.conversation(conversation_id) or {}
    from lim_client.sync import peer_of

    await app.client.request(
        Command.MSG_RECALL,
        {
            "messageKey": message["message_key"],
            "conversationType": int(conversation.get("conversation_type") or 0),
            "toId": peer_of(conversation, app.me),
        },
    )
    app.cache.recall(message["message_key"])
    app.render_log()


def _flag(verb: str) -> Handler:
    async def change(app: ChatApp, args: list[str]) -> None:
        conversation_id = app.current
        if conversation_id is None:
            raise UsageError("open a conversation first")
        view = await app.client.api(
            f"/v1/conversation/{verb}", {"conversationId": conversation_id}
        )
        if isinstance(view, dict):
            app.cache.upsert_conversation(
                conversation_id,
                pinned=int(bool(view.get("pinned"))),
                muted=int(bool(view.get("muted"))),
            )
        app.notify(f"{verb}ned" if verb.endswith("pin") else f"{verb}d")
        app.refresh_sidebar()
        app.render_log()

    return change


for _verb in ("pin", "unpin", "mute", "unmute"):
    command(_verb)(_flag(_verb))


@command("status", "away")
async def _status(app: ChatApp, args: list[str]) -> None:
    need(args, 1, "/status online|away|busy [text]")
    word = args[0].lower()
    if word not in STATUS_CODES:
        raise UsageError("status is one of: " + ", ".join(STATUS_CODES))
    text = " ".join(args[1:])
    await app.client.api(
        "/v1/status/set", {"customStatus": STATUS_CODES[word], "customText": text}
    )
    app.notify(f"status: {word}" + (f" — {text}" if text else ""))


def current_group(app: ChatApp) -> str | None:
    if app.current and app.current.startswith("group|"):
        return app.current[len("group|") :]
    return None
