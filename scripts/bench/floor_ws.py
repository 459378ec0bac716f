"""The WebSocket floor: a bare ``websockets`` server relaying lim frames.

One binary message per frame, as lim does at ``/ws``; the relay logic is
relay.py. This is how one would write the server with websockets' own
asyncio API, a task per connection. Prints ``port N`` once listening::

    python scripts/bench/floor_ws.py --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from relay import Relay, frames
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

relay = Relay()


async def handler(ws: ServerConnection) -> None:
    state: dict[str, object] = {}
    buffer = bytearray()

    def send(data: bytes) -> None:
        # Queue without awaiting: the relay runs in the reader's turn, as lim's
        # gateway does, and websockets buffers the frame in the transport.
        try:
            ws.protocol.send_binary(data)
        except Exception:  # the connection is closing: drop, as lim does
            return
        ws.send_data()

    try:
        async for message in ws:
            if isinstance(message, str):
                continue
            buffer += message
            for command, body in frames(buffer):
                relay.handle(state, send, command, body)
    except ConnectionClosed:
        pass
    finally:
        relay.leave(state, send)


async def main(host: str, port: int) -> None:
    async with serve(
        handler, host, port, compression=None, max_size=2**20, ping_interval=None
    ) as server:
        sock = next(iter(server.sockets))
        print(f"port {sock.getsockname()[1]}", flush=True)
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
