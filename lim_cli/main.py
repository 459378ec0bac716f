"""The ``lim`` command: one Typer app, one module per command group.

Heavy imports (the server, FastAPI, Textual) happen inside the commands that
need them, so that ``lim send`` and friends start fast.
"""

from __future__ import annotations

import sys

import typer

from . import serve, tokens

app = typer.Typer(
    name="lim",
    help="lim: a self-hosted instant-messaging server, its admin CLI and chat client.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

serve.register(app)
tokens.register(app)


def run() -> None:
    """Console entry point: map errors to exit codes (0 ok, 1 error, 2 usage)."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
