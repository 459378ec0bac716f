"""``lim status``: online state and custom status, set yours, watch others.

``lim status [USER…]`` shows users (your friends without arguments);
``lim status set`` and ``lim status watch`` are subcommands, so a user
literally named ``set`` or ``watch`` is shown with ``lim status show NAME``.
"""

from __future__ import annotations

import asyncio
import datetime
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from .common import AS_OPTION, JSON_OPTION, call, emit, target
from .output import fail, print_json

# Common custom statuses; any other non-negative integer is app-defined.
STATUS_NAMES = {0: "none", 1: "away", 2: "busy", 3: "dnd"}
STATUS_VALUES = {name: value for value, name in STATUS_NAMES.items()}
STATUS_VALUES.update({"available": 0, "online": 0, "clear": 0})

SHOW_USERS = typer.Argument(None, help="Users to show (default: friends).")
WATCH_USERS = typer.Argument(..., help="Users to watch.")

ONLINE_CHANGED = 4001
CUSTOM_CHANGED = 4004


class DefaultShow(TyperGroup):
    """A group whose arguments, if not a subcommand, go to ``show``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if (
            not args
            or args[0] not in self.commands
            and args[0]
            not in (
                "-h",
                "--help",
            )
        ):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=DefaultShow,
    help="Online state and custom status: show, set, watch.\n\n"
    'Example: lim status set away "in a meeting" --as alice',
    no_args_is_help=False,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="status")


def status_name(value: int) -> str:
    return STATUS_NAMES.get(value, str(value))


def _rows(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "user": item["userId"],
            "online": item["online"],
            "status": status_name(item["customStatus"]),
            "text": item["customText"],
        }
        for item in data
    ]


@app.command("show")
def show(
    ctx: typer.Context,
    users: list[str] = SHOW_USERS,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Show who is online and their custom status (your friends by default).

    Example: lim status alice bob
    """
    if users:
        data = call(ctx, "/v1/status/get", {"userIds": users}, as_user)
    else:
        data = call(ctx, "/v1/status/friends", {}, as_user)
    emit(data, as_json, columns=["user", "online", "status", "text"], rows=_rows)


@app.command("set")
def set_status(
    ctx: typer.Context,
    status: str = typer.Argument(
        ..., help="none, away, busy, dnd, or an app-defined integer."
    ),
    text: str = typer.Argument("", help="A short text, such as 'in a meeting'."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Set your custom status and text; friends and watchers see it at once.

    Example: lim status set away "in a meeting"
    """
    value = parse_status(status)
    body = {"customStatus": value, "customText": text}
    data = call(ctx, "/v1/status/set", body, as_user)
    emit(data, as_json, text=lambda d: f"status {_describe(d)}")


def parse_status(status: str) -> int:
    if status.lower() in STATUS_VALUES:
        return STATUS_VALUES[status.lower()]
    if status.isdigit():
        return int(status)
    names = ", ".join(sorted(STATUS_NAMES.values()))
    fail(f"unknown status {status!r}: use {names} or an integer", code=2)


def _describe(data: dict[str, Any]) -> str:
    words = [status_name(data["customStatus"])]
    if data.get("customText"):
        words.append(f"({data['customText']})")
    return " ".join(words)


@app.command("watch")
def watch(
    ctx: typer.Context,
    users: list[str] = WATCH_USERS,
    ttl: int = typer.Option(
        3600, "--ttl", min=10, help="Subscription time, renewed while watching."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stream status changes of USERS, one line each, until Ctrl-C.

    Opens a socket session as the token's user and subscribes to USERS.

    Example: lim status watch alice bob --json
    """
    from lim_client.http import HttpApi
    from lim_client.session import LimClientError

    where = target(ctx)
    api = HttpApi(where.server, where.token)
    try:
        route = api.get("/v1/route")
    except LimClientError as exc:
        fail(f"{exc.msg} (code {exc.code})")
    except Exception as exc:
        fail(f"cannot reach {where.server}: {exc}")
    finally:
        api.close()
    try:
        asyncio.run(_watch(route["ws"], where.token, users, ttl, as_json))
    except LimClientError as exc:
        fail(f"{exc.msg} (code {exc.code})")
    except (ConnectionError, OSError) as exc:
        fail(str(exc))


async def _watch(
    url: str, token: str, users: list[str], ttl: int, as_json: bool
) -> None:
    from lim_client.session import connect
    from lim_protocol.commands import ClientType
    from lim_protocol.tokens import parse_user_sign

    sign, _ = parse_user_sign(token)
    session = await connect(url, app_id=sign.app_id, client_type=ClientType.TERMINAL)
    try:
        await session.login(sign.identifier, token, client_name="lim status watch")
        body = {"userIds": users, "ttlSeconds": ttl}
        reply = await session.api("/v1/status/subscribe", body)
        for status in reply["statuses"]:
            _print_event("status", status, as_json)

        # Renew before the subscription runs out; stop if the server goes.
        while True:
            event = await _next_event(session, ttl * 0.8)
            if event is None:
                await session.api("/v1/status/subscribe", body)
            elif event.command == ONLINE_CHANGED:
                _print_event("online", event.body, as_json)
            elif event.command == CUSTOM_CHANGED:
                _print_event("custom", event.body, as_json)
    finally:
        await session.close()


async def _next_event(session: Any, timeout: float) -> Any:
    """The next pushed event, ``None`` after ``timeout``; raise once closed."""
    getter = asyncio.ensure_future(session.events.get())
    closed = asyncio.ensure_future(session.closed.wait())
    done, _ = await asyncio.wait(
        {getter, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    closed.cancel()
    if getter in done:
        return getter.result()
    getter.cancel()
    if closed in done:
        raise ConnectionError(session.close_reason or "the server closed the session")
    return None


def _print_event(kind: str, body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json({"event": kind, **body})
    else:
        clock = datetime.datetime.now().strftime("%H:%M:%S")
        state = "online" if body["online"] else "offline"
        sys.stdout.write(f"{clock} {body['userId']} {state} {_describe(body)}\n")
    sys.stdout.flush()
