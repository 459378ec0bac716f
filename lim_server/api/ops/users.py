"""User operations: accounts, profiles, flags, passwords, SSH keys, tokens."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lim_protocol.errors import ErrorCode, ProtocolError

from ..operations import Request, operation


class UserCreate(Request):
    user_id: str
    nickname: str = ""
    avatar: str = ""
    gender: int = 0
    signature: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)
    user_type: int = 1
    friend_policy: int = 1
    password: str | None = None


class UserImport(Request):
    users: list[dict[str, Any]] = Field(max_length=10000)


class UserIds(Request):
    user_ids: list[str] = Field(min_length=1, max_length=1000)


class UserList(Request):
    after: str = ""
    limit: int = Field(default=100, ge=1, le=1000)


class UserUpdate(Request):
    user_id: str | None = None
    changes: dict[str, Any]


class UserTarget(Request):
    user_id: str


class UserFlag(Request):
    user_id: str
    on: bool = True


class UserPassword(Request):
    user_id: str | None = None
    password: str | None = None


class UserKeyAdd(Request):
    user_id: str | None = None
    public_key: str


class UserKeyRemove(Request):
    user_id: str | None = None
    fingerprint: str


class UserKeys(Request):
    user_id: str | None = None


class TokenIssue(Request):
    user_id: str
    lifetime: int = Field(default=86400, ge=1, le=10 * 365 * 86400)


def _self_or_admin(caller, user_id: str | None) -> str:
    return caller.acting_as(user_id).user_id


@operation("/v1/user/create", UserCreate, admin=True)
async def create_user(services, caller, request: UserCreate):
    """Create a user (admin)."""
    fields = request.model_dump(exclude={"rid", "as_user"})
    user = await services.users.create(caller.app_id, fields)
    return user.to_wire()


@operation("/v1/user/import", UserImport, admin=True)
async def import_users(services, caller, request: UserImport):
    """Create or update many users (admin); bad rows are reported by index."""
    good, errors = [], []
    for index, row in enumerate(request.users):
        try:
            good.append(services.users.validate_import_row(row))
        except ProtocolError as exc:
            errors.append({"index": index, "code": exc.code, "msg": exc.msg})
    if good:
        await services.users.import_many(caller.app_id, good)
    return {"imported": len(good), "rejected": errors}


@operation("/v1/user/get", UserIds)
async def get_users(services, caller, request: UserIds):
    """Get the profiles of users by id; unknown ids are listed apart."""
    users = services.users.get_many(caller.app_id, request.user_ids)
    return {
        "users": [users[uid].to_wire() for uid in request.user_ids if uid in users],
        "missing": [uid for uid in request.user_ids if uid not in users],
    }


@operation("/v1/user/list", UserList, admin=True)
async def list_users(services, caller, request: UserList):
    """List users in id order, paged with ``after`` (admin)."""
    users = services.users.page(caller.app_id, request.after, request.limit)
    return {
        "users": [user.to_wire() for user in users],
        "next": users[-1].user_id if len(users) == request.limit else None,
    }


@operation("/v1/user/update", UserUpdate)
async def update_user(services, caller, request: UserUpdate):
    """Change profile fields of yourself, or of anyone as admin."""
    user_id = _self_or_admin(caller, request.user_id)
    if "userType" in request.changes or "user_type" in request.changes:
        caller.require_admin()
    user = await services.users.update(caller.app_id, user_id, request.changes)
    return user.to_wire()


@operation("/v1/user/delete", UserTarget, admin=True)
async def delete_user(services, caller, request: UserTarget):
    """Delete a user (admin): login stops, stored messages keep their sender."""
    user = await services.users.delete(caller.app_id, request.user_id)
    return user.to_wire()


@operation("/v1/user/silence", UserFlag, admin=True)
async def silence_user(services, caller, request: UserFlag):
    """Silence (``on``) or unsilence a user: a silenced user cannot send."""
    user = await services.users.set_flag(
        caller.app_id, request.user_id, "silenced", request.on
    )
    return user.to_wire()


@operation("/v1/user/disable", UserFlag, admin=True)
async def disable_user(services, caller, request: UserFlag):
    """Disable (``on``) or enable a user: a disabled user cannot log in."""
    user = await services.users.set_flag(
        caller.app_id, request.user_id, "disabled", request.on
    )
    return user.to_wire()


@operation("/v1/user/password", UserPassword)
async def set_password(services, caller, request: UserPassword):
    """Set or clear (``null``) the password of yourself, or of anyone as admin."""
    user_id = _self_or_admin(caller, request.user_id)
    await services.users.set_password(caller.app_id, user_id, request.password)
    return {"userId": user_id, "hasPassword": request.password is not None}


@operation("/v1/user/key/add", UserKeyAdd)
async def add_key(services, caller, request: UserKeyAdd):
    """Register an SSH public key for chat over SSH."""
    user_id = _self_or_admin(caller, request.user_id)
    return await services.users.add_key(caller.app_id, user_id, request.public_key)


@operation("/v1/user/key/list", UserKeys)
async def list_keys(services, caller, request: UserKeys):
    """List the SSH public keys of a user."""
    user_id = _self_or_admin(caller, request.user_id)
    return services.users.keys(caller.app_id, user_id)


@operation("/v1/user/key/remove", UserKeyRemove)
async def remove_key(services, caller, request: UserKeyRemove):
    """Remove an SSH public key by its fingerprint."""
    user_id = _self_or_admin(caller, request.user_id)
    await services.users.remove_key(caller.app_id, user_id, request.fingerprint)
    return {"removed": request.fingerprint}


@operation("/v1/token/issue", TokenIssue, admin=True)
async def issue_token(services, caller, request: TokenIssue):
    """Mint a userSign for a user of the app (admin), e.g. for an app server."""
    services.users.get(caller.app_id, request.user_id)
    token = services.apps.issue_token(caller.app_id, request.user_id, request.lifetime)
    if not token:
        raise ProtocolError(ErrorCode.INTERNAL_ERROR, "could not sign")
    return {"userId": request.user_id, "userSign": token, "lifetime": request.lifetime}
