"""Who is asking: the caller of a service operation."""

from __future__ import annotations

from dataclasses import dataclass

from lim_protocol.errors import ErrorCode, ProtocolError

from ..models import App


@dataclass(slots=True)
class Caller:
    """An authenticated user of one app, maybe acting for another user.

    ``user_id`` is whom the operation is for; ``actor_id`` who asked. They
    differ only when an app admin acts for someone (``asUser``) or when the
    local administrator (``actor_id`` ``None``) runs a command on the
    server's own machine. ``origin`` is the session the request came on, if
    any, so that pushes can skip the device that already knows.
    """

    app: App
    user_id: str
    actor_id: str | None
    is_admin: bool = False
    origin: object | None = None

    @property
    def app_id(self) -> int:
        return self.app.app_id

    def acting_as(self, user_id: str | None) -> Caller:
        """Return a caller for ``user_id``, refusing unless allowed."""
        if user_id is None or user_id == self.user_id:
            return self
        if not self.is_admin:
            raise ProtocolError(
                ErrorCode.PERMISSION_DENIED,
                "only an app admin may act for another user",
            )
        return Caller(self.app, user_id, self.actor_id, True, self.origin)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ProtocolError(
                ErrorCode.PERMISSION_DENIED, "this operation needs an app admin"
            )
