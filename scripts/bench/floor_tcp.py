"""The TCP floor: a bare asyncio relay of lim frames (see relay.py).

Prints ``port N`` on stdout once listening. Example::

    python scripts/bench/floor_tcp.py --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from relay import Relay, frames


class RelayProtocol(asyncio.Protocol):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.buffer = bytearray()
        self.state: dict[str, object] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        for command, body in frames(self.buffer):
            self.relay.handle(self.state, self.send, command, body)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.leave(self.state, self.send)


async def main(host: str, port: int) -> None:
    relay = Relay()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: RelayProtocol(relay), host, port, backlog=4096
    )
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)
