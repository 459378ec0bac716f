"""``lim token``: print a userSign for a user of a local app."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import fail


def register(app: typer.Typer) -> None:
    app.command("token")(token)


def token(
    user: str = typer.Argument(..., help="The user id the token is for."),
    app_id: int = typer.Option(None, "--app", help="App id (default: the first)."),
    ttl: int = typer.Option(86400, "--ttl", min=1, help="Lifetime in seconds."),
    data_dir: Path = typer.Option(
        None, "--data-dir", "-d", help="Server data directory."
    ),
) -> None:
    """Print a userSign for USER, signed with the local app's secret.

    Needs read access to the server's data directory.

    Example: lim token alice --ttl 3600
    """
    from lim_cli.local import LocalError, read_app
    from lim_protocol.tokens import create_user_sign

    try:
        app = read_app(data_dir, app_id)
    except LocalError as exc:
        fail(str(exc))
    typer.echo(create_user_sign(app.secret, app.app_id, user, ttl))
