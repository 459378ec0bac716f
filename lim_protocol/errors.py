"""Error codes and the exception tree.

Every error that lim raises on purpose derives from :class:`LimError`::

    LimError
    ├── ProtocolError          carries a wire code; sent to peers as a reply
    │   ├── FrameError         the byte stream cannot be trusted any more
    │   └── TokenError         a userSign is malformed, forged or expired
    └── ConfigError            a configuration file or option is invalid

Peers only ever see the integer code and the short message, never a
traceback. Code ranges: 20000 users, 30000 relations, 40000 groups,
50000 messages, 60000 authentication and gateway, 90000 system.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    OK = 200

    # users
    USER_NOT_FOUND = 20000
    USER_EXISTS = 20001
    USER_DISABLED = 20002
    USER_SILENCED = 20003
    USER_FIELD_INVALID = 20004
    PASSWORD_WRONG = 20005

    # relations
    FRIEND_NOT_FOUND = 30000
    FRIEND_EXISTS = 30001
    FRIEND_SELF = 30002
    FRIEND_REQUEST_NOT_FOUND = 30003
    FRIEND_REQUEST_HANDLED = 30004
    FRIEND_REQUIRED = 30005
    BLOCKED_BY_RECEIVER = 30006
    STRANGER_QUOTA_EXCEEDED = 30007
    FRIEND_GROUP_EXISTS = 30008
    FRIEND_GROUP_NOT_FOUND = 30009
    BLACKLIST_EXISTS = 30010
    BLACKLIST_NOT_FOUND = 30011

    # groups
    GROUP_NOT_FOUND = 40000
    GROUP_EXISTS = 40001
    GROUP_DISMISSED = 40002
    GROUP_PERMISSION_DENIED = 40003
    GROUP_NOT_MEMBER = 40004
    GROUP_ALREADY_MEMBER = 40005
    GROUP_FULL = 40006
    GROUP_MUTED = 40007
    GROUP_MEMBER_MUTED = 40008
    GROUP_PRIVATE = 40009
    GROUP_JOIN_REQUEST_NOT_FOUND = 40010
    GROUP_JOIN_REQUEST_HANDLED = 40011
    GROUP_OWNER_CANNOT_LEAVE = 40012

    # messages
    MESSAGE_INVALID = 50000
    RECEIVER_NOT_FOUND = 50001
    MESSAGE_NOT_FOUND = 50002
    MESSAGE_BODY_TOO_LARGE = 50003
    MESSAGE_RECALLED = 50004
    RECALL_WINDOW_PASSED = 50005
    RECALL_NOT_ALLOWED = 50006
    CONVERSATION_NOT_FOUND = 50007

    # authentication and gateway
    SIGN_INVALID = 60000
    SIGN_EXPIRED = 60001
    SIGN_APP_MISMATCH = 60002
    SIGN_USER_MISMATCH = 60003
    NOT_LOGGED_IN = 60004
    LOGIN_TIMEOUT = 60005
    ALREADY_LOGGED_IN = 60006
    APP_NOT_FOUND = 60007
    PERMISSION_DENIED = 60008
    CREDENTIALS_MISSING = 60009
    FRAME_MALFORMED = 60010
    FRAME_TOO_LARGE = 60011
    UNKNOWN_COMMAND = 60012
    BODY_NOT_JSON = 60013
    VERSION_UNSUPPORTED = 60014
    ENCODING_UNSUPPORTED = 60015
    SLOW_CONSUMER = 60016
    IDLE_TIMEOUT = 60017
    KICKED = 60018
    APP_MISMATCH = 60019
    RATE_LIMITED = 60020

    # system
    INTERNAL_ERROR = 90000
    INVALID_PARAMS = 90001
    SHUTTING_DOWN = 90002
    NOT_FOUND = 90003


class LimError(Exception):
    """Root of every error lim raises on purpose."""


class ProtocolError(LimError):
    """An error with a wire code, reported to the peer as ``{code, msg}``."""

    def __init__(self, code: ErrorCode | int, msg: str | None = None) -> None:
        self.code = int(code)
        self.msg = msg or _default_message(self.code)
        super().__init__(f"{self.code}: {self.msg}")


class FrameError(ProtocolError):
    """The incoming byte stream is broken; the connection must be closed."""


class TokenError(ProtocolError):
    """A userSign is malformed, forged, expired or for someone else."""


class ConfigError(LimError):
    """A configuration file or option is invalid."""


def _default_message(code: int) -> str:
    try:
        return ErrorCode(code).name.lower().replace("_", " ")
    except ValueError:
        return "error"
