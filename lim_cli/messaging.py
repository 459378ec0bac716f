"""``lim send``, ``lim listen`` and ``lim history``: messaging from scripts.

``lim send`` is on the hot path of shell scripts, so this module imports
only the standard library, Typer and the small HTTP client; ``lim listen``
loads the asyncio client when it runs.
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any

import typer

from .common import AS_OPTION, JSON_OPTION, Options, call, client, emit, target
from .output import fail
from .sending import SendError, ack_line, deliver, read_text
from .wire import ApiError


def register(main: typer.Typer) -> None:
    main.command("send")(send)
    main.command("listen")(listen)
    main.command("history")(history)


def send(
    ctx: typer.Context,
    text: str = typer.Argument(None, help="The message text; - reads stdin."),
    to: str = typer.Option(None, "--to", help="Send to this user."),
    group: str = typer.Option(None, "--group", help="Send to this group."),
    message_id: str = typer.Option(
        None, "--id", help="Message id, for safe retries (default: random)."
    ),
    as_user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Send a text message; exit 0 only once the server acknowledged it.

    Example: echo "deploy done" | lim send --to bob -
    """
    options: Options = ctx.obj or Options(None, None, None)
    globals_ = {
        "server": options.server,
        "token": options.token,
        "data_dir": options.data_dir,
    }
    try:
        ack = deliver(
            globals_, to, group, read_text(text, sys.stdin), message_id, as_user
        )
    except SendError as exc:
        fail(str(exc), exc.code)
    emit(ack, as_json, text=ack_line)


def listen(
    ctx: typer.Context,
    as_user: str = AS_OPTION,
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per line (the default when piped)."
    ),
) -> None:
    """Print incoming messages and events until interrupted (Ctrl-C exits 0).

    Example: lim listen --json | jq .body.messageBody.text
    """
    import asyncio

    from .listening import listen_forever

    where = target(ctx)
    api = client(where)
    try:
        if as_user and as_user != api.identifier:
            issued = api.call("/v1/token/issue", {"userId": as_user, "lifetime": 86400})
            token, user_id = issued["userSign"], as_user
        else:
            token, user_id = where.token, api.identifier
        route = api.get("/v1/route")
    except ApiError as exc:
        fail(f"{exc.msg} (code {exc.code})")
    except ConnectionError as exc:
        fail(str(exc))
    finally:
        api.close()

    from lim_client.session import LimClientError

    lines = as_json or not sys.stdout.isatty()
    # Ctrl-C and SIGTERM end a listen cleanly, even when started with SIGINT
    # ignored (a background job of a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(listen_forever(route, api.app_id, user_id, token, lines))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    except LimClientError as exc:
        fail(f"{exc.msg} (code {exc.code})")
    except (ConnectionError, OSError) as exc:
        fail(f"disconnected: {exc}")


def _conversation(ctx: typer.Context, peer: str, as_user: str | None) -> str:
    me = as_user or client(target(ctx)).identifier
    low, high = sorted((me, peer))
    return f"p2p|{low}|{high}"


def _line(message: dict[str, Any]) -> str:
    body = message.get("messageBody") or {}
    content = body.get("text") if isinstance(body, dict) else None
    if content is None:
        content = json.dumps(body, ensure_ascii=False)
    return f"#{message.get('messageSequence')} {message.get('fromId')}: {content}"


def history(
    ctx: typer.Context,
    peer: str = typer.Option(None, "--with", help="The other user of a 1:1 chat."),
    conversation: str = typer.Option(
        None, "--conversation", help="A conversation id (p2p|a|b, group|g)."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="How many."),
    before: int = typer.Option(0, "--before", min=0, help="Before this sequence."),
    as_user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the latest messages of a conversation, oldest first.

    Example: lim history --with bob --limit 20
    """
    if (peer is None) == (conversation is None):
        fail("pass exactly one of --with USER and --conversation ID", 2)
    conversation_id = conversation or _conversation(ctx, peer, as_user)
    body = {"conversationId": conversation_id, "before": before, "maxLimit": limit}
    messages = call(ctx, "/v1/message/history", body, as_user)
    if as_json:
        emit(messages, True)
        return
    for message in messages:
        typer.echo(_line(message))
