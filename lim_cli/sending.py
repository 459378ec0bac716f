"""``lim send`` without Typer: the fast path for shell scripts.

Typer coerces every parameter through pydantic, which costs several hundred
milliseconds at start-up. A script that sends a message per event should not
pay that, so :func:`run_fast` recognises the plain forms of ``lim send`` and
runs them on the standard library alone; anything else (``--help``, unknown
options, mistakes) falls through to the Typer command, which shares
:func:`deliver` and therefore behaves the same.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from .connection import NoServer, resolve
from .wire import ApiError, WireClient

GLOBAL_OPTIONS = {"--server": "server", "--token": "token", "--data-dir": "data_dir"}
GLOBAL_OPTIONS["-d"] = "data_dir"
SEND_OPTIONS = {"--to": "to", "--group": "group", "--id": "message_id", "--as": "as"}


class SendError(Exception):
    """A one-line reason and an exit code (1 error, 2 usage)."""

    def __init__(self, msg: str, code: int = 1) -> None:
        super().__init__(msg)
        self.code = code


def read_text(text: str | None, stdin: TextIO) -> str:
    """The message text: the argument, or stdin for ``-`` (one newline cut)."""
    if text is None or text == "-":
        if text is None and stdin.isatty():
            raise SendError("no message: pass TEXT, or - to read it from stdin", 2)
        text = stdin.read()
        if text.endswith("\n"):
            text = text[:-1]
    if not text:
        raise SendError("the message is empty", 2)
    return text


def deliver(
    options: dict[str, Any],
    to: str | None,
    group: str | None,
    text: str,
    message_id: str | None = None,
    as_user: str | None = None,
) -> dict[str, Any]:
    """Send one text message; return the server's ack."""
    if (to is None) == (group is None):
        raise SendError("pass exactly one of --to USER and --group GROUP", 2)
    body: dict[str, Any] = {
        "messageId": message_id or os.urandom(16).hex(),
        "messageBody": {"type": "text", "text": text},
    }
    if to is not None:
        body["toId"] = to
        path = "/v1/message/send"
    else:
        body["groupId"] = group
        path = "/v1/group/message/send"

    try:
        data_dir = options.get("data_dir")
        where = resolve(
            options.get("server"),
            options.get("token"),
            Path(data_dir) if data_dir else None,
            as_user,
        )
    except NoServer as exc:
        raise SendError(str(exc)) from exc
    from lim_protocol.errors import TokenError

    try:
        client = WireClient(where.server, where.token)
    except TokenError as exc:
        raise SendError(f"the token is not valid: {exc.msg}") from exc
    try:
        ack: dict[str, Any] = client.call(path, where.body(body))
    except ApiError as exc:
        raise SendError(f"{exc.msg} (code {exc.code})") from exc
    except ConnectionError as exc:
        raise SendError(str(exc)) from exc
    finally:
        client.close()
    return ack


def ack_line(ack: dict[str, Any]) -> str:
    return f"sent {ack.get('messageId')} #{ack.get('messageSequence')}"


def parse_fast(argv: list[str]) -> dict[str, Any] | None:
    """The options of a plain ``lim [globals] send ...``, or None."""
    options: dict[str, Any] = {"json": False, "text": None}
    args = iter(argv)
    for arg in args:
        if arg == "send":
            break
        name, value = _split(arg, args)
        if name not in GLOBAL_OPTIONS or value is None:
            return None
        options[GLOBAL_OPTIONS[name]] = value
    else:
        return None
    for arg in args:
        if arg == "--json":
            options["json"] = True
            continue
        if arg == "-" or not arg.startswith("-"):
            if options["text"] is not None:
                return None
            options["text"] = arg
            continue
        name, value = _split(arg, args)
        if name not in SEND_OPTIONS or value is None:
            return None
        options[SEND_OPTIONS[name]] = value
    return options


def _split(arg: str, rest: Any) -> tuple[str, str | None]:
    if arg.startswith("--") and "=" in arg:
        name, _, value = arg.partition("=")
        return name, value
    return arg, next(rest, None)


def run_fast(argv: list[str]) -> int | None:
    """Run ``lim send`` if ``argv`` is a plain send; the exit code, else None."""
    options = parse_fast(argv)
    if options is None:
        return None
    try:
        text = read_text(options["text"], sys.stdin)
        ack = deliver(
            options,
            options.get("to"),
            options.get("group"),
            text,
            options.get("message_id"),
            options.get("as"),
        )
    except SendError as exc:
        sys.stderr.write(f"lim: {exc}\n")
        return exc.code
    if options["json"]:
        sys.stdout.write(json.dumps(ack, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(ack_line(ack) + "\n")
    return 0
