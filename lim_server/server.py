"""One lim node: storage, services, gateways and the HTTP API in one process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from .config import ServerConfig
from .gateway.server import Gateway, GatewaySettings
from .models import APP_ADMIN, LOCAL_ADMIN, User
from .routing import LocalRouter
from .services import Services
from .store import Store

log = logging.getLogger(__name__)

RETENTION_INTERVAL = 3600.0


class _EmbeddedUvicorn(uvicorn.Server):
    """Uvicorn inside our loop: the signals belong to ``lim serve``."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LimServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store = Store(
            config.database_path,
            synchronous=config.synchronous,
            node_id=config.node_id,
            commit_window=config.commit_window_ms / 1000,
        )
        self.router = LocalRouter()
        self.services: Services
        self.gateway: Gateway
        self.http: _EmbeddedUvicorn | None = None
        self.ssh: Any = None
        self.addresses: dict[str, tuple[str, int]] = {}
        self.started_at = time.monotonic()
        self._tasks: list[asyncio.Task[Any]] = []
        self._http_task: asyncio.Task[Any] | None = None
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        config = self.config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store.open()
        self.services = Services(self.store, self.router)
        await self._ensure_apps()

        self.gateway = Gateway(
            self.services,
            self.router,
            GatewaySettings(
                max_body=config.max_body,
                max_buffer=config.max_buffer,
                login_timeout=config.login_timeout,
                idle_timeout=config.idle_timeout,
            ),
        )
        self.addresses["ws"] = await self.gateway.listen_websocket(
            config.host, config.ws_port
        )
        self.addresses["tcp"] = await self.gateway.listen_tcp(
            config.host, config.tcp_port
        )
        if config.http_port >= 0:
            self.addresses["http"] = await self._start_http()
        if config.ssh_port >= 0:
            try:
                self.addresses["ssh"] = await self._start_ssh()
            except OSError as exc:
                # Chat over SSH is an extra: a busy port must not stop the server.
                log.warning(
                    "ssh gateway off: cannot listen on port %d: %s",
                    config.ssh_port,
                    exc,
                )

        self._tasks.append(asyncio.create_task(self._retention_forever()))
        sweeper = self.services.presence.sweep_forever()
        self._tasks.append(asyncio.create_task(sweeper))
        self._write_runtime()
        log.info("lim is ready (data in %s)", config.data_dir)

    async def _ensure_apps(self) -> None:
        app = await self.services.apps.ensure_default()
        for each in self.services.apps.list():
            await self.ensure_admin(each.app_id)
        log.info("default app %d", app.app_id)

    async def ensure_admin(self, app_id: int) -> None:
        """Every app has the admin account the local CLI acts as."""
        if self.store.users.get(app_id, LOCAL_ADMIN) is None:
            admin = User(
                app_id=app_id,
                user_id=LOCAL_ADMIN,
                nickname="lim admin",
                user_type=APP_ADMIN,
            )
            await self.store.users.create(admin)

    async def _start_http(self) -> tuple[str, int]:
        from .api.http import create_http_app

        sock = socket.socket(
            socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it a kept-alive connection
        # waits for a delayed ACK between the response's head and body.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.config.host, self.config.http_port))
        sock.listen(1024)
        sock.setblocking(False)
        address = sock.getsockname()[:2]

        uv_config = uvicorn.Config(
            create_http_app(self),
            log_config=None,
            lifespan="off",
            access_log=False,
            server_header=False,
        )
        self.http = _EmbeddedUvicorn(uv_config)
        self._http_task = asyncio.create_task(self.http.serve(sockets=[sock]))
        self._tasks.append(self._http_task)
        log.info("http api listening on %s:%d", *address)
        return address

    async def _start_ssh(self) -> tuple[str, int]:
        from .gateway.ssh import start_ssh

        self.ssh, address = await start_ssh(self)
        return address

    def route(self) -> dict[str, str]:
        """The addresses a client should connect to."""
        host = self.config.public_host or self.config.host
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        data = {
            "ws": f"ws://{host}:{self.addresses['ws'][1]}/ws",
            "tcp": f"{host}:{self.addresses['tcp'][1]}",
        }
        if "http" in self.addresses:
            data["http"] = f"http://{host}:{self.addresses['http'][1]}"
        if "ssh" in self.addresses:
            data["ssh"] = f"{host}:{self.addresses['ssh'][1]}"
        return data

    def _write_runtime(self) -> None:
        runtime = {
            "pid": os.getpid(),
            "startedAt": int(time.time()),
            "host": self.config.host,
            "addresses": {name: list(addr) for name, addr in self.addresses.items()},
            "route": self.route(),
        }
        path = self.config.runtime_path
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(runtime, indent=2))
        tmp.replace(path)

    async def _retention_forever(self) -> None:
        while True:
            try:
                await self.apply_retention()
            except Exception:
                log.exception("retention sweep failed")
            await asyncio.sleep(RETENTION_INTERVAL)

    async def apply_retention(self) -> int:
        """Delete messages older than each app's retention setting, if any."""
        purged = 0
        for app in self.services.apps.list():
            days = app.settings.retention_days
            if days is None:
                continue
            cutoff = int((time.time() - days * 86400) * 1000)
            count = await self.store.messages.purge_before(app.app_id, cutoff)
            if count:
                log.info("retention: removed %d messages of app %d", count, app.app_id)
            purged += count
        return purged

    async def stop(self) -> None:
        """Close sessions, stop listeners, commit pending writes, close the store."""
        log.info("shutting down")
        await self.gateway.close()
        if self.ssh is not None:
            self.ssh.close()
        if self.http is not None:
            self.http.should_exit = True
        for task in self._tasks:
            if task is not self._http_task:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.store.close()
        with contextlib.suppress(FileNotFoundError):
            self.config.runtime_path.unlink()
        self._stopped.set()
        log.info("stopped")
