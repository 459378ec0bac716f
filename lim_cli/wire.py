"""A minimal HTTP API client on the standard library, for a fast start.

``lim send`` and the other API-backed commands run once and exit, so they
avoid httpx and the asyncio client stack: ``http.client`` with one
keep-alive connection is all a command needs. Long-lived code (the TUI,
``lim listen``) uses :mod:`lim_client` instead.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from lim_protocol.tokens import parse_user_sign


class ApiError(Exception):
    """The server answered with an error code."""

    def __init__(self, code: int, msg: str, data: Any = None) -> None:
        super().__init__(f"{msg} ({code})")
        self.code = code
        self.msg = msg
        self.data = data


class WireClient:
    """``call(path, body) -> data`` over one HTTP/1.1 connection."""

    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url if "://" in base_url else f"http://{base_url}")
        if parts.scheme not in ("http", "https"):
            raise ConnectionError(f"{base_url}: the server URL must be http(s)://")
        self.base_url = base_url.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        if token:
            sign, _ = parse_user_sign(token)
            self.identifier = sign.identifier
            self.app_id = sign.app_id
            self.headers.update(
                {
                    "X-Lim-App": str(sign.app_id),
                    "X-Lim-User": sign.identifier,
                    "X-Lim-Sign": token,
                }
            )
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            factory = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            self._conn = factory(self.netloc, timeout=self.timeout)
        return self._conn

    def request(self, method: str, path: str, payload: bytes | None) -> Any:
        """One request; the decoded ``{code, msg, data}`` reply."""
        headers = dict(self.headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, self.prefix + path, payload, headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                # A kept-alive connection the server closed: retry once.
                if attempt == 2 or isinstance(
                    exc, ConnectionRefusedError | socket.gaierror
                ):
                    raise ConnectionError(
                        f"cannot reach {self.base_url}: {exc}"
                    ) from exc
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(
                90000, f"server answered HTTP {response.status} without JSON"
            ) from None

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        payload = json.dumps(body or {}, ensure_ascii=False).encode()
        return _data(self.request("POST", path, payload))

    def get(self, path: str) -> Any:
        return _data(self.request("GET", path, None))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _data(reply: Any) -> Any:
    if not isinstance(reply, dict) or reply.get("code") != 200:
        code = reply.get("code", 0) if isinstance(reply, dict) else 0
        msg = reply.get("msg", "") if isinstance(reply, dict) else str(reply)
        raise ApiError(
            code, msg, reply.get("data") if isinstance(reply, dict) else None
        )
    return reply.get("data")


def login_with_password(
    base_url: str, app_id: int, user_id: str, password: str, lifetime: int
) -> dict[str, Any]:
    """Trade a password for a userSign at ``/v1/auth/login``."""
    client = WireClient(base_url, "")
    try:
        body = {
            "appId": app_id,
            "userId": user_id,
            "password": password,
            "lifetime": lifetime,
        }
        return _data(
            client.request("POST", "/v1/auth/login", json.dumps(body).encode())
        )
    finally:
        client.close()
