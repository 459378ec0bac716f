"""Domain records shared by the store, the services and the gateways.

Wire and API names are camelCase; Python attributes are snake_case. Pydantic
models sit where data crosses an edge (settings, profiles); the message
record on the hot path is a plain slotted dataclass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

USER_ID_PATTERN = re.compile(r"^[^\s|\x00-\x1f\x7f]{1,64}$")

NORMAL_USER = 1
APP_ADMIN = 100

FRIEND_POLICY_FREE = 1
FRIEND_POLICY_APPROVAL = 2


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid"
    )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class AppSettings(WireModel):
    """Per-app behaviour; every field is documented in docs/operations.md."""

    login_mode: int = Field(default=4, ge=1, le=4)
    friend_check_on_send: bool = False
    blacklist_check_on_send: bool = True
    stranger_quota: int | None = Field(default=None, ge=0)
    recall_window_seconds: int = Field(default=120, ge=0)
    retention_days: int | None = Field(default=None, ge=1)
    read_receipts: bool = True
    max_group_size: int = Field(default=2000, ge=2)
    webhook_url: str | None = None
    webhook_events: list[str] = Field(default_factory=list)


class App(WireModel):
    app_id: int
    name: str
    secret: str
    settings: AppSettings
    created_at: int

    def public(self) -> dict[str, Any]:
        wire = self.to_wire()
        wire.pop("secret")
        return wire


class User(WireModel):
    app_id: int
    user_id: str
    nickname: str = ""
    avatar: str = ""
    gender: int = 0
    signature: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)
    user_type: int = NORMAL_USER
    disabled: bool = False
    silenced: bool = False
    deleted: bool = False
    friend_policy: int = FRIEND_POLICY_FREE
    has_password: bool = False
    created_at: int = 0
    updated_at: int = 0
    sequence: int = 0

    @property
    def is_admin(self) -> bool:
        return self.user_type == APP_ADMIN

    @property
    def active(self) -> bool:
        return not (self.deleted or self.disabled)


@dataclass(slots=True)
class StoredMessage:
    """A message as committed: what acks, pushes and sync pulls are made of."""

    message_key: int
    app_id: int
    conversation_id: str
    conversation_type: int
    sequence: int
    from_id: str
    to_id: str
    message_id: str
    body: Any
    created_at: int
    recalled: bool = False

    def ack(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "messageKey": self.message_key,
            "messageSequence": self.sequence,
            "messageTime": self.created_at,
        }

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "messageKey": self.message_key,
            "messageId": self.message_id,
            "fromId": self.from_id,
            "toId": self.to_id,
            "messageBody": None if self.recalled else self.body,
            "messageTime": self.created_at,
            "messageSequence": self.sequence,
            "conversationId": self.conversation_id,
            "conversationType": self.conversation_type,
            "recalled": self.recalled,
        }
        if self.conversation_type == 1:
            wire["groupId"] = self.to_id
        return wire


def p2p_conversation_id(a: str, b: str) -> str:
    """The one conversation two users share, whoever writes first."""
    low, high = (a, b) if a <= b else (b, a)
    return f"p2p|{low}|{high}"


def group_conversation_id(group_id: str) -> str:
    return f"group|{group_id}"


# Every app has this admin account; the local CLI acts as it (docs/cli.md).
LOCAL_ADMIN = "@admin"
