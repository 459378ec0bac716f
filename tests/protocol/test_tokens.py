"""userSign tokens: creation, verification and each way they can be wrong."""

from __future__ import annotations

import base64
import json
import time
import zlib

import pytest

from lim_protocol.errors import ErrorCode, TokenError
from lim_protocol.tokens import (
    MAX_TOKEN_LENGTH,
    create_user_sign,
    parse_user_sign,
    verify_user_sign,
)

SECRET = "s3cret"
APP = 1400


def pack(payload: dict[str, object]) -> str:
    raw = zlib.compress(json.dumps(payload).encode())
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def refused(token: str, **kwargs: object) -> int:
    options: dict[str, object] = {"app_id": APP, "identifier": "alice"}
    options.update(kwargs)
    secret = str(options.pop("secret", SECRET))
    with pytest.raises(TokenError) as caught:
        verify_user_sign(token, secret, **options)  # type: ignore[arg-type]
    return caught.value.code


def test_a_fresh_token_verifies_and_carries_its_fields() -> None:
    token = create_user_sign(SECRET, APP, "alice", 600, issued_at=1_000_000)

    sign = verify_user_sign(
        token, SECRET, app_id=APP, identifier="alice", now=1_000_100
    )

    assert (sign.app_id, sign.identifier) == (APP, "alice")
    assert sign.expires_at == 1_000_600


def test_a_token_is_url_safe_text() -> None:
    token = create_user_sign(SECRET, APP, "ünïcode user", 600)

    assert set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert verify_user_sign(token, SECRET, app_id=APP, identifier="ünïcode user")


def test_an_expired_token_is_refused_with_sign_expired() -> None:
    token = create_user_sign(SECRET, APP, "alice", 60, issued_at=int(time.time()) - 61)

    assert refused(token) == ErrorCode.SIGN_EXPIRED


def test_a_token_expires_exactly_at_issue_time_plus_lifetime() -> None:
    token = create_user_sign(SECRET, APP, "alice", 60, issued_at=1000)

    assert verify_user_sign(token, SECRET, app_id=APP, identifier="alice", now=1059)
    assert refused(token, now=1060) == ErrorCode.SIGN_EXPIRED


def test_a_token_signed_with_another_secret_is_refused_as_forged() -> None:
    token = create_user_sign("other secret", APP, "alice", 600)

    assert refused(token) == ErrorCode.SIGN_INVALID


def test_a_token_whose_fields_were_edited_is_refused_as_forged() -> None:
    token = create_user_sign(SECRET, APP, "bob", 600)
    sign, signature = parse_user_sign(token)
    edited = pack(
        {
            "appId": APP,
            "identifier": "alice",
            "issuedAt": sign.issued_at,
            "lifetime": sign.lifetime,
            "sig": signature,
        }
    )

    assert refused(edited) == ErrorCode.SIGN_INVALID


def test_a_longer_lifetime_cannot_be_forged_onto_a_token() -> None:
    token = create_user_sign(SECRET, APP, "alice", 60, issued_at=1000)
    sign, signature = parse_user_sign(token)
    edited = pack(
        {
            "appId": APP,
            "identifier": "alice",
            "issuedAt": 1000,
            "lifetime": 10**9,
            "sig": signature,
        }
    )

    assert refused(edited) == ErrorCode.SIGN_INVALID


def test_a_token_for_another_app_is_refused_with_app_mismatch() -> None:
    token = create_user_sign(SECRET, APP + 1, "alice", 600)

    assert refused(token) == ErrorCode.SIGN_APP_MISMATCH


def test_a_token_for_another_user_is_refused_with_user_mismatch() -> None:
    token = create_user_sign(SECRET, APP, "bob", 600)

    assert refused(token) == ErrorCode.SIGN_USER_MISMATCH


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a token",
        "!!!!",
        base64.urlsafe_b64encode(b"not zlib").decode(),
        pack({"appId": APP}),
        pack(
            {"appId": "x", "identifier": "a", "issuedAt": 1, "lifetime": 1, "sig": ""}
        ),
        base64.urlsafe_b64encode(zlib.compress(b"[1, 2]")).decode(),
        base64.urlsafe_b64encode(zlib.compress(b"\xff\xfe")).decode(),
        "A" * (MAX_TOKEN_LENGTH + 1),
    ],
    ids=[
        "empty",
        "spaces",
        "punctuation",
        "not zlib",
        "missing fields",
        "bad field type",
        "json array",
        "not utf8",
        "too long",
    ],
)
def test_a_malformed_token_is_refused_with_sign_invalid(token: str) -> None:
    assert refused(token) == ErrorCode.SIGN_INVALID


def test_a_token_that_inflates_past_the_limit_is_refused() -> None:
    # A valid signed payload padded with whitespace: small on the wire, but
    # megabytes once inflated. The parser must stop inflating at the limit.
    token = create_user_sign(SECRET, APP, "alice", 600)
    sign, signature = parse_user_sign(token)
    payload = json.dumps(
        {
            "appId": APP,
            "identifier": "alice",
            "issuedAt": sign.issued_at,
            "lifetime": sign.lifetime,
            "sig": signature,
        }
    )
    padded = payload[:-1] + " " * 2_000_000 + "}"
    bomb = base64.urlsafe_b64encode(zlib.compress(padded.encode())).decode()

    assert len(bomb) <= MAX_TOKEN_LENGTH
    assert refused(bomb) == ErrorCode.SIGN_INVALID
