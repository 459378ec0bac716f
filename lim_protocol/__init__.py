"""The lim wire protocol, free of I/O.

Everything a server or client needs to speak lim lives here: the frame codec
(:mod:`.frames`), command codes (:mod:`.commands`), error codes and the
exception tree (:mod:`.errors`), packet models (:mod:`.packets`) and userSign
tokens (:mod:`.tokens`). Nothing in this package imports asyncio, sockets or
threads; it is fed bytes and hands bytes back.
"""

from __future__ import annotations

from .commands import ClientType, Command, ConversationType, DeviceCategory
from .errors import ErrorCode, LimError, ProtocolError
from .frames import Frame, FrameDecoder, encode_frame

PROTOCOL_VERSION = 1

__all__ = [
    "PROTOCOL_VERSION",
    "ClientType",
    "Command",
    "ConversationType",
    "DeviceCategory",
    "ErrorCode",
    "Frame",
    "FrameDecoder",
    "LimError",
    "ProtocolError",
    "encode_frame",
]
