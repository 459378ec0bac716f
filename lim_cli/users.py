"""``lim user``: accounts, profiles, flags, passwords and SSH keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from .common import JSON_OPTION, YES_OPTION, call, confirm, emit, parse_extra
from .output import fail

app = typer.Typer(
    name="user",
    help="Manage the users of an app.\n\nExample: lim user add alice --nickname Alice",
    no_args_is_help=True,
)
keys = typer.Typer(
    name="key",
    help="SSH public keys for chat over SSH.\n\n"
    "Example: lim user key add alice ~/.ssh/id_ed25519.pub",
    no_args_is_help=True,
)
app.add_typer(keys)

USER_COLUMNS = ["userId", "nickname", "userType", "silenced", "disabled"]


def _profile(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


@app.command("add")
def add(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER", help="The new user's id."),
    nickname: str = typer.Option(None, "--nickname", help="Display name."),
    password: str = typer.Option(None, "--password", help="Allow password login."),
    avatar: str = typer.Option(None, "--avatar", help="Avatar URL."),
    signature: str = typer.Option(None, "--signature", help="Status line."),
    extra: str = typer.Option(None, "--extra", help="Extra fields, a JSON object."),
    admin: bool = typer.Option(False, "--admin", help="Make an app admin (type 100)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a user.

    Example: lim user add alice --nickname Alice --password s3cret
    """
    body = _profile(
        userId=user_id,
        nickname=nickname,
        password=password,
        avatar=avatar,
        signature=signature,
        extra=parse_extra(extra),
        userType=100 if admin else None,
    )
    data = call(ctx, "/v1/user/create", body)
    emit(data, as_json, text=lambda d: f"created {d['userId']}")


@app.command("get")
def get(
    ctx: typer.Context,
    user_ids: list[str] = typer.Argument(..., metavar="USER...", help="User ids."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the profiles of users; exit 1 if one is missing.

    Example: lim user get alice bob --json
    """
    data = call(ctx, "/v1/user/get", {"userIds": user_ids})
    emit(data["users"], as_json, columns=[*USER_COLUMNS, "signature"])
    if data["missing"]:
        fail("no such user: " + ", ".join(data["missing"]))


@app.command("list")
def list_users(
    ctx: typer.Context,
    after: str = typer.Option("", "--after", help="Start after this user id."),
    limit: int = typer.Option(100, "--limit", min=1, help="How many users."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List users in id order (admin).

    Example: lim user list --limit 20
    """
    users: list[dict[str, Any]] = []
    cursor = after
    while len(users) < limit:
        page = min(1000, limit - len(users))
        data = call(ctx, "/v1/user/list", {"after": cursor, "limit": page})
        users.extend(data["users"])
        if not data["next"]:
            break
        cursor = data["next"]
    emit(users, as_json, columns=USER_COLUMNS)


@app.command("update")
def update(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER", help="The user to change."),
    nickname: str = typer.Option(None, "--nickname", help="Display name."),
    avatar: str = typer.Option(None, "--avatar", help="Avatar URL."),
    signature: str = typer.Option(None, "--signature", help="Status line."),
    gender: int = typer.Option(None, "--gender", help="0 unknown, 1, 2."),
    extra: str = typer.Option(None, "--extra", help="Extra fields, a JSON object."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change profile fields of a user.

    Example: lim user update alice --nickname "Alice L."
    """
    changes = _profile(
        nickname=nickname,
        avatar=avatar,
        signature=signature,
        gender=gender,
        extra=parse_extra(extra),
    )
    if not changes:
        fail("nothing to change: pass --nickname, --avatar, ...", 2)
    data = call(ctx, "/v1/user/update", {"userId": user_id, "changes": changes})
    emit(data, as_json, text=lambda d: f"updated {d['userId']}")


@app.command("delete")
def delete(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER", help="The user to delete."),
    yes: bool = YES_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a user: login stops, stored messages keep their sender.

    Example: lim user delete mallory --yes
    """
    confirm(f"delete user {user_id}?", yes)
    data = call(ctx, "/v1/user/delete", {"userId": user_id})
    emit(data, as_json, text=lambda d: f"deleted {d['userId']}")


@app.command("passwd")
def passwd(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER", help="Whose password."),
    password: str | None = typer.Option(
        None, "--password", help="The new password (else prompted, or stdin)."
    ),
    clear: bool = typer.Option(False, "--clear", help="Remove the password."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set or clear a user's password (for 'lim login' and password login).

    Example: echo s3cret | lim user passwd alice
    """
    if clear:
        password = None
    elif password is None and sys.stdin.isatty():
        password = typer.prompt(
            "new password", hide_input=True, confirmation_prompt=True
        )
    elif password is None:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on stdin", 2)
    data = call(ctx, "/v1/user/password", {"userId": user_id, "password": password})
    state = "set" if data["hasPassword"] else "cleared"
    emit(data, as_json, text=lambda d: f"password {state} for {d['userId']}")


def _flag(ctx: typer.Context, path: str, user_id: str, on: bool, word: str, as_json):
    data = call(ctx, path, {"userId": user_id, "on": on})
    emit(data, as_json, text=lambda d: f"{word} {d['userId']}")


@app.command("silence")
def silence(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Silence a user: they stay online but cannot send.

    Example: lim user silence mallory
    """
    _flag(ctx, "/v1/user/silence", user_id, True, "silenced", as_json)


@app.command("unsilence")
def unsilence(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Let a silenced user send again.

    Example: lim user unsilence mallory
    """
    _flag(ctx, "/v1/user/silence", user_id, False, "unsilenced", as_json)


@app.command("disable")
def disable(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Disable a user: their devices are logged out and login is refused.

    Example: lim user disable mallory
    """
    _flag(ctx, "/v1/user/disable", user_id, True, "disabled", as_json)


@app.command("enable")
def enable(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Let a disabled user log in again.

    Example: lim user enable mallory
    """
    _flag(ctx, "/v1/user/disable", user_id, False, "enabled", as_json)


@keys.command("add")
def key_add(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    key: str = typer.Argument(
        ..., metavar="KEY", help="A public key file, a key line, or - for stdin."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register an OpenSSH public key for a user.

    Example: lim user key add alice ~/.ssh/id_ed25519.pub
    """
    if key == "-":
        text = sys.stdin.read()
    elif Path(key).expanduser().is_file():
        text = Path(key).expanduser().read_text()
    else:
        text = key
    data = call(ctx, "/v1/user/key/add", {"userId": user_id, "publicKey": text.strip()})
    emit(data, as_json, text=lambda d: f"added {d['fingerprint']}")


@keys.command("list")
def key_list(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    as_json: bool = JSON_OPTION,
) -> None:
    """List a user's SSH public keys.

    Example: lim user key list alice
    """
    data = call(ctx, "/v1/user/key/list", {"userId": user_id})
    emit(data, as_json, columns=["fingerprint", "comment", "created_at"])


@keys.command("remove")
def key_remove(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="USER"),
    fingerprint: str = typer.Argument(..., help="SHA256:... as listed."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a user's SSH public key by fingerprint.

    Example: lim user key remove alice SHA256:Qx...
    """
    data = call(
        ctx, "/v1/user/key/remove", {"userId": user_id, "fingerprint": fingerprint}
    )
    emit(data, as_json, text=lambda d: f"removed {d['removed']}")


def register(main: typer.Typer) -> None:
    main.add_typer(app)
