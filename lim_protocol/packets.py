"""Pydantic models of the request bodies that travel in frames.

Field names are the wire names (camelCase). Every model ignores unknown
fields except ``rid``, which any request may carry and which the direct reply
echoes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import to_json

from .commands import ConversationType

USER_ID = Annotated[str, Field(min_length=1, max_length=64)]
MESSAGE_ID = Annotated[str, Field(min_length=1, max_length=128)]


class Packet(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    rid: str | None = None


class Login(Packet):
    userId: USER_ID
    userSign: str = Field(min_length=1, max_length=4096)
    customStatus: int | None = None
    customText: str | None = Field(default=None, max_length=256)
    clientName: str | None = Field(default=None, max_length=128)


class TextBody(BaseModel):
    type: Literal["text", "markdown"]
    text: str = Field(max_length=65536)


class FileBody(BaseModel):
    type: Literal["image", "file"]
    url: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(default=None, max_length=1024)
    size: int | None = Field(default=None, ge=0)
    mime: str | None = Field(default=None, max_length=256)
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)


class CustomBody(BaseModel):
    type: Literal["custom"]
    data: Any


MessageBody = Annotated[TextBody | FileBody | CustomBody, Field(discriminator="type")]


def _body_from_shorthand(value: Any) -> Any:
    # A bare string is the shorthand for a text message.
    if isinstance(value, str):
        return {"type": "text", "text": value}
    return value


class SendP2P(Packet):
    messageId: MESSAGE_ID
    toId: USER_ID
    messageBody: MessageBody

    _shorthand = field_validator("messageBody", mode="before")(_body_from_shorthand)


class SendGroup(Packet):
    messageId: MESSAGE_ID
    groupId: USER_ID
    messageBody: MessageBody

    _shorthand = field_validator("messageBody", mode="before")(_body_from_shorthand)


class ReceiveAck(Packet):
    messageKey: int
    fromId: USER_ID
    toId: USER_ID
    messageSequence: int = Field(ge=1)


class MarkRead(Packet):
    conversationType: ConversationType = ConversationType.P2P
    toId: USER_ID
    messageSequence: int = Field(ge=0)


class GroupRead(Packet):
    groupId: USER_ID
    messageSequence: int = Field(ge=0)


class Recall(Packet):
    messageKey: int
    conversationType: ConversationType = ConversationType.P2P
    toId: USER_ID


class ApiRequest(Packet):
    path: str = Field(min_length=1, max_length=256)
    body: dict[str, Any] = Field(default_factory=dict)


def encode_reply(
    code: int = 200,
    msg: str = "ok",
    data: Any = None,
    rid: str | None = None,
) -> bytes:
    """Return the JSON body of a reply: ``{code, msg, data}`` and maybe ``rid``."""
    reply: dict[str, Any] = {"code": code, "msg": msg, "data": data}
    if rid is not None:
        reply["rid"] = rid
    return to_json(reply)
