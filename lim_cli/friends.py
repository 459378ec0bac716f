"""``lim friend``: friends, friend requests, tags (friend groups), blocking.

Every command is one API call (``/v1/friend/...`` or ``/v1/blacklist/...``)
made as the current user, or as USER with ``--as USER`` for an admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from .common import AS_OPTION, JSON_OPTION, call, emit, parse_extra
from .output import fail

app = typer.Typer(
    help="Friends, friend requests, tags and the blacklist.\n\n"
    "Example: lim friend add bob --as alice",
    no_args_is_help=True,
)
tag_app = typer.Typer(
    help="Tags (friend groups): name sets of friends.\n\n"
    "Example: lim friend tag create work bob carol --as alice",
    no_args_is_help=True,
)
app.add_typer(tag_app, name="tag")

FRIEND_COLUMNS = ("toId", "remark", "addSource", "black", "since")
REQUEST_COLUMNS = ("requestId", "direction", "fromId", "toId", "state", "read")
REQUEST_STATES = {0: "pending", 1: "approved", 2: "rejected"}

DELETE_USERS = typer.Argument(None, help="Friends to delete.")
CHECK_USERS = typer.Argument(..., help="Users to check.")
BLOCKED_USERS = typer.Argument(None, help="Check these users only.")
NEW_TAG_MEMBERS = typer.Argument(None, help="Friends to put in it.")
TAG_MEMBERS = typer.Argument(..., help="Friends to put in it.")
TAG_REMOVED = typer.Argument(..., help="Friends to take out.")


def _friend_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "since": _time(row.get("createdAt"))} for row in rows]


def _request_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "state": REQUEST_STATES.get(row["status"])} for row in rows]


def _time(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


# friends


@app.command("add")
def add(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="Who to add."),
    remark: str = typer.Option("", "--remark", help="Your name for them."),
    source: str = typer.Option("", "--source", help="Where you found them."),
    wording: str = typer.Option("", "--wording", help="Message for a request."),
    extra: str = typer.Option(None, "--extra", help="JSON object to keep."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Add USER as a friend, or send a request when they approve adds.

    Example: lim friend add bob --remark "Bob (work)" --wording "hi, alice here"
    """
    body: dict[str, Any] = {
        "toId": user,
        "remark": remark,
        "addSource": source,
        "wording": wording,
    }
    if extra is not None:
        body["extra"] = parse_extra(extra)
    data = call(ctx, "/v1/friend/add", body, as_user)

    def text(data: dict[str, Any]) -> str:
        if data["added"]:
            return f"{user} is now a friend"
        return f"asked {user} (request {data['request']['requestId']})"

    emit(data, as_json, text=text)


