"""Users: accounts, profiles, silencing, passwords and SSH keys."""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

from pydantic import Field, ValidationError, field_validator

from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import (
    APP_ADMIN,
    FRIEND_POLICY_APPROVAL,
    FRIEND_POLICY_FREE,
    NORMAL_USER,
    USER_ID_PATTERN,
    User,
    WireModel,
)
from ..routing import LocalRouter
from ..store import Store
from .passwords import check_password, hash_password

log = logging.getLogger(__name__)


class UserFields(WireModel):
    """The fields a client may set on a user, all validated."""

    user_id: str
    nickname: str = Field(default="", max_length=128)
    avatar: str = Field(default="", max_length=2048)
    gender: int = Field(default=0, ge=0, le=2)
    signature: str = Field(default="", max_length=512)
    extra: dict[str, Any] = Field(default_factory=dict)
    user_type: int = NORMAL_USER
    friend_policy: int = FRIEND_POLICY_FREE
    password: str | None = Field(default=None, min_length=1, max_length=1024)

    @field_validator("user_id")
    @classmethod
    def _valid_user_id(cls, value: str) -> str:
        return check_user_id(value)

    @field_validator("user_type")
    @classmethod
    def _valid_type(cls, value: int) -> int:
        if value not in (NORMAL_USER, APP_ADMIN):
            raise ValueError("userType must be 1 (normal) or 100 (app admin)")
        return value

    @field_validator("friend_policy")
    @classmethod
    def _valid_policy(cls, value: int) -> int:
        if value not in (FRIEND_POLICY_FREE, FRIEND_POLICY_APPROVAL):
            raise ValueError("friendPolicy must be 1 (free) or 2 (needs approval)")
        return value


UPDATABLE = {
    "nickname",
    "avatar",
    "gender",
    "signature",
    "extra",
    "user_type",
    "friend_policy",
}


# For bulk imports: the limits of UserFields as plain checks, so that rows
# of exact types skip the model (about ten times faster). Anything else,
# including every row that would fail, goes through UserFields for its
# coercions and its error message.
_TEXT_LIMITS = {"nickname": 128, "avatar": 2048, "signature": 512}
_CHOICES = {
    "gender": (0, 1, 2),
    "user_type": (NORMAL_USER, APP_ADMIN),
    "friend_policy": (FRIEND_POLICY_FREE, FRIEND_POLICY_APPROVAL),
}
_IMPORT_NAMES = {
    **{name: name for name in UserFields.model_fields},
    **{
        info.alias: name
        for name, info in UserFields.model_fields.items()
        if info.alias is not None
    },
}
_IMPORT_DEFAULTS = {
    name: info.get_default(call_default_factory=True)
    for name, info in UserFields.model_fields.items()
    if name not in ("user_id", "password")
}


def plain_import_row(row: dict[str, Any]) -> dict[str, Any] | None:
    """The stored values of an import row, or None if the model must decide."""
    values = dict(_IMPORT_DEFAULTS)
    values["extra"] = {}
    password = None
    seen: set[str] = set()
    for key, value in row.items():
        name = _IMPORT_NAMES.get(key)
        if name is None or name in seen:
            return None
        seen.add(name)
        kind = type(value)
        if name == "user_id":
            if kind is not str or not USER_ID_PATTERN.match(value):
                return None
        elif name in _TEXT_LIMITS:
            if kind is not str or len(value) > _TEXT_LIMITS[name]:
                return None
        elif name in _CHOICES:
            if kind is not int or value not in _CHOICES[name]:
                return None
        elif name == "extra":
            if kind is not dict:
                return None
        elif name == "password":
            if value is not None and (kind is not str or not 1 <= len(value) <= 1024):
                return None
            password = value
            continue
        values[name] = value
    if "user_id" not in seen:
        return None
    if password:
        values["password_hash"] = hash_password(password)
    return values


def check_user_id(value: str) -> str:
    if not USER_ID_PATTERN.match(value):
        raise ValueError(
            "userId must be 1-64 characters without spaces, control characters or |"
        )
    return value


def validation_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


