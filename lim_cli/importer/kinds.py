"""What an import file holds, and how its rows map to the bulk operations.

Column names may be camelCase (``userId``) or snake_case (``user_id``).
CSV cells arrive as text, so the fields that are numbers or JSON objects
are converted here; a cell that does not convert is sent as it is and the
server rejects the row with its reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    key: str
    integers: frozenset[str] = frozenset()
    objects: frozenset[str] = frozenset({"extra"})


KINDS = {
    "users": Kind(
        "users",
        "/v1/user/import",
        "users",
        frozenset({"gender", "userType", "friendPolicy"}),
    ),
    "friendships": Kind(
        "friendships", "/v1/friend/import", "friendships", frozenset({"addSource"})
    ),
    "groups": Kind(
        "groups",
        "/v1/group/import",
        "groups",
        frozenset({"type", "maxMembers", "joinPolicy"}),
    ),
    "members": Kind(
        "members", "/v1/group/member/import", "members", frozenset({"role"})
    ),
}


def camel(name: str) -> str:
    """``user_id`` -> ``userId``; camelCase names pass unchanged."""
    head, *rest = name.strip().split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def infer_kind(columns: list[str]) -> str | None:
    """The kind of rows with these columns, or None when unclear."""
    names = {camel(column) for column in columns}
    if "fromId" in names and "toId" in names:
        return "friendships"
    if "groupId" in names and "memberId" in names:
        return "members"
    if "groupId" in names and names & {"name", "ownerId"}:
        return "groups"
    if "userId" in names:
        return "users"
    return None


_NAMES: dict[str, str] = {}


def map_row(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    """The row with camelCase keys and CSV text converted where it must be."""
    out: dict[str, Any] = {}
    special = kind.integers | kind.objects
    for key, value in row.items():
        name = _NAMES.get(key)
        if name is None:
            name = _NAMES[key] = camel(key)
        if name in special and type(value) is str:
            value = _convert(kind, name, value)
        out[name] = value
    return out


def _convert(kind: Kind, name: str, value: str) -> Any:
    if name in kind.integers:
        try:
            return int(value)
        except ValueError:
            return value
    if name in kind.objects and value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
