"""A small client for the HTTP API (used by lim bench): ``call(path, body)``."""

from __future__ import annotations

from typing import Any

import httpx

from lim_protocol.tokens import parse_user_sign

from .session import LimClientError


class HttpApi:
    """Calls ``POST {base_url}{path}`` with the token's credentials.

    The app id and user id come from the token itself, so a token and a
    server address are all a caller needs.
    """

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        sign, _ = parse_user_sign(token)
        self.base_url = base_url.rstrip("/")
        self.app_id = sign.app_id
        self.user_id = sign.identifier
        self.token = token
        self.client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={
                "X-Lim-App": str(sign.app_id),
                "X-Lim-User": sign.identifier,
                "X-Lim-Sign": token,
            },
        )

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.client.post(path, json=body or {})
        except httpx.HTTPError as exc:
            raise ConnectionError(f"cannot reach {self.base_url}: {exc}") from exc
        try:
            reply = response.json()
        except ValueError:
            raise LimClientError(
                90000, f"server answered HTTP {response.status_code} without JSON"
            ) from None
        if reply.get("code") != 200:
            raise LimClientError(
                reply.get("code", 0), reply.get("msg", ""), reply.get("data")
            )
        return reply.get("data")

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        reply = response.json()
        if reply.get("code") != 200:
            raise LimClientError(reply.get("code", 0), reply.get("msg", ""))
        return reply.get("data")

    def close(self) -> None:
        self.client.close()
