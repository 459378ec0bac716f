"""Finding the server and the credentials a command runs with.

In order:

1. ``--server``/``LIM_SERVER`` (the HTTP API's URL) with ``--token``/
   ``LIM_TOKEN``: exactly that.
2. A readable data directory (``--data-dir``, ``LIM_DATA_DIR`` or the
   default) with a running server: its recorded address, acting as the app's
   ``@admin`` with a token signed on the spot, as root would.
3. The profile saved by ``lim login`` in ``$XDG_CONFIG_HOME/lim/config.toml``
   (or ``LIM_CONFIG_FILE``).

``--as USER`` makes an admin act for USER (the API's ``asUser``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .local import ADMIN_USER, LocalError, read_app, read_runtime


class NoServer(Exception):
    """No way to reach a server was found."""


@dataclass
class Target:
    server: str
    token: str
    source: str
    as_user: str | None = None
    route: dict[str, str] = field(default_factory=dict)

    def body(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A request body with ``asUser`` added when acting for someone."""
        out = dict(body or {})
        if self.as_user:
            out["asUser"] = self.as_user
        return out


def config_file() -> Path:
    if os.environ.get("LIM_CONFIG_FILE"):
        return Path(os.environ["LIM_CONFIG_FILE"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "lim" / "config.toml"


def read_profile() -> dict[str, Any]:
    import tomllib

    path = config_file()
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NoServer(f"cannot read {path}: {exc}") from exc


def write_profile(profile: dict[str, Any]) -> Path:
    """Save the login profile (0600: it holds a token)."""
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{key} = {_toml_value(value)}" for key, value in profile.items()]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# written by 'lim login'\n" + "\n".join(lines) + "\n")
    tmp.replace(path)
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def resolve(
    server: str | None = None,
    token: str | None = None,
    data_dir: Path | None = None,
    as_user: str | None = None,
    app_id: int | None = None,
) -> Target:
    """Work out where to send API calls and with which token."""
    server = server or os.environ.get("LIM_SERVER")
    token = token or os.environ.get("LIM_TOKEN")
    if server and token:
        return Target(server, token, "environment", as_user)
    if token and not server:
        profile = read_profile()
        if profile.get("server"):
            return Target(str(profile["server"]), token, "LIM_TOKEN", as_user)

    if not server:
        local = _local_admin(data_dir, app_id, as_user)
        if local is not None:
            return local

    profile = read_profile()
    if profile.get("server") and profile.get("token"):
        return Target(
            server or str(profile["server"]), str(profile["token"]), "profile", as_user
        )
    if server:
        raise NoServer("--server needs a token: pass --token or set LIM_TOKEN")
    raise NoServer(
        "no server found: start 'lim serve', pass --server and --token, "
        "or run 'lim login'"
    )


def _local_admin(
    data_dir: Path | None, app_id: int | None, as_user: str | None
) -> Target | None:
    runtime = read_runtime(data_dir)
    if runtime is None:
        return None
    try:
        app = read_app(data_dir, app_id)
    except LocalError:
        return None
    from lim_protocol.tokens import create_user_sign

    if "http" not in runtime.get("addresses", {}):
        raise NoServer(
            "the local server runs without its HTTP API: restart it with --http-port"
        )
    host, port = runtime["addresses"]["http"]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    token = create_user_sign(app.secret, app.app_id, ADMIN_USER, 300)
    return Target(url, token, "local", as_user, runtime.get("route", {}))
