"""The ``lim`` command: one Typer app, one module per command group.

Heavy imports (the server, FastAPI, Textual) happen inside the commands that
need them, so that ``lim send`` and friends start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from . import (
    apps,
    bench,
    chat,
    conversations,
    friends,
    groups,
    importer,
    login,
    messaging,
    serve,
    status,
    tokens,
    users,
)
from .common import Options

app = typer.Typer(
    name="lim",
    help="lim: a self-hosted instant-messaging server, its admin CLI and chat "
    "client.\n\nExample: lim init && lim serve &  lim user add alice",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    ctx: typer.Context,
    server: str = typer.Option(
        None, "--server", envvar="LIM_SERVER", help="HTTP API URL of the server."
    ),
    token: str = typer.Option(
        None, "--token", envvar="LIM_TOKEN", help="userSign to call the API with."
    ),
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        "-d",
        envvar="LIM_DATA_DIR",
        help="Local server data directory (act as its admin).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log to stderr."),
) -> None:
    """lim: a self-hosted instant-messaging server, admin CLI and chat client.

    Exit codes: 0 ok, 1 error, 2 usage.

    Example: lim init && lim serve &  lim user add alice
    """
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG)
    ctx.obj = Options(server, token, data_dir)


serve.register(app)
chat.register(app)
tokens.register(app)
login.register(app)
apps.register(app)
users.register(app)
messaging.register(app)
importer.register(app)
groups.register(app)
app.add_typer(friends.app, name="friend")
conversations.register(app)
status.register(app)
bench.register(app)


def run() -> None:
    """Console entry point: map errors to exit codes (0 ok, 1 error, 2 usage)."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
