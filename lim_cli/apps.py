"""``lim app``: list, create, show and configure apps."""

from __future__ import annotations

import json
from typing import Any

import typer

from .common import JSON_OPTION, call, emit
from .output import fail

app = typer.Typer(
    name="app",
    help="Manage apps (tenants) and their settings.\n\nExample: lim app show",
    no_args_is_help=True,
)

APP_OPTION = typer.Option(
    None, "--app", help="App id (local admin only; default: the first app)."
)


def _settings_text(data: dict[str, Any]) -> str:
    lines = [f"app        {data['appId']} ({data['name']})"]
    for key, value in data["settings"].items():
        lines.append(f"  {key:<24} {json.dumps(value)}")
    return "\n".join(lines)


@app.command("list")
def list_apps(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List every app of the server (local administrator only).

    Example: lim app list --json
    """
    data = call(ctx, "/v1/app/list")
    emit(data["apps"], as_json, columns=["appId", "name", "createdAt"])


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the new app."),
    app_id: int = typer.Option(None, "--id", min=1, help="Choose the app id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an app with its @admin account (local administrator only).

    Example: lim app create shop
    """
    body: dict[str, Any] = {"name": name}
    if app_id is not None:
        body["appId"] = app_id
    data = call(ctx, "/v1/app/create", body)
    emit(data, as_json, text=lambda d: f"created app {d['appId']} ({d['name']})")


@app.command("show")
def show(
    ctx: typer.Context, app_id: int = APP_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Show an app and its settings.

    Example: lim app show --app 2
    """
    data = call(ctx, "/v1/app/get", app_id=app_id)
    emit(data, as_json, text=_settings_text)


def _parse(pair: str) -> tuple[str, Any]:
    key, sep, raw = pair.partition("=")
    if not sep or not key:
        fail(f"expected KEY=VALUE, got {pair!r}", 2)
    if raw in ("", "null", "none"):
        return key, None
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


@app.command("set")
def set_settings(
    ctx: typer.Context,
    pairs: list[str] = typer.Argument(..., metavar="KEY=VALUE...", help="Settings."),
    app_id: int = APP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change app settings: loginMode, friendCheckOnSend, blacklistCheckOnSend,
    strangerQuota, recallWindowSeconds, retentionDays, readReceipts,
    maxGroupSize, webhookUrl. Values are JSON (true, 30, "text"); null clears.

    Example: lim app set friendCheckOnSend=true retentionDays=30
    """
    settings = dict(_parse(pair) for pair in pairs)
    data = call(ctx, "/v1/app/settings/update", {"settings": settings}, app_id=app_id)
    emit(data, as_json, text=_settings_text)


def register(main: typer.Typer) -> None:
    main.add_typer(app)
