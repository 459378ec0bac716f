"""The gateway: listeners, the set of live sessions and their timeouts."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from lim_protocol.errors import ErrorCode

from ..routing import LocalRouter
from ..services import Services
from .commands import load_commands
from .sessions import Session, State
from .tcp import TcpSession
from .websocket import WebSocketSession

log = logging.getLogger(__name__)


@dataclass
class GatewaySettings:
    max_body: int = 1 << 20
    max_buffer: int = 4 << 20
    max_inflight: int = 256
    login_timeout: float = 10.0
    idle_timeout: float = 300.0
    sweep_interval: float = 1.0
    shutdown_grace: float = 2.0


class Gateway:
    def __init__(
        self, services: Services, router: LocalRouter, settings: GatewaySettings
    ) -> None:
        self.services = services
        self.router = router
        self.settings = settings
        self.commands = load_commands()
        self.sessions: set[Session] = set()
        self.servers: list[asyncio.Server] = []
        self.addresses: dict[str, tuple[str, int]] = {}
        self.clock = time.monotonic
        self.loop = asyncio.get_running_loop()
        self._sweeper: asyncio.Task[None] | None = None
        self._drained = asyncio.Event()
        self._unflushed: list[Session] = []

        # counters for metrics
        self.accepted = 0
        self.frames_in = 0
        self.bad_frames = 0
        self.refused_logins = 0
        self.kicked = 0
        self.slow_consumers = 0
        self.timed_out = 0

    # sessions

    def attach(self, session: Session) -> None:
        self.sessions.add(session)
        self._drained.clear()
        self.accepted += 1
        session.log.debug("connected")

    def detach(self, session: Session) -> None:
        self.sessions.discard(session)
        if not self.sessions:
            self._drained.set()

    def flush_soon(self, session: Session) -> None:
        """Have ``session`` write its queued frames early in the next loop turn."""
        if not self._unflushed:
            self.loop.call_soon(self._flush)
        self._unflushed.append(session)

    def _flush(self) -> None:
        sessions, self._unflushed = self._unflushed, []
        for session in sessions:
            # A closing session flushed what it had; a lost one cannot.
            if session.state is not State.CLOSED:
                session.flush()

    # listeners

    async def listen_tcp(self, host: str, port: int) -> tuple[str, int]:
        server = await self.loop.create_server(
            lambda: TcpSession(self), host, port, backlog=4096
        )
        return self._listening("tcp", server)

    async def listen_websocket(self, host: str, port: int) -> tuple[str, int]:
        server = await self.loop.create_server(
            lambda: WebSocketSession(self), host, port, backlog=4096
        )
        return self._listening("ws", server)

    def _listening(self, name: str, server: asyncio.Server) -> tuple[str, int]:
        self.servers.append(server)
        address = server.sockets[0].getsockname()[:2]
        self.addresses[name] = address
        log.info("%s gateway listening on %s:%d", name, *address)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever())
        return address

    async def close(self) -> None:
        """Stop accepting, close every session with a reason, abort stragglers."""
        for server in self.servers:
            server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for session in list(self.sessions):
            session.close(ErrorCode.SHUTTING_DOWN, "server shutting down")

        # A graceful close waits for the peer to read what is queued; a peer
        # that stopped reading would hold the shutdown (and, from Python 3.12,
        # wait_closed) forever, so it is cut off after a grace period.
        if not await self._wait_drained(self.settings.shutdown_grace):
            log.warning("aborting %d connections at shutdown", len(self.sessions))
            for session in list(self.sessions):
                session.abort()
            await self._wait_drained(1.0)
        for server in self.servers:
            await server.wait_closed()

    async def _wait_drained(self, timeout: float) -> bool:
        if not self.sessions:
            return True
        try:
            await asyncio.wait_for(self._drained.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # timeouts

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval)
            try:
                self.sweep()
            except Exception:
                log.exception("sweep failed")

    def sweep(self) -> None:
        """Close sessions that never logged in or went silent."""
        now = self.clock()
        login_deadline = now - self.settings.login_timeout
        idle_deadline = now - self.settings.idle_timeout
        for session in list(self.sessions):
            if session.state is State.NEW and session.connected_at < login_deadline:
                self.timed_out += 1
                session.close(ErrorCode.LOGIN_TIMEOUT, "no login in time")
            elif (
                session.state is not State.CLOSED and session.last_seen < idle_deadline
            ):
                self.timed_out += 1
                session.close(ErrorCode.IDLE_TIMEOUT, "idle for too long")
