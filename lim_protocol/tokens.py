"""userSign: the signed token that authenticates a user to one app.

A token binds an app id, a user id (the *identifier*), the time it was
issued and its lifetime, all in seconds, under an HMAC-SHA256 signature
keyed with the app's secret. On the wire it is the JSON of those fields and
the signature, zlib-compressed, in URL-safe base64 without padding.

The signed string is the four fields joined by newlines, each followed by
one::

    "{appId}\\n{identifier}\\n{issuedAt}\\n{lifetime}\\n"
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass

from .errors import ErrorCode, TokenError

MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class UserSign:
    app_id: int
    identifier: str
    issued_at: int
    lifetime: int

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.lifetime


def _signature(
    secret: str, app_id: int, identifier: str, issued: int, life: int
) -> str:
    message = f"{app_id}\n{identifier}\n{issued}\n{life}\n".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def create_user_sign(
    secret: str,
    app_id: int,
    identifier: str,
    lifetime: int = 86400,
    *,
    issued_at: int | None = None,
) -> str:
    """Return a token for ``identifier`` in ``app_id``, valid ``lifetime`` s."""
    issued = int(time.time()) if issued_at is None else issued_at
    payload = {
        "appId": app_id,
        "identifier": identifier,
        "issuedAt": issued,
        "lifetime": lifetime,
        "sig": _signature(secret, app_id, identifier, issued, lifetime),
    }
    packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode())
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def parse_user_sign(token: str) -> tuple[UserSign, str]:
    """Decode a token without checking it; return its fields and signature."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(ErrorCode.SIGN_INVALID, "userSign is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(_inflate(raw))
        sign = UserSign(
            app_id=int(payload["appId"]),
            identifier=str(payload["identifier"]),
            issued_at=int(payload["issuedAt"]),
            lifetime=int(payload["lifetime"]),
        )
        signature = str(payload["sig"])
    except (ValueError, TypeError, KeyError, binascii.Error, zlib.error) as exc:
        raise TokenError(ErrorCode.SIGN_INVALID, "userSign is malformed") from exc
    return sign, signature


def _inflate(raw: bytes) -> bytes:
    # zlib.decompress has no output bound; a small token could inflate to
    # megabytes, so stop at the same limit as the token itself.
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw, MAX_TOKEN_LENGTH)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("userSign inflates past the limit or is truncated")
    return data


def verify_user_sign(
    token: str,
    secret: str,
    *,
    app_id: int,
    identifier: str,
    now: float | None = None,
) -> UserSign:
    """Check a token for this app and user; raise :class:`TokenError` if bad.

    The order of checks gives each failure its own code: a token for another
    app, a forged signature, an expired token, a token for another user.
    """
    sign, signature = parse_user_sign(token)
    if sign.app_id != app_id:
        raise TokenError(ErrorCode.SIGN_APP_MISMATCH, "userSign is for another app")

    expected = _signature(
        secret, sign.app_id, sign.identifier, sign.issued_at, sign.lifetime
    )
    if not hmac.compare_digest(expected, signature):
        raise TokenError(ErrorCode.SIGN_INVALID, "userSign signature does not match")

    current = time.time() if now is None else now
    if sign.lifetime <= 0 or sign.expires_at <= current:
        raise TokenError(ErrorCode.SIGN_EXPIRED, "userSign has expired")
    if sign.identifier != identifier:
        raise TokenError(ErrorCode.SIGN_USER_MISMATCH, "userSign is for another user")
    return sign
