"""Relations: friends, friend requests, friend groups, the blacklist.

Every change is one atomic write (see :mod:`lim_server.store.relation_writes`),
then one push of a 3000-family event to each affected user's online
devices. The device a request came on gets the answer in its reply, so it is
skipped for the caller's own rows; every other device, the caller's other
devices included, gets the event.

The service also owns the checks on sending 1:1 messages (registered in
``MessageService.checks``), see :mod:`.send_checks`, and the sync kinds
``friends`` (friendship rows, block flags included), ``friendRequests`` and
``friendGroups``.
"""

from __future__ import annotations

import logging
from typing import Any

from lim_protocol.commands import Command
from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import FRIEND_POLICY_FREE, User
from ..routing import LocalRouter
from ..store import Store
from ..store import relation_writes as ops
from ..store import relations as rel
from ..store.relations import FriendFields, RelationStore, request_wire
from .context import Caller
from .messages import MessageService
from .send_checks import SendChecks
from .sync import SyncService

log = logging.getLogger(__name__)

MAX_REMARK = 128
MAX_SOURCE = 64
MAX_WORDING = 512
MAX_GROUP_NAME = 64


IMPORT_FIELDS = {"fromId", "toId", "remark", "addSource", "extra"}
IMPORT_CHUNK = 10_000


def import_row(raw: Any) -> dict[str, Any]:
    """Check one row of ``/v1/friend/import``; raise ValueError with the reason.

    Written out by hand rather than as a model: an import holds up to 100,000
    rows, and this runs on the event loop. A null optional field is absent.
    """
    if not isinstance(raw, dict):
        raise ValueError("a row must be an object")
    unknown = raw.keys() - IMPORT_FIELDS
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r}")
    for key in ("fromId", "toId"):
        value = raw.get(key)
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise ValueError(f"{key} must be a user id of 1-64 characters")
    for key, limit in (("remark", MAX_REMARK), ("addSource", MAX_SOURCE)):
        value = raw.get(key) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(f"{key} must be text of at most {limit} characters")
    if not isinstance(raw.get("extra") or {}, dict):
        raise ValueError("extra must be an object")
    return raw


