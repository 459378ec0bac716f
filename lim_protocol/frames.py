"""The frame codec: a fixed 28-byte header, a device id and a JSON body.

All header fields are unsigned 32-bit big-endian integers::

    command | version | clientType | encoding | appId | imeiLength | bodyLength

followed by ``imeiLength`` bytes of device id (UTF-8) and ``bodyLength`` bytes
of body. Over TCP frames travel back to back; over WebSocket each binary
message holds exactly one frame.

:class:`FrameDecoder` is an incremental parser: feed it whatever bytes
arrived, take the complete frames out. It never raises: a header that cannot
be trusted is recorded in :attr:`FrameDecoder.error`, after which the decoder
accepts nothing more and the connection should be closed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import ErrorCode, FrameError

HEADER = struct.Struct("!7I")
HEADER_SIZE = HEADER.size
MAX_IMEI_LENGTH = 128
DEFAULT_MAX_BODY = 1 << 20


@dataclass(slots=True)
class Frame:
    """One decoded frame; ``body`` is still raw bytes (usually JSON)."""

    command: int
    body: bytes = b"{}"
    app_id: int = 0
    client_type: int = 0
    imei: str = ""
    version: int = 1
    encoding: int = 0

    def encode(self) -> bytes:
        return encode_frame(
            self.command,
            self.body,
            app_id=self.app_id,
            client_type=self.client_type,
            imei=self.imei,
            version=self.version,
            encoding=self.encoding,
        )


def encode_frame(
    command: int,
    body: bytes,
    *,
    app_id: int = 0,
    client_type: int = 0,
    imei: str | bytes = "",
    version: int = 1,
    encoding: int = 0,
) -> bytes:
    """Return the wire bytes of one frame."""
    raw_imei = imei.encode() if isinstance(imei, str) else imei
    if len(raw_imei) > MAX_IMEI_LENGTH:
        raise FrameError(ErrorCode.FRAME_MALFORMED, "imei longer than 128 bytes")
    header = HEADER.pack(
        command, version, client_type, encoding, app_id, len(raw_imei), len(body)
    )
    return b"".join((header, raw_imei, body))


class FrameDecoder:
    """Turn a stream of bytes into frames, tolerating any split or coalescing.

    ``max_body`` bounds the body length a peer may announce; a larger one is
    a fatal error, since skipping megabytes of garbage is never worth it.
    """

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.max_body = max_body
        self.error: FrameError | None = None
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the frames they completed, in order."""
        if self.error is not None:
            return []
        self._buffer += data
        frames: list[Frame] = []
        offset = 0
        buffer = self._buffer
        size = len(buffer)

        while size - offset >= HEADER_SIZE:
            fields = HEADER.unpack_from(buffer, offset)
            imei_length, body_length = fields[5], fields[6]
            self.error = self._check_lengths(imei_length, body_length)
            if self.error is not None:
                break
            end = offset + HEADER_SIZE + imei_length + body_length
            if end > size:
                break
            frame = self._build(buffer, offset, fields)
            if frame is None:
                break
            frames.append(frame)
            offset = end

        # One slice per feed keeps parsing linear in the bytes received.
        if self.error is not None:
            self._buffer = bytearray()
        elif offset:
            del buffer[:offset]
        return frames

    def _check_lengths(self, imei_length: int, body_length: int) -> FrameError | None:
        if imei_length > MAX_IMEI_LENGTH:
            return FrameError(
                ErrorCode.FRAME_MALFORMED,
                f"imei length {imei_length} exceeds {MAX_IMEI_LENGTH}",
            )
        if body_length > self.max_body:
            return FrameError(
                ErrorCode.FRAME_TOO_LARGE,
                f"body length {body_length} exceeds {self.max_body}",
            )
        return None

    def _build(
        self, buffer: bytearray, offset: int, fields: tuple[int, ...]
    ) -> Frame | None:
        command, version, client_type, encoding, app_id, imei_length, _ = fields
        start = offset + HEADER_SIZE
        try:
            imei = buffer[start : start + imei_length].decode()
        except UnicodeDecodeError:
            self.error = FrameError(ErrorCode.FRAME_MALFORMED, "imei is not UTF-8")
            return None
        body_start = start + imei_length
        return Frame(
            command=command,
            body=bytes(buffer[body_start : body_start + fields[6]]),
            app_id=app_id,
            client_type=client_type,
            imei=imei,
            version=version,
            encoding=encoding,
        )


def decode_message(data: bytes, max_body: int = DEFAULT_MAX_BODY) -> Frame:
    """Decode a WebSocket message that must hold exactly one frame.

    Raises :class:`FrameError` when it holds less, more, or a bad header.
    """
    decoder = FrameDecoder(max_body)
    frames = decoder.feed(data)
    if decoder.error is not None:
        raise decoder.error
    if len(frames) != 1 or decoder.buffered:
        raise FrameError(
            ErrorCode.FRAME_MALFORMED, "a websocket message must hold exactly one frame"
        )
    return frames[0]
