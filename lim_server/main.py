"""Entry points used by the CLI: run a server until signalled, initialise."""

from __future__ import annotations

import asyncio
import logging
import signal

from . import logs
from .config import ServerConfig
from .models import App
from .server import LimServer

log = logging.getLogger(__name__)


async def serve_until_signalled(config: ServerConfig) -> None:
    server = LimServer(config)
    await server.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def run_server(config: ServerConfig) -> None:
    logs.configure(config.log_level, config.log_format)
    asyncio.run(serve_until_signalled(config))


def initialise(config: ServerConfig, app_name: str = "default") -> App:
    """Create the database and the first app (if none), without serving."""

    async def setup() -> App:
        server = LimServer(config)
        server.store.open()
        try:
            from .services import Services

            server.services = Services(server.store, server.router)
            apps = server.services.apps.list()
            app = apps[0] if apps else await server.services.apps.create(app_name)
            await server.ensure_admin(app.app_id)
            return app
        finally:
            server.store.close()

    return asyncio.run(setup())
