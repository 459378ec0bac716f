"""``lim init`` and ``lim serve``."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import fail

DATA_DIR_HELP = "Data directory (default: LIM_DATA_DIR, else $XDG_DATA_HOME/lim)."


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("init")(init)


def serve(
    data_dir: Path = typer.Option(None, "--data-dir", "-d", help=DATA_DIR_HELP),
    config: Path = typer.Option(None, "--config", "-c", help="TOML config file."),
    host: str = typer.Option(None, "--host", help="Address to bind [127.0.0.1]."),
    ws_port: int = typer.Option(None, "--ws-port", help="WebSocket port [7700]."),
    tcp_port: int = typer.Option(None, "--tcp-port", help="TCP port [7701]."),
    http_port: int = typer.Option(None, "--http-port", help="HTTP API port [7780]."),
    ssh_port: int = typer.Option(
        None, "--ssh-port", help="SSH chat port; -1 turns it off [-1]."
    ),
    synchronous: str = typer.Option(
        None, "--synchronous", help="SQLite durability: FULL or NORMAL [FULL]."
    ),
    log_level: str = typer.Option(None, "--log-level", help="debug, info, ..."),
    log_format: str = typer.Option(None, "--log-format", help="text or json."),
) -> None:
    """Run the lim server until SIGINT or SIGTERM.

    Example: lim serve --data-dir ./data --ws-port 7700
    """
    from lim_protocol.errors import ConfigError
    from lim_server.config import load_config

    overrides = {
        "host": host,
        "ws_port": ws_port,
        "tcp_port": tcp_port,
        "http_port": http_port,
        "ssh_port": ssh_port,
        "synchronous": synchronous.upper() if synchronous else None,
        "log_level": log_level,
        "log_format": log_format,
    }
    try:
        settings = load_config(data_dir, config, overrides)
    except ConfigError as exc:
        fail(str(exc), 2)

    from lim_server.main import run_server

    try:
        run_server(settings)
    except OSError as exc:
        fail(f"cannot start: {exc}")


def init(
    data_dir: Path = typer.Option(None, "--data-dir", "-d", help=DATA_DIR_HELP),
    app_name: str = typer.Option(
        "default", "--app-name", help="Name of the first app."
    ),
    force: bool = typer.Option(False, "--force", help="Rewrite an existing lim.toml."),
) -> None:
    """Create the data directory, its lim.toml and the first app.

    Example: lim init --data-dir ./data
    """
    from lim_server.config import CONFIG_NAME, load_config, render_config
    from lim_server.main import initialise

    settings = load_config(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config_path = settings.data_dir / CONFIG_NAME
    if not config_path.exists() or force:
        config_path.write_text(render_config(settings))
    app = initialise(settings, app_name)

    typer.echo(f"data directory  {settings.data_dir}")
    typer.echo(f"config          {config_path}")
    typer.echo(f"app             {app.app_id} ({app.name})")
    typer.echo("")
    typer.echo("next:")
    dir_flag = f" --data-dir {settings.data_dir}" if data_dir else ""
    typer.echo(f"  lim serve{dir_flag}                    start the server")
    typer.echo(f"  lim user add alice{dir_flag}           create a user")
    typer.echo(f"  lim token alice{dir_flag}              print a token for alice")
