"""``lim login`` and ``lim logout``: the profile other commands fall back on."""

from __future__ import annotations

import sys

import typer

from .common import JSON_OPTION, Options, emit
from .connection import config_file, write_profile
from .output import fail
from .wire import ApiError, WireClient, login_with_password


def register(main: typer.Typer) -> None:
    main.command("login")(login)
    main.command("logout")(logout)


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return str(typer.prompt("password", hide_input=True))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password: pass --password, type it, or pipe it on stdin", 2)
    return password


def login(
    ctx: typer.Context,
    user_id: str = typer.Argument(None, metavar="[USER]", help="Log in as this user."),
    server: str | None = typer.Option(
        None, "--server", help="HTTP API URL of the server."
    ),
    app_id: int = typer.Option(1, "--app", help="App id (password login)."),
    password: str = typer.Option(
        None, "--password", help="Password (else prompted, or read from stdin)."
    ),
    token: str | None = typer.Option(
        None, "--token", help="Store this userSign instead."
    ),
    lifetime: int = typer.Option(
        30 * 86400, "--lifetime", min=60, help="Token lifetime in seconds."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Save a server address and credentials in the XDG config file.

    With a password the server trades it for a token; users without one
    are given a token (lim token USER) and store it with --token.

    Example: lim login alice --server http://chat.example.org:7780
    """
    options: Options = ctx.obj or Options(None, None, None)
    server = server or options.server
    if not server:
        fail("pass --server URL (or set LIM_SERVER)", 2)
    token = token or (options.token if not user_id else None)

    try:
        if token is None:
            if not user_id:
                fail("pass USER (password login) or --token", 2)
            granted = login_with_password(
                server, app_id, user_id, _password(password), lifetime
            )
            token = str(granted["userSign"])
        api = WireClient(server, token)
        try:
            app = api.call("/v1/app/get")
        finally:
            api.close()
    except ApiError as exc:
        fail(f"{exc.msg} (code {exc.code})")
    except ConnectionError as exc:
        fail(str(exc))

    if user_id and user_id != api.identifier:
        fail(f"the token is for {api.identifier!r}, not {user_id!r}", 2)
    path = write_profile(
        {"server": server, "app": api.app_id, "user": api.identifier, "token": token}
    )
    data = {"server": server, "appId": app["appId"], "userId": api.identifier}
    emit(
        {**data, "config": str(path)},
        as_json,
        text=lambda d: f"logged in as {d['userId']} on {d['server']} ({d['config']})",
    )


def logout() -> None:
    """Forget the saved server and token.

    Example: lim logout
    """
    path = config_file()
    try:
        path.unlink()
    except FileNotFoundError:
        typer.echo("not logged in")
        return
    typer.echo(f"removed {path}")
