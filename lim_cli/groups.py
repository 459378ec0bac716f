"""``lim group``: create, manage and inspect groups from the shell.

Every command is one API call (``/v1/group/...``) as the current credentials
or, for an admin, ``--as USER``. Permission rules are the server's.
"""

from __future__ import annotations

import re
import time
from typing import Any

import typer

from .common import AS_OPTION, JSON_OPTION, call, emit, parse_extra
from .output import fail

app = typer.Typer(
    name="group",
    help="Groups: members, roles, mutes and join requests.\n\n"
    'Example: lim group create "Rust fans" --id rust --public -m bob --as alice',
    no_args_is_help=True,
)

MEMBER_COLUMNS = ("memberId", "role", "alias", "muteUntil", "joinedAt")
GROUP_COLUMNS = ("groupId", "name", "type", "joinMode", "role", "muteAll")
REQUEST_COLUMNS = ("requestId", "groupId", "userId", "status", "wording")

# A mute with no end: the last millisecond of the year 9999.
FOREVER_MS = 253402300799000

MEMBERS_OPTION = typer.Option([], "--member", "-m", help="Initial member (repeatable).")
USERS_ARGUMENT = typer.Argument(..., help="Users to add.")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``90s``, ``10m``, ``2h``, ``1d`` or ``1w``."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", text)
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a duration like 10m, 2h or 1d")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def _group_text(group: dict[str, Any]) -> str:
    lines = [
        f"{group['groupId']}  {group.get('name') or '(no name)'}",
        f"  type {group['type']}, join {group['joinMode']}, owner {group['ownerId']}",
        f"  members {group.get('memberCount', '?')}"
        + (", muted" if group.get("muteAll") else "")
        + (", dismissed" if group.get("dismissed") else ""),
    ]
    if group.get("notice"):
        lines.append(f"  notice: {group['notice']}")
    if group.get("introduction"):
        lines.append(f"  about: {group['introduction']}")
    for member in group.get("members", []):
        alias = f" ({member['alias']})" if member.get("alias") else ""
        lines.append(f"  - {member['memberId']}{alias} {member['role']}")
    return "\n".join(lines)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The group's display name."),
    group_id: str = typer.Option(None, "--id", help="Group id (default: random)."),
    public: bool = typer.Option(
        False, "--public", help="Joinable by request (default: private, invite only)."
    ),
    free: bool = typer.Option(
        False, "--free", help="With --public: join without approval."
    ),
    members: list[str] = MEMBERS_OPTION,
    owner: str = typer.Option(None, "--owner", help="Owner (admins only)."),
    notice: str = typer.Option("", "--notice", help="Notice shown to members."),
    introduction: str = typer.Option("", "--introduction", help="What it is about."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Create a group; you (or --owner) own it.

    Example: lim group create "Rust fans" --id rust --public -m bob -m carol
    """
    body: dict[str, Any] = {
        "name": name,
        "type": "public" if public else "private",
        "joinMode": "free" if free else "approval",
        "memberIds": members,
        "notice": notice,
        "introduction": introduction,
    }
    if group_id:
        body["groupId"] = group_id
    if owner:
        body["ownerId"] = owner
    data = call(ctx, "/v1/group/create", body, as_user)
    emit(data, as_json, text=lambda g: f"created {g['groupId']}")


@app.command("info")
def info(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Show a group's info and members.

    Example: lim group info rust
    """
    data = call(ctx, "/v1/group/get", {"groupId": group_id}, as_user)
    emit(data, as_json, text=_group_text)


@app.command("list")
def list_groups(
    ctx: typer.Context,
    after: str = typer.Option("", "--after", help="Start after this group id."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List the groups you are in.

    Example: lim group list --as alice --json
    """
    data = call(ctx, "/v1/group/list", {"after": after, "limit": limit}, as_user)
    emit(data, as_json, columns=GROUP_COLUMNS, rows=lambda d: d["groups"])


@app.command("update")
def update(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    name: str = typer.Option(None, "--name"),
    avatar: str = typer.Option(None, "--avatar"),
    notice: str = typer.Option(None, "--notice"),
    introduction: str = typer.Option(None, "--introduction"),
    join_mode: str = typer.Option(None, "--join", help="approval or free."),
    extra: str = typer.Option(None, "--extra", help="A JSON object."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Change a group's name, avatar, notice, introduction, join mode or extra.

    Example: lim group update rust --notice "Meetup on Friday"
    """
    changes = {
        "name": name,
        "avatar": avatar,
        "notice": notice,
        "introduction": introduction,
        "joinMode": join_mode,
        "extra": parse_extra(extra),
    }
    body = {key: value for key, value in changes.items() if value is not None}
    if not body:
        fail("nothing to change: give --name, --notice, ... ", code=2)
    data = call(ctx, "/v1/group/update", {"groupId": group_id, **body}, as_user)
    emit(data, as_json, text=lambda g: f"updated {g['groupId']}")


@app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Dismiss a group (owner or admin); members keep its history.

    Example: lim group dismiss rust --yes
    """
    if not yes:
        typer.confirm(f"dismiss {group_id}?", abort=True, err=True)
    data = call(ctx, "/v1/group/dismiss", {"groupId": group_id}, as_user)
    emit(data, as_json, text=lambda g: f"dismissed {g['groupId']}")


@app.command("transfer")
def transfer(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    new_owner: str = typer.Argument(..., help="The member who becomes owner."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Hand a group to another member; you become a member.

    Example: lim group transfer rust bob
    """
    body = {"groupId": group_id, "ownerId": new_owner}
    data = call(ctx, "/v1/group/transfer", body, as_user)
    emit(data, as_json, text=lambda g: f"{g['groupId']} is now owned by {g['ownerId']}")


@app.command("add")
def add(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    users: list[str] = USERS_ARGUMENT,
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Add (invite) users to a group.

    Example: lim group add rust dave erin
    """
    body = {"groupId": group_id, "memberIds": users}
    data = call(ctx, "/v1/group/member/add", body, as_user)

    def text(d: dict[str, Any]) -> str:
        line = f"added {', '.join(d['added']) or 'nobody'}"
        if d["alreadyMembers"]:
            line += f"; already members: {', '.join(d['alreadyMembers'])}"
        return line

    emit(data, as_json, text=text)


@app.command("remove")
def remove(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    user: str = typer.Argument(..., help="Member to remove."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Remove a member from a group.

    Example: lim group remove rust dave
    """
    body = {"groupId": group_id, "memberId": user}
    data = call(ctx, "/v1/group/member/remove", body, as_user)
    emit(data, as_json, text=lambda d: f"removed {d['memberId']} from {d['groupId']}")


@app.command("leave")
def leave(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Leave a group (an owner transfers or dismisses it instead).

    Example: lim group leave rust --as bob
    """
    data = call(ctx, "/v1/group/member/leave", {"groupId": group_id}, as_user)
    emit(data, as_json, text=lambda d: f"left {d['groupId']}")


@app.command("members")
def members_(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List a group's members with their roles.

    Example: lim group members rust --json
    """
    data = call(ctx, "/v1/group/member/list", {"groupId": group_id}, as_user)
    emit(data, as_json, columns=MEMBER_COLUMNS)


@app.command("role")
def role(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    user: str = typer.Argument(..., help="Member."),
    new_role: str = typer.Argument(None, help="manager or member."),
    alias: str = typer.Option(None, "--alias", help="Set the member's alias."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Make a member a manager or a member again, or set their alias.

    Example: lim group role rust bob manager
    """
    if new_role is None and alias is None:
        fail("give a role (manager or member) or --alias", code=2)
    body: dict[str, Any] = {"groupId": group_id, "memberId": user}
    if new_role is not None:
        body["role"] = new_role
    if alias is not None:
        body["alias"] = alias
    data = call(ctx, "/v1/group/member/update", body, as_user)
    emit(data, as_json, text=lambda m: f"{m['memberId']} is {m['role']} in {group_id}")


@app.command("mute")
def mute(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    user: str = typer.Argument(None, help="Member to mute (none: the group)."),
    duration: str = typer.Option(
        None, "--for", help="How long, e.g. 10m, 2h, 1d (default: until unmuted)."
    ),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Mute a member, or the whole group when no member is given.

    Example: lim group mute rust dave --for 1h
    """
    if user is None:
        if duration is not None:
            fail("--for applies to a member; a group stays muted until unmuted", 2)
        data = call(ctx, "/v1/group/mute", {"groupId": group_id, "mute": True}, as_user)
        emit(data, as_json, text=lambda g: f"muted {g['groupId']}")
        return
    if duration is None:
        until = FOREVER_MS
    else:
        until = int(time.time() * 1000) + parse_duration(duration) * 1000
    body = {"groupId": group_id, "memberId": user, "muteUntil": until}
    data = call(ctx, "/v1/group/member/mute", body, as_user)
    emit(data, as_json, text=lambda m: f"muted {m['memberId']} in {group_id}")


@app.command("unmute")
def unmute(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    user: str = typer.Argument(None, help="Member to unmute (none: the group)."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Unmute a member, or the whole group when no member is given.

    Example: lim group unmute rust dave
    """
    if user is None:
        body: dict[str, Any] = {"groupId": group_id, "mute": False}
        data = call(ctx, "/v1/group/mute", body, as_user)
        emit(data, as_json, text=lambda g: f"unmuted {g['groupId']}")
        return
    body = {"groupId": group_id, "memberId": user, "muteUntil": 0}
    data = call(ctx, "/v1/group/member/mute", body, as_user)
    emit(data, as_json, text=lambda m: f"unmuted {m['memberId']} in {group_id}")


@app.command("join")
def join(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id of a public group."),
    wording: str = typer.Option("", "--message", "-m", help="A word to the managers."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Join a public group, or ask to when it needs approval.

    Example: lim group join rust -m "hi, I write Rust too"
    """
    body = {"groupId": group_id, "wording": wording}
    data = call(ctx, "/v1/group/join", body, as_user)

    def text(d: dict[str, Any]) -> str:
        if d["joined"]:
            return f"joined {d['groupId']}"
        return f"asked to join {d['groupId']} (request {d['request']['requestId']})"

    emit(data, as_json, text=text)


@app.command("requests")
def requests(
    ctx: typer.Context,
    group_id: str = typer.Argument(..., help="Group id."),
    status: str = typer.Option(
        "pending", "--status", help="pending, approved, rejected or all."
    ),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """List join requests of a group (owner and managers).

    Example: lim group requests rust --status all
    """
    body: dict[str, Any] = {"groupId": group_id}
    body["status"] = None if status == "all" else status
    data = call(ctx, "/v1/group/request/list", body, as_user)
    emit(data, as_json, columns=REQUEST_COLUMNS)


@app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., help="Join request id."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Approve a join request.

    Example: lim group approve 7
    """
    data = call(ctx, "/v1/group/request/approve", {"requestId": request_id}, as_user)
    emit(data, as_json, text=lambda r: f"{r['userId']} joined {r['groupId']}")


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., help="Join request id."),
    as_json: bool = JSON_OPTION,
    as_user: str = AS_OPTION,
) -> None:
    """Reject a join request.

    Example: lim group reject 7
    """
    data = call(ctx, "/v1/group/request/reject", {"requestId": request_id}, as_user)
    emit(data, as_json, text=lambda r: f"rejected {r['userId']} for {r['groupId']}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="group")
