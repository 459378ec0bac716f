"""Shared fixtures: a real server on port 0 in a temporary data directory."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from lim_client.session import ClientSession, connect
from lim_protocol.commands import ClientType
from lim_server.config import ServerConfig
from lim_server.server import LimServer

_imeis = itertools.count(1)


class Harness:
    """A running server plus helpers to create users and connect devices."""

    def __init__(self, server: LimServer) -> None:
        self.server = server
        self.sessions: list[ClientSession] = []
        self.stopped = False

    @property
    def app(self) -> Any:
        return self.server.services.apps.list()[0]

    @property
    def app_id(self) -> int:
        return int(self.app.app_id)

    def url(self, transport: str = "tcp") -> str:
        host, port = self.server.addresses[transport]
        return (
            f"tcp://{host}:{port}" if transport == "tcp" else f"ws://{host}:{port}/ws"
        )

    def token(self, user_id: str, lifetime: int = 3600) -> str:
        return self.server.services.apps.issue_token(self.app_id, user_id, lifetime)

    async def user(self, user_id: str, **fields: Any) -> Any:
        return await self.server.services.users.create(
            self.app_id, {"userId": user_id, **fields}
        )

    async def device(
        self,
        user_id: str | None = None,
        *,
        transport: str = "tcp",
        client_type: int = ClientType.LINUX,
        imei: str | None = None,
        login: bool = True,
    ) -> ClientSession:
        session = await connect(
            self.url(transport),
            app_id=self.app_id,
            client_type=client_type,
            imei=imei or f"dev{next(_imeis)}",
        )
        self.sessions.append(session)
        if login and user_id is not None:
            await session.login(user_id, self.token(user_id))
        return session

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
        self.sessions.clear()

    async def stop(self) -> None:
        """Close the client sessions, then stop the server (once)."""
        await self.close()
        if not self.stopped:
            self.stopped = True
            await self.server.stop()


def server_config(tmp_path: Path, **overrides: Any) -> ServerConfig:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "ws_port": 0,
        "tcp_port": 0,
        "http_port": -1,
        "ssh_port": -1,
        "synchronous": "NORMAL",
    }
    values.update(overrides)
    return ServerConfig(**values)


@pytest.fixture
async def make_harness(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    """Start a server with config overrides; stopped at the end of the test."""
    started: list[Harness] = []

    async def start(**overrides: Any) -> Harness:
        server = LimServer(server_config(tmp_path, **overrides))
        await server.start()
        harness = Harness(server)
        started.append(harness)
        return harness

    yield start
    for harness in reversed(started):
        await harness.stop()


@pytest.fixture
async def harness(make_harness: Any) -> Harness:
    h: Harness = await make_harness()
    return h