@app.command("list")
def list_friends(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List your friends (all pages).

    Example: lim friend list --json
    """
    rows: list[dict[str, Any]] = []
    after = ""
    while True:
        page = call(ctx, "/v1/friend/list", {"after": after, "limit": 1000}, as_user)
        rows.extend(page["friendships"])
        if not page["next"]:
            break
        after = page["next"]
    emit(rows, as_json, FRIEND_COLUMNS, rows=_friend_rows)


@app.command("get")
def get(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="The friend."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Show one friend.

    Example: lim friend get bob
    """
    data = call(ctx, "/v1/friend/get", {"toId": user}, as_user)
    emit(data, as_json, FRIEND_COLUMNS, rows=lambda row: _friend_rows([row]))


@app.command("update")
def update(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="The friend."),
    remark: str = typer.Option(None, "--remark", help="Your name for them."),
    source: str = typer.Option(None, "--source", help="Where you found them."),
    extra: str = typer.Option(None, "--extra", help="JSON object to keep."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Change the remark, source or extra of a friend.

    Example: lim friend update bob --remark Bobby
    """
    body: dict[str, Any] = {"toId": user}
    if remark is not None:
        body["remark"] = remark
    if source is not None:
        body["addSource"] = source
    if extra is not None:
        body["extra"] = parse_extra(extra)
    data = call(ctx, "/v1/friend/update", body, as_user)
    emit(data, as_json, FRIEND_COLUMNS, rows=lambda row: _friend_rows([row]))


@app.command("delete")
def delete(
    ctx: typer.Context,
    users: list[str] = DELETE_USERS,
    every: bool = typer.Option(False, "--all", help="Delete every friend."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before --all."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Delete friends; their rows for you stay until they delete you too.

    Example: lim friend delete bob carol
    """
    if every:
        if users:
            fail("give users or --all, not both", 2)
        if not yes and not typer.confirm("delete every friend?"):
            fail("nothing deleted")
        data = call(ctx, "/v1/friend/delete-all", {}, as_user)
        emit(data, as_json, text=lambda d: f"deleted {d['deleted']} friends")
        return
    if not users:
        fail("name the friends to delete, or pass --all", 2)
    results = [call(ctx, "/v1/friend/delete", {"toId": u}, as_user) for u in users]
    emit(results, as_json, text=lambda d: f"deleted {', '.join(users)}")


@app.command("check")
def check(
    ctx: typer.Context,
    users: list[str] = CHECK_USERS,
    one_way: bool = typer.Option(
        False, "--one-way", help="Only whether you have them."
    ),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Show the friendship with each user: none, a_has_b, b_has_a or both.

    Example: lim friend check bob carol
    """
    body = {"toIds": users, "twoWay": not one_way}
    data = call(ctx, "/v1/friend/check", body, as_user)
    emit(data["results"], as_json, ("toId", "relation"))


# friend requests


@app.command("requests")
def requests(
    ctx: typer.Context,
    sent: bool = typer.Option(False, "--sent", help="Requests you sent."),
    both: bool = typer.Option(False, "--all", help="Received and sent."),
    pending: bool = typer.Option(False, "--pending", help="Only pending ones."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List friend requests you received (or sent), newest first.

    Example: lim friend requests --pending
    """
    direction = "all" if both else "sent" if sent else "received"
    body = {"direction": direction, "pendingOnly": pending}
    data = call(ctx, "/v1/friend/request/list", body, as_user)
    rows = data["requests"]
    emit(rows, as_json, (*REQUEST_COLUMNS, "wording"), rows=_request_rows)


@app.command("read")
def read(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Mark every friend request you received as read.

    Example: lim friend read
    """
    data = call(ctx, "/v1/friend/request/read", {}, as_user)
    emit(data, as_json, text=lambda d: f"marked {d['read']} requests read")


@app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., help="The request's id."),
    remark: str = typer.Option("", "--remark", help="Your name for them."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Approve a friend request addressed to you.

    Example: lim friend approve 12 --remark Alice
    """
    body = {"requestId": request_id, "remark": remark}
    data = call(ctx, "/v1/friend/request/approve", body, as_user)
    peer = data["request"]["fromId"]
    emit(data, as_json, text=lambda d: f"{peer} is now a friend")


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., help="The request's id."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Reject a friend request addressed to you.

    Example: lim friend reject 12
    """
    data = call(ctx, "/v1/friend/request/reject", {"requestId": request_id}, as_user)
    emit(data, as_json, text=lambda d: f"rejected request {request_id}")


# blacklist


@app.command("block")
def block(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="Who to block."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Block USER: their messages and adds are refused; a friendship stays.

    Example: lim friend block mallory
    """
    data = call(ctx, "/v1/blacklist/add", {"toId": user}, as_user)
    emit(data, as_json, text=lambda d: f"blocked {user}")


@app.command("unblock")
def unblock(
    ctx: typer.Context,
    user: str = typer.Argument(..., help="Who to unblock."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Unblock USER; a friendship you had is back as it was.

    Example: lim friend unblock mallory
    """
    data = call(ctx, "/v1/blacklist/remove", {"toId": user}, as_user)
    emit(data, as_json, text=lambda d: f"unblocked {user}")


@app.command("blocked")
def blocked(
    ctx: typer.Context,
    users: list[str] = BLOCKED_USERS,
    one_way: bool = typer.Option(
        False, "--one-way", help="Only whether you blocked them."
    ),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List who you blocked, or check USERS: none, a_blocked_b, b_blocked_a, both.

    Example: lim friend blocked mallory bob
    """
    if users:
        body = {"toIds": users, "twoWay": not one_way}
        data = call(ctx, "/v1/blacklist/check", body, as_user)
        emit(data["results"], as_json, ("toId", "relation"))
        return
    data = call(ctx, "/v1/blacklist/list", {}, as_user)
    emit(data["blocked"], as_json, ("toId", "remark", "status"))


# tags


@tag_app.command("create")
def tag_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The tag's name."),
    members: list[str] = NEW_TAG_MEMBERS,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Create a tag, optionally with friends in it.

    Example: lim friend tag create work bob carol
    """
    body = {"name": name, "members": members or []}
    data = call(ctx, "/v1/friend/group/create", body, as_user)
    emit(data, as_json, text=_tag_line)


@tag_app.command("delete")
def tag_delete(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The tag's name."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Delete a tag; the friends in it stay friends.

    Example: lim friend tag delete work
    """
    data = call(ctx, "/v1/friend/group/delete", {"name": name}, as_user)
    emit(data, as_json, text=lambda d: f"deleted tag {name}")


@tag_app.command("add")
def tag_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The tag's name."),
    members: list[str] = TAG_MEMBERS,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Put friends into a tag.

    Example: lim friend tag add work dave
    """
    body = {"name": name, "members": members}
    data = call(ctx, "/v1/friend/group/add", body, as_user)
    emit(data, as_json, text=_tag_line)


@tag_app.command("remove")
def tag_remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The tag's name."),
    members: list[str] = TAG_REMOVED,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Take friends out of a tag.

    Example: lim friend tag remove work dave
    """
    body = {"name": name, "members": members}
    data = call(ctx, "/v1/friend/group/remove", body, as_user)
    emit(data, as_json, text=_tag_line)


@tag_app.command("list")
def tag_list(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List your tags with their friends.

    Example: lim friend tag list
    """
    data = call(ctx, "/v1/friend/group/list", {}, as_user)
    rows = [{**g, "members": " ".join(g["members"])} for g in data["groups"]]
    if as_json:
        emit(data["groups"], True)
        return
    emit(rows, False, ("name", "members"))


def _tag_line(group: dict[str, Any]) -> str:
    return f"{group['name']}: {' '.join(group['members']) or '(empty)'}"