class RelationService:
    def __init__(
        self,
        store: Store,
        router: LocalRouter,
        messages: MessageService,
        sync: SyncService,
    ) -> None:
        self.store = store
        self.router = router
        self.send_checks = SendChecks(store)
        messages.checks.append(self.send_checks.check)
        messages.listeners.append(self.send_checks.on_message)
        sync.register("friends", self._pull_friends, self._friends_cursor)
        sync.register("friendRequests", self._pull_requests, self._requests_cursor)
        sync.register("friendGroups", self._pull_groups, self._groups_cursor)

    @property
    def relations(self) -> RelationStore:
        return self.store.relations

    # used by other services

    def friend_ids(self, app_id: int, user_id: str) -> list[str]:
        """Ids of the user's friends: normal rows, neither deleted nor blocked."""
        return self.relations.friend_ids(app_id, user_id)

    def is_blocked(self, app_id: int, owner_id: str, target_id: str) -> bool:
        """Whether ``owner_id`` has blocked ``target_id``."""
        return self.relations.is_blocked(app_id, owner_id, target_id)

    # helpers

    def _user(self, app_id: int, user_id: str) -> User:
        user = self.store.users.get(app_id, user_id)
        if user is None or user.deleted:
            raise ProtocolError(ErrorCode.USER_NOT_FOUND, f"no user {user_id!r}")
        return user

    def _other(self, caller: Caller, target_id: str, verb: str = "befriend") -> User:
        """The caller must exist; the target must exist and be someone else."""
        self._user(caller.app_id, caller.user_id)
        if target_id == caller.user_id:
            raise ProtocolError(ErrorCode.FRIEND_SELF, f"you cannot {verb} yourself")
        return self._user(caller.app_id, target_id)

    def _push(
        self,
        caller: Caller,
        user_id: str,
        command: Command,
        payload: Any,
        skip_origin: bool = False,
    ) -> None:
        exclude = caller.origin if skip_origin and user_id == caller.user_id else None
        self.router.push(caller.app_id, [user_id], command, payload, exclude=exclude)

    def _push_requests(
        self, caller: Caller, command: Command, rows: list[Any], skip_origin: bool
    ) -> None:
        for row in rows:
            for viewer in (row["from_id"], row["to_id"]):
                wire = request_wire(row, viewer)
                self._push(caller, viewer, command, wire, skip_origin)

    def _push_friendships(
        self, caller: Caller, command: Command, rows: list[dict[str, Any]]
    ) -> None:
        for row in rows:
            self._push(caller, row["fromId"], command, row, skip_origin=True)

    # friends

    async def add(
        self,
        caller: Caller,
        to_id: str,
        fields: FriendFields,
        wording: str = "",
    ) -> dict[str, Any]:
        """Add a friend directly, or ask them when their policy needs approval."""
        target = self._other(caller, to_id)
        owner = caller.user_id
        if self.relations.is_blocked(caller.app_id, to_id, owner):
            raise ProtocolError(
                ErrorCode.BLOCKED_BY_RECEIVER, f"{to_id!r} has blocked you"
            )
        existing = self.relations.friendship(caller.app_id, owner, to_id)
        if existing is not None and existing["status"] == rel.NORMAL:
            raise ProtocolError(
                ErrorCode.FRIEND_EXISTS, f"{to_id!r} is already a friend"
            )

        # Someone who still has the caller as a friend needs no new approval.
        back = self.relations.friendship(caller.app_id, to_id, owner)
        direct = target.friend_policy == FRIEND_POLICY_FREE or (
            back is not None and back["status"] == rel.NORMAL
        )
        if not direct:
            row = await self.relations.write(
                ops.create_request, caller.app_id, owner, to_id, wording, fields
            )
            self._push_requests(caller, Command.FRIEND_REQUEST, [row], True)
            return {"added": False, "request": request_wire(row, owner)}

        result = await self.relations.write(
            ops.add_direct, caller.app_id, owner, to_id, fields, False
        )
        self.send_checks.forget_pair(caller.app_id, owner, to_id)
        self._push_friendships(caller, Command.FRIEND_ADDED, result["friendships"])
        self._push_requests(
            caller, Command.FRIEND_REQUEST_APPROVED, result["requests"], False
        )
        return {"added": True, "friendship": result["friendships"][0]}

    async def update(
        self, caller: Caller, to_id: str, fields: FriendFields
    ) -> dict[str, Any]:
        """Change the remark, source or extra of one of the caller's friends."""
        row = await self.relations.write(
            ops.update, caller.app_id, caller.user_id, to_id, fields
        )
        self._push(caller, caller.user_id, Command.FRIEND_UPDATED, row, True)
        return row

    async def delete(self, caller: Caller, to_id: str) -> dict[str, Any]:
        """Delete one friend (the caller's row only; theirs is untouched)."""
        result = await self.relations.write(
            ops.delete, caller.app_id, caller.user_id, to_id
        )
        self.send_checks.forget_pair(caller.app_id, caller.user_id, to_id)
        row = result["friendships"][0]
        self._push(caller, caller.user_id, Command.FRIEND_DELETED, row, True)
        for group in result["groups"]:
            self._push(
                caller,
                caller.user_id,
                Command.FRIEND_GROUP_MEMBER_DELETED,
                group,
                True,
            )
        return {"friendship": row, "groups": result["groups"]}

    async def delete_all(self, caller: Caller) -> dict[str, Any]:
        """Delete every friend of the caller; blocked rows keep their flag."""
        result = await self.relations.write(
            ops.delete_all, caller.app_id, caller.user_id
        )
        rows = result["friendships"]
        for row in rows:
            self.send_checks.forget_pair(caller.app_id, caller.user_id, row["toId"])
        event = {
            "fromId": caller.user_id,
            "toIds": [row["toId"] for row in rows],
            "maxSequence": rows[-1]["sequence"] if rows else None,
        }
        self._push(caller, caller.user_id, Command.FRIENDS_DELETED_ALL, event, True)
        for group in result["groups"]:
            self._push(
                caller,
                caller.user_id,
                Command.FRIEND_GROUP_MEMBER_DELETED,
                group,
                True,
            )
        return {"deleted": len(rows), "toIds": event["toIds"]}

    def get(self, caller: Caller, to_id: str) -> dict[str, Any]:
        row = self.relations.friendship(caller.app_id, caller.user_id, to_id)
        if row is None or row["status"] != rel.NORMAL:
            raise ProtocolError(
                ErrorCode.FRIEND_NOT_FOUND, f"{to_id!r} is not a friend"
            )
        return rel.friendship_wire(row)

    def list_friends(self, caller: Caller, after: str, limit: int) -> dict[str, Any]:
        rows = self.relations.friendships(caller.app_id, caller.user_id, after, limit)
        wire = [rel.friendship_wire(row) for row in rows]
        return {
            "friendships": wire,
            "next": wire[-1]["toId"] if len(wire) == limit else None,
        }

    def check(self, caller: Caller, to_ids: list[str], two_way: bool) -> list[Any]:
        """Per id: ``none``, ``a_has_b`` (the caller has them), ``b_has_a``, ``both``.

        One-way checks only the caller's side, so it answers none or a_has_b.
        """
        pairs = self.relations.pairs(caller.app_id, caller.user_id, to_ids)
        results = []
        for to_id in to_ids:
            mine = pairs.get((caller.user_id, to_id))
            theirs = pairs.get((to_id, caller.user_id)) if two_way else None
            a = mine is not None and mine["status"] == rel.NORMAL
            b = theirs is not None and theirs["status"] == rel.NORMAL
            results.append({"toId": to_id, "relation": _relation(a, b, "has")})
        return results

    async def import_many(self, caller: Caller, rows: list[Any]) -> dict[str, Any]:
        """Create or restore friendship rows in bulk, without notifications."""
        good: list[dict[str, Any]] = []
        indexes: list[int] = []
        rejected: list[dict[str, Any]] = []
        for index, raw in enumerate(rows):
            try:
                row = import_row(raw)
            except ValueError as exc:
                code = int(ErrorCode.INVALID_PARAMS)
                rejected.append({"index": index, "code": code, "msg": str(exc)})
                continue
            if row["fromId"] == row["toId"]:
                rejected.append(
                    {
                        "index": index,
                        "code": int(ErrorCode.FRIEND_SELF),
                        "msg": "fromId and toId are the same user",
                    }
                )
                continue
            good.append(row)
            indexes.append(index)

        ids = list({r["fromId"] for r in good} | {r["toId"] for r in good})
        known = self.relations.existing_users(caller.app_id, ids)
        valid = []
        for index, row in zip(indexes, good, strict=True):
            missing = [uid for uid in (row["fromId"], row["toId"]) if uid not in known]
            if missing:
                rejected.append(
                    {
                        "index": index,
                        "code": int(ErrorCode.USER_NOT_FOUND),
                        "msg": f"no user {missing[0]!r}",
                    }
                )
            else:
                valid.append(row)
        rejected.sort(key=lambda item: item["index"])

        # Chunks keep other writers from waiting behind one huge transaction.
        imported = 0
        for start in range(0, len(valid), IMPORT_CHUNK):
            chunk = valid[start : start + IMPORT_CHUNK]
            imported += await self.relations.write(
                ops.import_rows, caller.app_id, chunk
            )
        if imported:
            self.send_checks.forget_app(caller.app_id)
        log.info("imported %d friendships, rejected %d", imported, len(rejected))
        return {"imported": imported, "rejected": rejected}

    # friend requests

    def requests(
        self, caller: Caller, direction: str, pending_only: bool
    ) -> list[dict[str, Any]]:
        directions = ("received", "sent") if direction == "all" else (direction,)
        out: list[dict[str, Any]] = []
        for one in directions:
            rows = self.relations.requests(
                caller.app_id, caller.user_id, one, pending_only
            )
            out.extend(request_wire(row, caller.user_id) for row in rows)
        return out

    async def read_requests(self, caller: Caller) -> dict[str, Any]:
        rows = await self.relations.write(ops.read_all, caller.app_id, caller.user_id)
        ids = [row["request_id"] for row in rows]
        if ids:
            event = {"toId": caller.user_id, "requestIds": ids}
            self._push(caller, caller.user_id, Command.FRIEND_REQUEST_READ, event, True)
        return {"read": len(ids), "requestIds": ids}

    async def approve(
        self, caller: Caller, request_id: int, fields: FriendFields
    ) -> dict[str, Any]:
        """Approve a request addressed to the caller: both become friends."""
        self._user(caller.app_id, caller.user_id)
        asked = self.relations.request(caller.app_id, request_id)
        if asked is not None and asked["to_id"] == caller.user_id:
            self._user(caller.app_id, asked["from_id"])
        result = await self.relations.write(
            ops.approve, caller.app_id, caller.user_id, request_id, fields
        )
        requester = result["friendships"][0]["fromId"]
        self.send_checks.forget_pair(caller.app_id, caller.user_id, requester)
        self._push_requests(
            caller, Command.FRIEND_REQUEST_APPROVED, result["requests"], True
        )
        self._push_friendships(caller, Command.FRIEND_ADDED, result["friendships"])
        handled = next(r for r in result["requests"] if r["request_id"] == request_id)
        return {
            "request": request_wire(handled, caller.user_id),
            "friendship": result["friendships"][1],
        }

    async def reject(self, caller: Caller, request_id: int) -> dict[str, Any]:
        row = await self.relations.write(
            ops.reject, caller.app_id, caller.user_id, request_id
        )
        self._push_requests(caller, Command.FRIEND_REQUEST_REJECTED, [row], True)
        return request_wire(row, caller.user_id)

    # friend groups

    def _check_name(self, name: str) -> str:
        name = name.strip()
        if not name or len(name) > MAX_GROUP_NAME:
            raise ProtocolError(
                ErrorCode.INVALID_PARAMS,
                f"a friend group name has 1-{MAX_GROUP_NAME} characters",
            )
        return name

    async def _group_change(
        self, caller: Caller, command: Command, operation: Any, *args: Any
    ) -> dict[str, Any]:
        group = await self.relations.write(
            operation, caller.app_id, caller.user_id, *args
        )
        self._push(caller, caller.user_id, command, group, True)
        return group

    async def create_group(
        self, caller: Caller, name: str, members: list[str]
    ) -> dict[str, Any]:
        return await self._group_change(
            caller,
            Command.FRIEND_GROUP_CREATED,
            ops.create_group,
            self._check_name(name),
            _unique(members),
        )

    async def delete_group(self, caller: Caller, name: str) -> dict[str, Any]:
        return await self._group_change(
            caller, Command.FRIEND_GROUP_DELETED, ops.delete_group, name.strip()
        )

    async def add_group_members(
        self, caller: Caller, name: str, members: list[str]
    ) -> dict[str, Any]:
        return await self._group_change(
            caller,
            Command.FRIEND_GROUP_MEMBER_ADDED,
            ops.add_group_members,
            name.strip(),
            _unique(members),
        )

    async def remove_group_members(
        self, caller: Caller, name: str, members: list[str]
    ) -> dict[str, Any]:
        return await self._group_change(
            caller,
            Command.FRIEND_GROUP_MEMBER_DELETED,
            ops.remove_group_members,
            name.strip(),
            _unique(members),
        )

    def groups(self, caller: Caller) -> list[dict[str, Any]]:
        return self.relations.groups(caller.app_id, caller.user_id)

    # blacklist

    async def block(self, caller: Caller, to_id: str) -> dict[str, Any]:
        """Block someone, friend or not; the friendship row stays as it is."""
        self._other(caller, to_id, "block")
        row = await self.relations.write(
            ops.set_black, caller.app_id, caller.user_id, to_id, True
        )
        self._push(caller, caller.user_id, Command.BLACKLIST_ADDED, row, True)
        return row

    async def unblock(self, caller: Caller, to_id: str) -> dict[str, Any]:
        row = await self.relations.write(
            ops.set_black, caller.app_id, caller.user_id, to_id, False
        )
        self._push(caller, caller.user_id, Command.BLACKLIST_DELETED, row, True)
        return row

    def blocked(self, caller: Caller) -> list[dict[str, Any]]:
        rows = self.relations.blocked(caller.app_id, caller.user_id)
        return [rel.friendship_wire(row) for row in rows]

    def check_blocked(
        self, caller: Caller, to_ids: list[str], two_way: bool
    ) -> list[dict[str, Any]]:
        """Per id: ``none``, ``a_blocked_b`` (the caller blocked them),
        ``b_blocked_a`` or ``both``."""
        pairs = self.relations.pairs(caller.app_id, caller.user_id, to_ids)
        results = []
        for to_id in to_ids:
            mine = pairs.get((caller.user_id, to_id))
            theirs = pairs.get((to_id, caller.user_id)) if two_way else None
            a = mine is not None and bool(mine["black"])
            b = theirs is not None and bool(theirs["black"])
            results.append({"toId": to_id, "relation": _relation(a, b, "blocked")})
        return results

    # sync kinds

    def _friends_cursor(self, caller: Caller) -> int:
        return self.relations.counter(caller.app_id, rel.friend_counter(caller.user_id))

    def _requests_cursor(self, caller: Caller) -> int:
        return self.relations.counter(
            caller.app_id, rel.request_counter(caller.user_id)
        )

    def _groups_cursor(self, caller: Caller) -> int:
        return self.relations.counter(caller.app_id, rel.group_counter(caller.user_id))

    def _pull_friends(
        self, caller: Caller, last: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        rows = self.relations.friendships_after(
            caller.app_id, caller.user_id, last, limit
        )
        return rows, self._friends_cursor(caller)

    def _pull_requests(
        self, caller: Caller, last: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        rows = self.relations.requests_after(caller.app_id, caller.user_id, last, limit)
        return rows, self._requests_cursor(caller)

    def _pull_groups(
        self, caller: Caller, last: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        rows = self.relations.groups_after(caller.app_id, caller.user_id, last, limit)
        return rows, self._groups_cursor(caller)


def _relation(a: bool, b: bool, verb: str) -> str:
    if a and b:
        return "both"
    if a:
        return f"a_{verb}_b"
    if b:
        return f"b_{verb}_a"
    return "none"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
