"""``lim chat``: the terminal chat client.

Where it connects, in order: ``--server``/``--token`` (``LIM_SERVER``,
``LIM_TOKEN``; the server may be the HTTP API, whose ``/v1/route`` names
the gateway, or a gateway address ``ws://...`` or ``tcp://...``); a local
running server's data directory, acting as ``--as USER`` with a token
signed from the app secret; the ``lim login`` profile.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import typer

from .output import fail

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)


@dataclass
class ChatTarget:
    url: str
    app_id: int
    user_id: str
    token: Callable[[], str]
    label: str


def chat(
    ctx: typer.Context,
    as_user: str = typer.Option(
        None, "--as", help="With a local server: chat as this user."
    ),
    transport: str = typer.Option("ws", "--transport", help="ws or tcp."),
    cache_dir: str = typer.Option(
        None, "--cache-dir", help="Cache directory [$XDG_DATA_HOME/lim/client]."
    ),
    log_file: str = typer.Option(
        None, "--log-file", help="Log file [CACHE_DIR/chat.log]."
    ),
    bell: bool = typer.Option(False, "--bell", help="Ring the bell on new messages."),
) -> None:
    """Open the chat client (from the local cache at once, then syncing).

    Example: lim chat --as alice
    """
    if os.environ.get("LIM_CHAT_TAKE_TTY"):
        _take_controlling_tty()
    if cache_dir is not None:
        os.environ["LIM_CACHE_DIR"] = cache_dir
    options = ctx.obj
    target = resolve_chat(
        getattr(options, "server", None),
        getattr(options, "token", None),
        getattr(options, "data_dir", None),
        as_user,
        transport,
    )

    from lim_client.cache import Cache, cache_path, data_home

    _log_to_file(Path(log_file) if log_file else data_home() / "chat.log")

    from lim_client.client import LimClient
    from lim_tui.app import ChatApp

    cache = Cache(cache_path(target.label, target.app_id, target.user_id))
    client = LimClient(
        target.url,
        app_id=target.app_id,
        user_id=target.user_id,
        token=target.token,
        cache=cache,
    )
    ChatApp(client, server_label=target.label, bell=bell).run()
    cache.close()


def resolve_chat(
    server: str | None,
    token: str | None,
    data_dir: Path | None,
    as_user: str | None,
    transport: str,
) -> ChatTarget:
    from lim_protocol.tokens import TokenError, create_user_sign, parse_user_sign

    from .connection import read_profile
    from .local import LocalError, read_app, read_runtime

    server = server or os.environ.get("LIM_SERVER")
    token = token or os.environ.get("LIM_TOKEN")
    if not (server and token) and not server:
        runtime = read_runtime(data_dir)
        if runtime is not None:
            if not as_user:
                fail("with a local server, pass --as USER (who to chat as)", 2)
            try:
                app = read_app(data_dir)
            except LocalError as exc:
                fail(str(exc))
            host, port = runtime["addresses"][transport]
            if host in ("0.0.0.0", "::"):
                host = "127.0.0.1"
            url = (
                f"ws://{host}:{port}/ws"
                if transport == "ws"
                else f"tcp://{host}:{port}"
            )

            def sign() -> str:
                return create_user_sign(app.secret, app.app_id, as_user, 7 * 86400)

            return ChatTarget(url, app.app_id, as_user, sign, f"{host}:{port}")
        profile = read_profile()
        server = server or profile.get("server")
        token = token or profile.get("token")
    if not server or not token:
        fail("no server: start 'lim serve', pass --server and --token, or 'lim login'")
    try:
        fields, _ = parse_user_sign(token)
    except TokenError as exc:
        fail(f"the token is not valid: {exc}")
    if as_user and as_user != fields.identifier:
        fail(f"the token is for {fields.identifier}, not {as_user}", 2)
    url = gateway_url(server, transport, token, fields.app_id, fields.identifier)
    parts = urlsplit(url)
    fixed = token
    return ChatTarget(
        url,
        fields.app_id,
        fields.identifier,
        lambda: fixed,
        f"{parts.hostname}:{parts.port}",
    )


def gateway_url(
    server: str, transport: str, token: str, app_id: int, user_id: str
) -> str:
    """A gateway address from a server address (HTTP API or gateway)."""
    scheme = urlsplit(server).scheme
    if scheme in ("ws", "wss", "tcp"):
        return server
    if scheme not in ("http", "https"):
        fail(f"unsupported server address {server!r}", 2)
    import httpx

    try:
        headers = {"X-Lim-App": str(app_id), "X-Lim-User": user_id, "X-Lim-Sign": token}
        reply = httpx.get(
            server.rstrip("/") + "/v1/route", headers=headers, timeout=10
        ).json()
    except (httpx.HTTPError, ValueError) as exc:
        fail(f"cannot reach {server}: {exc}")
    if reply.get("code") != 200:
        fail(f"{server} refused: {reply.get('msg')} (code {reply.get('code')})")
    route = reply.get("data") or {}
    host = urlsplit(server).hostname
    if transport == "ws" and route.get("ws"):
        port = urlsplit(route["ws"]).port
        return f"ws://{host}:{port}/ws"
    if route.get("tcp"):
        return f"tcp://{host}:{route['tcp'].rsplit(':', 1)[1]}"
    fail(f"{server} did not name a {transport} gateway")


def _log_to_file(path: Path) -> None:
    """The terminal belongs to the app: every log line goes to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _take_controlling_tty() -> None:
    """Make stdin our controlling terminal (set by the SSH gateway's child)."""
    import fcntl
    import termios

    try:
        fcntl.ioctl(sys.stdin.fileno(), termios.TIOCSCTTY, 0)
    except OSError as exc:
        log.debug("no controlling tty: %s", exc)
