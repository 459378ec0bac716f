"""One registry of operations, dispatched from HTTP and from the socket.

An operation is a path (``/v1/user/get``), a request model and an async
handler ``(services, caller, request) -> data``. Requests may carry
``asUser``: an app admin then acts for that user; anyone else is refused
unless it names themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from lim_protocol.errors import ErrorCode, ProtocolError

from ..services.context import Caller
from ..services.users import validation_message

if TYPE_CHECKING:
    from ..services import Services

log = logging.getLogger(__name__)


class Request(BaseModel):
    """Base of request bodies: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid"
    )

    rid: str | None = None
    as_user: str | None = None


Handler = Callable[["Services", Caller, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    path: str
    model: type[Request]
    handler: Handler
    summary: str
    admin: bool = False
    tag: str = "misc"


REGISTRY: dict[str, Operation] = {}


def operation(
    path: str, model: type[Request], *, admin: bool = False, tag: str | None = None
) -> Callable[[Handler], Handler]:
    """Register a handler; its docstring's first line is the summary."""

    def register(handler: Handler) -> Handler:
        summary = (handler.__doc__ or path).strip().splitlines()[0]
        REGISTRY[path] = Operation(
            path, model, handler, summary, admin, tag or path.split("/")[2]
        )
        return handler

    return register


def load_operations() -> dict[str, Operation]:
    """Import every operations module so the registry is complete."""
    from . import ops  # noqa: F401

    return REGISTRY


async def dispatch(
    services: Services, caller: Caller, path: str, body: dict[str, Any]
) -> Any:
    """Run the operation at ``path`` for ``caller``; raise ProtocolError."""
    op = REGISTRY.get(path)
    if op is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no operation {path}")
    try:
        request = op.model.model_validate(body)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_PARAMS, validation_message(exc)) from exc

    caller = caller.acting_as(request.as_user)
    if op.admin:
        caller.require_admin()
    return await op.handler(services, caller, request)
