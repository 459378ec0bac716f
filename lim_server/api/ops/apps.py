"""App operations: read the caller's app, change its settings."""

from __future__ import annotations

from typing import Any

from ..operations import Request, operation


class AppGet(Request):
    pass


class AppSettingsUpdate(Request):
    settings: dict[str, Any]


@operation("/v1/app/get", AppGet)
async def get_app(services, caller, request: AppGet):
    """Get the caller's app and its settings."""
    return caller.app.public()


@operation("/v1/app/settings/update", AppSettingsUpdate, admin=True)
async def update_settings(services, caller, request: AppSettingsUpdate):
    """Change app settings (admin); unknown or invalid settings are refused."""
    app = await services.apps.update_settings(caller.app_id, request.settings)
    return app.public()
