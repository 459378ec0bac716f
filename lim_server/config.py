"""Server configuration: defaults, then the TOML file, then environment, then flags.

Every option is a field of :class:`ServerConfig`. The file is ``lim.toml``
in the data directory (or the path in ``LIM_CONFIG``); each option can be
overridden by an environment variable ``LIM_<OPTION>`` in upper case
(``LIM_WS_PORT=9000``) and by the matching ``lim serve`` flag.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lim_protocol.errors import ConfigError

from .store.database import COMMIT_WINDOW

CONFIG_NAME = "lim.toml"
DATABASE_NAME = "lim.db"
RUNTIME_NAME = "server.json"


def default_data_dir() -> Path:
    """``LIM_DATA_DIR``, else ``$XDG_DATA_HOME/lim``, else ``~/.local/share/lim``."""
    if os.environ.get("LIM_DATA_DIR"):
        return Path(os.environ["LIM_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lim"


class ServerConfig(BaseModel):
    """All options of ``lim serve``; docs/operations.md explains each."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    public_host: str | None = None
    ws_port: int = Field(default=7700, ge=0, le=65535)
    tcp_port: int = Field(default=7701, ge=0, le=65535)
    http_port: int = Field(default=7780, ge=-1, le=65535)
    ssh_port: int = Field(default=2222, ge=-1, le=65535)
    node_id: int = Field(default=0, ge=0, le=1023)
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    commit_window_ms: float = Field(default=COMMIT_WINDOW * 1000, ge=0, le=50)
    max_body: int = Field(default=1 << 20, ge=1024, le=64 << 20)
    max_buffer: int = Field(default=4 << 20, ge=64 << 10)
    login_timeout: float = Field(default=10.0, gt=0)
    idle_timeout: float = Field(default=300.0, gt=0)
    ssh_max_sessions: int = Field(default=100, ge=1)
    ssh_max_sessions_per_user: int = Field(default=5, ge=1)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_NAME

    @property
    def runtime_path(self) -> Path:
        return self.data_dir / RUNTIME_NAME


def load_config(
    data_dir: Path | None = None,
    config_path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> ServerConfig:
    """Merge defaults, file, environment and flags into one validated config."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    base_dir = data_dir or default_data_dir()

    path = config_path or (Path(env["LIM_CONFIG"]) if env.get("LIM_CONFIG") else None)
    path = path or base_dir / CONFIG_NAME
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc

    for name in ServerConfig.model_fields:
        key = f"LIM_{name.upper()}"
        if key in env and name != "data_dir":
            values[name] = env[key]
    values["data_dir"] = base_dir
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})

    try:
        return ServerConfig.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"invalid option {where}: {error['msg']}") from exc


def render_config(config: ServerConfig) -> str:
    """A commented lim.toml holding the given values (written by ``lim init``)."""
    return f"""\
# lim server configuration. Every option can also be set with an environment
# variable LIM_<OPTION> (for example LIM_WS_PORT) or a `lim serve` flag.

# Address the listeners bind to; 0.0.0.0 to accept other machines.
host = "{config.host}"
# Host name given to clients by the route endpoint (defaults to host).
# public_host = "chat.example.org"

# Ports: WebSocket gateway (path /ws), raw TCP gateway, HTTP API, SSH chat.
# 0 picks a free port; -1 turns the HTTP API or the SSH gateway off.
ws_port = {config.ws_port}
tcp_port = {config.tcp_port}
http_port = {config.http_port}
ssh_port = {config.ssh_port}

# SQLite durability: FULL fsyncs each group commit (survives power loss);
# NORMAL survives a crash of lim but maybe not of the machine.
synchronous = "{config.synchronous}"
# While writes keep coming, how long the writer gathers more of them before
# one commit (and one fsync) carries them all, in milliseconds. Longer saves
# CPU under load and adds at most this much to a send's latency; a write on
# a quiet database commits at once whatever it is.
commit_window_ms = {config.commit_window_ms:g}

# Largest frame body a client may send, in bytes.
max_body = {config.max_body}
# Unsent bytes a client may fall behind before it is disconnected.
max_buffer = {config.max_buffer}
# Seconds a new connection has to log in, and a session may stay silent.
login_timeout = {config.login_timeout}
idle_timeout = {config.idle_timeout}

# Chat over SSH (`ssh -p 2222 alice@host`, see docs/chat.md): sessions in
# total and per user. The host key is kept in the data directory.
ssh_max_sessions = {config.ssh_max_sessions}
ssh_max_sessions_per_user = {config.ssh_max_sessions_per_user}

# Node id (0-1023), unique per server sharing one database.
node_id = {config.node_id}

log_level = "{config.log_level}"
# text or json (one object per line)
log_format = "{config.log_format}"
"""
