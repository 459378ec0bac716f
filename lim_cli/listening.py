"""The socket side of ``lim listen``: log in, then print every pushed event."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from lim_protocol.commands import ClientType, Command

# Well inside the server's idle timeout (300 s by default).
HEARTBEAT = 30.0


def _address(route: dict[str, str]) -> str:
    if route.get("tcp"):
        return f"tcp://{route['tcp']}"
    if route.get("ws"):
        return route["ws"]
    raise ConnectionError("the server announced no gateway address")


def _human(name: str, body: Any) -> str:
    """``alice: hi`` for a 1:1 message, ``[team] alice: hi`` in a group."""
    if isinstance(body, dict) and "messageBody" in body:
        content = body["messageBody"]
        text = content.get("text") if isinstance(content, dict) else None
        shown = text if text is not None else json.dumps(content, ensure_ascii=False)
        group = f"[{body['groupId']}] " if body.get("groupId") else ""
        return f"{group}{body.get('fromId')}: {shown}"
    return f"{name} {json.dumps(body, ensure_ascii=False)}"


async def listen_forever(
    route: dict[str, str], app_id: int, user_id: str, token: str, lines: bool
) -> None:
    """Print events until the connection closes (then raise ConnectionError)."""
    from lim_client.session import connect

    session = await connect(
        _address(route), app_id=app_id, client_type=ClientType.TERMINAL
    )
    try:
        await session.login(user_id, token, client_name="lim listen")
        # Tell whoever waits on us (scripts, tests) that we are receiving.
        sys.stderr.write(f"listening as {user_id}\n")
        sys.stderr.flush()
        beat = asyncio.ensure_future(_heartbeat(session))
        try:
            await _print_events(session, lines)
        finally:
            beat.cancel()
    finally:
        await session.close()


async def _heartbeat(session: Any) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT)
        await session.send(Command.PING, {})


async def _print_events(session: Any, lines: bool) -> None:
    while True:
        event = await _next(session, session.events.get())
        if event is None:
            reason = session.close_reason or "connection closed"
            raise ConnectionError(reason)
        if event.command == Command.PING:
            continue
        if lines:
            record = {
                "command": event.command,
                "name": event.name,
                "body": event.body,
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(_human(event.name, event.body) + "\n")
        sys.stdout.flush()


async def _next(session: Any, get: Any) -> Any:
    closed = asyncio.ensure_future(session.closed.wait())
    getter = asyncio.ensure_future(get)
    done, _ = await asyncio.wait({closed, getter}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        closed.cancel()
        return getter.result()
    getter.cancel()
    return None
