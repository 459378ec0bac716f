"""App operations: read the caller's app, change its settings, manage apps.

Listing and creating apps are server-wide operations. They are allowed only
to the ``@admin`` account of the home app (the first app, the one
``lim init`` creates). That account's token is signed with the home app's
secret, which lives in the server's data directory: in practice only the
local administrator on the server's machine (or an admin of the home app,
who could mint the token anyway) can call them. Admins of other apps never
see or create apps beyond their own.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from lim_protocol.errors import ErrorCode, ProtocolError

from ...models import APP_ADMIN, LOCAL_ADMIN, User
from ..operations import Request, operation


class AppGet(Request):
    pass


class AppSettingsUpdate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"settings": {"friendCheckOnSend": True, "retentionDays": 30}}]
        }
    )

    settings: dict[str, Any]


class AppList(Request):
    pass


class AppCreate(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "shop"}]})

    name: str = Field(min_length=1, max_length=128)
    app_id: int | None = Field(default=None, ge=1)


def require_server_admin(services, caller) -> None:
    """Refuse unless the caller is ``@admin`` of the home app."""
    apps = services.apps.list()
    home = apps[0].app_id if apps else None
    is_root = caller.user_id == LOCAL_ADMIN and caller.app_id == home
    if not (caller.is_admin and is_root):
        raise ProtocolError(
            ErrorCode.PERMISSION_DENIED,
            "only the home app's @admin (the local administrator) manages apps",
        )


@operation("/v1/app/get", AppGet)
async def get_app(services, caller, request: AppGet):
    """Get the caller's app and its settings."""
    return caller.app.public()


@operation("/v1/app/settings/update", AppSettingsUpdate, admin=True)
async def update_settings(services, caller, request: AppSettingsUpdate):
    """Change app settings (admin); unknown or invalid settings are refused."""
    app = await services.apps.update_settings(caller.app_id, request.settings)
    return app.public()


@operation("/v1/app/list", AppList, admin=True)
async def list_apps(services, caller, request: AppList):
    """List every app of the server (the home app's @admin only)."""
    require_server_admin(services, caller)
    return {"apps": [app.public() for app in services.apps.list()]}


@operation("/v1/app/create", AppCreate, admin=True)
async def create_app(services, caller, request: AppCreate):
    """Create an app and its @admin account (the home app's @admin only)."""
    require_server_admin(services, caller)
    app = await services.apps.create(request.name, request.app_id)
    if services.store.users.get(app.app_id, LOCAL_ADMIN) is None:
        admin = User(
            app_id=app.app_id,
            user_id=LOCAL_ADMIN,
            nickname="lim admin",
            user_type=APP_ADMIN,
        )
        await services.store.users.create(admin)
    return app.public()
