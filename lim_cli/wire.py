"""A minimal HTTP API client on the standard library, for a fast start.

``lim send`` and the other API-backed commands run once and exit, so they
avoid httpx and the asyncio client stack. Plain ``http://`` goes over a
socket speaking just the HTTP/1.1 this server answers (a body sized by
Content-Length or chunked), one kept-alive connection per client, which
spares even the import of ``http.client``; ``https://`` uses
``http.client``. Long-lived code (the TUI, ``lim listen``) uses
:mod:`lim_client` instead.
"""

from __future__ import annotations

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
        self._conn: Any = None

    def _connection(self) -> Any:
        if self._conn is None:
            if self.scheme == "https":
                import http.client

                self._conn = _HttpsConnection(
                    http.client.HTTPSConnection(self.netloc, timeout=self.timeout)
                )
            else:
                self._conn = _PlainConnection(self.netloc, self.timeout)
        return self._conn

    def request(self, method: str, path: str, payload: bytes | None) -> Any:
        """One request; the decoded ``{code, msg, data}`` reply."""
        headers = dict(self.headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                status, raw = conn.exchange(
                    method, self.prefix + path, payload, headers
                )
                break
            except (OSError, ValueError, EOFError) as exc:
                self.close()
                # A kept-alive connection the server closed: retry once.
                if attempt == 2 or isinstance(
                    exc, ConnectionRefusedError | socket.gaierror
                ):
                    raise ConnectionError(
                        f"cannot reach {self.base_url}: {exc}"
                    ) from exc
        try:
            reply = json.loads(raw)
        except ValueError:
            raise ApiError(
                90000, f"server answered HTTP {status} without JSON"
            ) from None
        if isinstance(reply, dict) and "code" in reply:
            return reply
        if status == 404:
            raise ApiError(90003, f"the server has no {path}")
        raise ApiError(90000, f"server answered HTTP {status}: {reply}")

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        payload = json.dumps(body or {}, ensure_ascii=False).encode()
        return _data(self.request("POST", path, payload))

    def get(self, path: str) -> Any:
        return _data(self.request("GET", path, None))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _PlainConnection:
    """HTTP/1.1 over a plain socket: requests with a body, JSON replies."""

    def __init__(self, netloc: str, timeout: float) -> None:
        host, _, port = netloc.rpartition(":")
        if not host or not port.isdigit():
            host, port = netloc, "80"
        self.host = host.strip("[]")
        self.port = int(port)
        self.netloc = netloc
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def exchange(
        self, method: str, path: str, payload: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        body = payload or b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.sock.sendall(head + body)

        status_line, fields = self._head()
        status = int(status_line.split()[1])
        if fields.get("transfer-encoding", "").lower() == "chunked":
            data = self._chunked()
        else:
            data = self._exactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise EOFError("connection closed by the server")
        self.buffer += chunk

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _head(self) -> tuple[str, dict[str, str]]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        first, *rest = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in rest:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        return first, fields

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self._line().split(b";")[0], 16)
            if size == 0:
                self._line()
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._line()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _HttpsConnection:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def exchange(
        self, method: str, path: str, payload: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        import http.client

        try:
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except http.client.HTTPException as exc:
            raise OSError(str(exc)) from exc

    def close(self) -> None:
        self.conn.close()


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