class UserService:
    def __init__(self, store: Store, router: LocalRouter) -> None:
        self.store = store
        self.router = router

    # reads

    def get(self, app_id: int, user_id: str, *, include_deleted=False) -> User:
        user = self.store.users.get(app_id, user_id)
        if user is None or (user.deleted and not include_deleted):
            raise ProtocolError(ErrorCode.USER_NOT_FOUND, f"no user {user_id!r}")
        return user

    def find(self, app_id: int, user_id: str) -> User | None:
        user = self.store.users.get(app_id, user_id)
        return None if user is None or user.deleted else user

    def get_many(self, app_id: int, user_ids: list[str]) -> dict[str, User]:
        users = self.store.users.get_many(app_id, user_ids)
        return {key: user for key, user in users.items() if not user.deleted}

    def page(self, app_id: int, after: str = "", limit: int = 100) -> list[User]:
        return self.store.users.page(app_id, after=after, limit=min(limit, 1000))

    # writes

    async def create(self, app_id: int, fields: dict[str, Any]) -> User:
        try:
            parsed = UserFields.model_validate(fields)
        except ValidationError as exc:
            raise ProtocolError(
                ErrorCode.USER_FIELD_INVALID, validation_message(exc)
            ) from exc
        existing = self.store.users.get(app_id, parsed.user_id)
        if existing is not None and not existing.deleted:
            raise ProtocolError(
                ErrorCode.USER_EXISTS, f"user {parsed.user_id!r} exists"
            )

        digest = hash_password(parsed.password) if parsed.password else None
        values = parsed.model_dump(exclude={"password"})
        if existing is not None:
            # Re-creating a deleted user revives the account with new fields.
            await self.store.users.update(
                app_id, parsed.user_id, {**values, "deleted": 0}
            )
            await self.store.users.set_password(app_id, parsed.user_id, digest)
            return self.get(app_id, parsed.user_id)
        user = User(app_id=app_id, **values)
        created = await self.store.users.create(user, digest)
        log.info("created user %s in app %d", parsed.user_id, app_id)
        return created

    def validate_import_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """Check one row of a bulk import; return the values to store."""
        values = plain_import_row(row)
        if values is not None:
            return values
        try:
            parsed = UserFields.model_validate(row)
        except ValidationError as exc:
            raise ProtocolError(
                ErrorCode.USER_FIELD_INVALID, validation_message(exc)
            ) from exc
        values = parsed.model_dump(exclude={"password"})
        if parsed.password:
            values["password_hash"] = hash_password(parsed.password)
        return values

    async def import_many(self, app_id: int, rows: list[dict[str, Any]]) -> int:
        """Create or update already validated users; no notifications."""
        return await self.store.users.upsert_many(app_id, rows)

    async def update(self, app_id: int, user_id: str, changes: dict[str, Any]) -> User:
        self.get(app_id, user_id)
        current = self.store.users.get(app_id, user_id)
        assert current is not None
        merged = {**current.model_dump(), **_snake(changes), "user_id": user_id}
        merged.pop("password", None)
        try:
            parsed = UserFields.model_validate(
                {key: merged[key] for key in UPDATABLE | {"user_id"}}
            )
        except ValidationError as exc:
            raise ProtocolError(
                ErrorCode.USER_FIELD_INVALID, validation_message(exc)
            ) from exc
        values = parsed.model_dump(include=UPDATABLE)
        user = await self.store.users.update(app_id, user_id, values)
        self._tell_devices(user)
        return user

    async def set_flag(self, app_id: int, user_id: str, flag: str, on: bool) -> User:
        """Set ``silenced`` or ``disabled``; a disabled user is logged out."""
        self.get(app_id, user_id)
        user = await self.store.users.update(app_id, user_id, {flag: int(on)})
        if flag == "disabled" and on:
            self._close_devices(app_id, user_id, "account disabled")
        else:
            self._tell_devices(user)
        return user

    async def delete(self, app_id: int, user_id: str) -> User:
        """Soft delete: the row stays (messages keep their sender), login stops."""
        self.get(app_id, user_id)
        user = await self.store.users.update(app_id, user_id, {"deleted": 1})
        self._close_devices(app_id, user_id, "account deleted")
        log.info("deleted user %s in app %d", user_id, app_id)
        return user

    async def set_password(self, app_id: int, user_id: str, password: str | None):
        self.get(app_id, user_id)
        if password is not None and not 1 <= len(password) <= 1024:
            raise ProtocolError(
                ErrorCode.USER_FIELD_INVALID, "password must be 1-1024 characters"
            )
        digest = hash_password(password) if password else None
        await self.store.users.set_password(app_id, user_id, digest)

    def check_password(self, app_id: int, user_id: str, password: str) -> User:
        user = self.get(app_id, user_id)
        if not check_password(
            password, self.store.users.password_hash(app_id, user_id)
        ):
            raise ProtocolError(ErrorCode.PASSWORD_WRONG, "wrong user or password")
        if not user.active:
            raise ProtocolError(ErrorCode.USER_DISABLED, "account disabled")
        return user

    # SSH keys

    async def add_key(self, app_id: int, user_id: str, public_key: str) -> dict:
        self.get(app_id, user_id)
        fingerprint, comment = parse_public_key(public_key)
        await self.store.users.add_key(
            app_id, user_id, fingerprint, public_key.strip(), comment
        )
        return {"fingerprint": fingerprint, "comment": comment}

    def keys(self, app_id: int, user_id: str) -> list[dict[str, Any]]:
        self.get(app_id, user_id)
        return self.store.users.keys(app_id, user_id)

    async def remove_key(self, app_id: int, user_id: str, fingerprint: str) -> None:
        if not await self.store.users.remove_key(app_id, user_id, fingerprint):
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no key {fingerprint}")

    # pushes

    def _tell_devices(self, user: User) -> None:
        self.router.push(
            user.app_id, [user.user_id], Command.USER_MODIFIED, user.to_wire()
        )

    def _close_devices(self, app_id: int, user_id: str, reason: str) -> None:
        for device in self.router.devices(app_id, user_id):
            close = getattr(device, "close", None)
            if close is not None:
                close(ErrorCode.USER_DISABLED, reason)


def parse_public_key(text: str) -> tuple[str, str]:
    """Return the SHA256 fingerprint and comment of an OpenSSH public key."""
    parts = text.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        raise ProtocolError(
            ErrorCode.USER_FIELD_INVALID,
            "expected an OpenSSH public key such as 'ssh-ed25519 AAAA... comment'",
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError as exc:
        raise ProtocolError(
            ErrorCode.USER_FIELD_INVALID, "the public key is not valid base64"
        ) from exc
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}", " ".join(parts[2:])


def _snake(changes: dict[str, Any]) -> dict[str, Any]:
    fields = UserFields.model_fields
    by_alias = {info.alias or name: name for name, info in fields.items()}
    out: dict[str, Any] = {}
    for key, value in changes.items():
        name = by_alias.get(key, key)
        if name not in UPDATABLE:
            raise ProtocolError(
                ErrorCode.USER_FIELD_INVALID, f"{key!r} cannot be changed here"
            )
        out[name] = value
    return out
