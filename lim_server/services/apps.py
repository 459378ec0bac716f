"""Apps: creation, settings, secrets and the tokens signed with them."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from lim_protocol.errors import ErrorCode, ProtocolError, TokenError
from lim_protocol.tokens import create_user_sign, parse_user_sign, verify_user_sign

from ..models import App, AppSettings
from ..store import Store

log = logging.getLogger(__name__)

DEFAULT_APP_NAME = "default"


class AppService:
    """Apps are few and read on every login, so they are cached in memory."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[int, App] = {}

    def get(self, app_id: int) -> App:
        app = self._cache.get(app_id)
        if app is None:
            app = self.store.apps.get(app_id)
            if app is None:
                raise ProtocolError(ErrorCode.APP_NOT_FOUND, f"no app {app_id}")
            self._cache[app_id] = app
        return app

    def list(self) -> list[App]:
        return self.store.apps.list()

    async def create(self, name: str, app_id: int | None = None) -> App:
        if app_id is not None and self.store.apps.get(app_id) is not None:
            raise ProtocolError(ErrorCode.INVALID_PARAMS, f"app {app_id} exists")
        app = await self.store.apps.create(name, app_id=app_id)
        log.info("created app %d (%s)", app.app_id, name)
        return app

    async def ensure_default(self) -> App:
        """Return the first app, creating one if the database has none."""
        apps = self.store.apps.list()
        if apps:
            return apps[0]
        return await self.create(DEFAULT_APP_NAME)

    async def update_settings(self, app_id: int, changes: dict[str, Any]) -> App:
        app = self.get(app_id)
        merged = {**app.settings.model_dump(), **_snake_keys(changes)}
        try:
            settings = AppSettings.model_validate(merged)
        except ValidationError as exc:
            raise ProtocolError(ErrorCode.INVALID_PARAMS, _first_error(exc)) from exc
        await self.store.apps.update_settings(app_id, settings)

        # Sessions hold the cached App from their login; changing it in place
        # makes new settings apply to them at once, not at their next login.
        app.settings = settings
        return app

    async def rotate_secret(self, app_id: int) -> App:
        app = self.get(app_id)
        app.secret = await self.store.apps.rotate_secret(app_id)
        return app

    # tokens

    def issue_token(self, app_id: int, user_id: str, lifetime: int = 86400) -> str:
        return create_user_sign(self.get(app_id).secret, app_id, user_id, lifetime)

    def verify_token(self, app_id: int, user_id: str, token: str) -> App:
        """Check a userSign for this app and user; return the app."""
        try:
            app = self.get(app_id)
        except ProtocolError:
            # An unknown app is reported like a token for the wrong app.
            parse_user_sign(token)
            raise TokenError(ErrorCode.APP_NOT_FOUND, f"no app {app_id}") from None
        verify_user_sign(token, app.secret, app_id=app_id, identifier=user_id)
        return app


def _snake_keys(changes: dict[str, Any]) -> dict[str, Any]:
    fields = AppSettings.model_fields
    by_alias = {info.alias or name: name for name, info in fields.items()}
    out = {}
    for key, value in changes.items():
        name = by_alias.get(key, key)
        if name not in fields:
            raise ProtocolError(ErrorCode.INVALID_PARAMS, f"unknown setting {key!r}")
        out[name] = value
    return out


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"
