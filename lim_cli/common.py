"""What every API-backed command shares: the connection and the output.

Global options (``lim --server URL --token T --data-dir D COMMAND``) land in
``ctx.obj``; a command calls :func:`call` with its path and body, and
:func:`emit` to print data as JSON (``--json``) or as a rich table/text.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer

from .connection import NoServer, Target, resolve
from .output import fail, print_json
from .wire import ApiError, WireClient

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")
AS_OPTION = typer.Option(None, "--as", help="Act for this user (admins only).")
YES_OPTION = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")


class Options:
    """Global options, set by the main callback."""

    def __init__(
        self, server: str | None, token: str | None, data_dir: Path | None
    ) -> None:
        self.server = server
        self.token = token
        self.data_dir = data_dir


def target(
    ctx: typer.Context, as_user: str | None = None, app_id: int | None = None
) -> Target:
    options: Options = ctx.obj or Options(None, None, None)
    try:
        return resolve(options.server, options.token, options.data_dir, as_user, app_id)
    except NoServer as exc:
        fail(str(exc))


def client(where: Target) -> WireClient:
    """An API client for ``where``; a malformed token is a one-line error."""
    from lim_protocol.errors import TokenError

    try:
        return WireClient(where.server, where.token)
    except TokenError as exc:
        fail(f"the token is not valid: {exc.msg}")
    except ConnectionError as exc:
        fail(str(exc))


def call(
    ctx: typer.Context,
    path: str,
    body: dict[str, Any] | None = None,
    as_user: str | None = None,
    app_id: int | None = None,
) -> Any:
    """Call one API operation; print a one-line error and exit 1 on failure."""
    where = target(ctx, as_user, app_id)
    api = client(where)
    try:
        return api.call(path, where.body(body))
    except ApiError as exc:
        fail(f"{exc.msg} (code {exc.code})")
    except ConnectionError as exc:
        fail(str(exc))
    finally:
        api.close()


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive step; refuse without a terminal unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail("refusing without confirmation: pass --yes", 2)
    if not typer.confirm(question, default=False):
        fail("cancelled", 1)


def parse_extra(text: str | None) -> dict[str, Any] | None:
    """The value of an ``--extra`` option: a JSON object, or usage error 2."""
    import json

    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        fail("--extra must be a JSON object", 2)
    if not isinstance(value, dict):
        fail("--extra must be a JSON object", 2)
    return value


def emit(
    data: Any,
    as_json: bool,
    columns: Sequence[str] | None = None,
    rows: Callable[[Any], list[dict[str, Any]]] | None = None,
    text: Callable[[Any], str] | None = None,
) -> None:
    """Print ``data``: JSON, a table of ``columns``, or a line of text."""
    if as_json:
        print_json(data)
        return
    if text is not None:
        typer.echo(text(data))
        return
    items = rows(data) if rows else (data if isinstance(data, list) else [data])
    if columns is None:
        print_json(data)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    for item in items:
        table.add_row(*(_cell(item.get(column)) for column in columns))
    Console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
