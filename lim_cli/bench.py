"""``lim bench``: drive a lim server with open-loop 1:1 traffic and measure it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer

from .output import fail, print_json


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    ctx: typer.Context,
    users: int = typer.Option(
        20, "--users", "-n", min=2, help="Users, one device each."
    ),
    transport: str = typer.Option("ws", "--transport", "-t", help="ws or tcp."),
    rate: float = typer.Option(
        1000.0, "--rate", "-r", min=0.1, help="Messages/s sent."
    ),
    duration: float = typer.Option(
        10.0, "--duration", min=0.1, help="Seconds of load."
    ),
    workload: str = typer.Option(
        "p2p", "--workload", "-w", help="p2p (1:1) or group (first user sends)."
    ),
    group: str = typer.Option(
        None, "--group", help="Group to use (default: create one of all users)."
    ),
    receipts: bool = typer.Option(
        True, "--receipts/--no-receipts", help="Receivers return MSG_RECEIVE_ACK."
    ),
    prefix: str = typer.Option("bench-", "--prefix", help="User id prefix."),
    url: str = typer.Option(
        None, "--url", help="Socket URL (tcp://h:p or ws://h:p/ws); default: route."
    ),
    app_id: int = typer.Option(None, "--app", help="App id (default: the first)."),
    credentials: Path = typer.Option(  # noqa: B008
        None,
        "--credentials",
        help="File of 'userId userSign' lines to use instead of creating users.",
    ),
    server_pid: int = typer.Option(
        None, "--server-pid", help="Pid to read CPU from (default: local server)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Load a server with open-loop 1:1 messages; print latency and throughput.

    Users are created through the admin API (or read from --credentials).
    Latency counts from each message's intended send time. Server CPU per
    message is reported when the server runs on this machine.

    Example: lim bench --users 50 --transport tcp --rate 2000 --duration 10
    """
    from lim_client.bench import BenchConfig, BenchError, run_group, run_p2p

    if workload not in ("p2p", "group"):
        fail(f"unknown workload {workload!r}: use p2p or group", 2)
    if transport not in ("ws", "tcp"):
        fail("--transport must be ws or tcp", 2)

    setup = _setup(ctx, users, transport, prefix, url, app_id, credentials)
    config = BenchConfig(
        url=setup["url"],
        app_id=setup["appId"],
        users=setup["users"],
        rate=rate,
        duration=duration,
        receipts=receipts,
        server_pid=server_pid or setup.get("pid"),
    )
    try:
        if workload == "group":
            group_id = group or _create_group(ctx, setup["users"], prefix)
            result = asyncio.run(run_group(config, group_id))
        else:
            result = asyncio.run(run_p2p(config))
    except BenchError as exc:
        fail(str(exc))
    result["transport"] = transport
    if as_json:
        print_json(result)
    elif workload == "group":
        typer.echo(render_group(result))
    else:
        typer.echo(render(result))
    if not result["exactlyOnce"]:
        raise typer.Exit(1)


def _setup(
    ctx: typer.Context,
    count: int,
    transport: str,
    prefix: str,
    url: str | None,
    app_id: int | None,
    credentials: Path | None,
) -> dict[str, Any]:
    """Where to connect, as which users, and the local server's pid if any."""
    from lim_client.bench import Credentials

    from .common import Options
    from .local import read_runtime

    options: Options = ctx.obj or Options(None, None, None)
    runtime = None if options.server else read_runtime(options.data_dir)
    setup: dict[str, Any] = {"pid": runtime["pid"] if runtime else None}

    if credentials is not None:
        if url is None:
            fail("--credentials needs --url", 2)
        lines = credentials.read_text().split("\n")
        pairs = [line.split() for line in lines if line.strip()]
        setup["users"] = [Credentials(user, token) for user, token in pairs[:count]]
        setup["url"] = url
        setup["appId"] = app_id or 1
        return setup

    setup.update(_create_users(ctx, count, prefix, app_id))
    route = setup.pop("route")
    setup["url"] = url or _socket_url(route, transport)
    return setup


def _create_users(
    ctx: typer.Context, count: int, prefix: str, app_id: int | None
) -> dict[str, Any]:
    from lim_client.bench import Credentials
    from lim_client.http import HttpApi
    from lim_client.session import LimClientError

    from .common import target

    where = target(ctx)
    api = HttpApi(where.server, where.token)
    ids = [f"{prefix}{n}" for n in range(count)]
    try:
        for start in range(0, count, 10000):
            rows = [{"userId": user_id} for user_id in ids[start : start + 10000]]
            api.call("/v1/user/import", {"users": rows})
        signer = _local_signer(ctx, app_id) if where.source == "local" else None
        users = []
        for user_id in ids:
            if signer is not None:
                token = signer(user_id)
            else:
                data = api.call("/v1/token/issue", {"userId": user_id})
                token = data["userSign"]
            users.append(Credentials(user_id, token))
        app = app_id or _app_id(api)
    except LimClientError as exc:
        fail(f"cannot prepare users: {exc.msg} (code {exc.code})")
    except ConnectionError as exc:
        fail(str(exc))
    finally:
        api.close()
    return {"users": users, "appId": app, "route": where.route}


def _create_group(ctx: typer.Context, users: list[Any], prefix: str) -> str:
    """A group of every bench user, the first one its owner."""
    from lim_client.http import HttpApi
    from lim_client.session import LimClientError

    from .common import target

    where = target(ctx)
    group_id = f"{prefix}group-{len(users)}"
    api = HttpApi(where.server, where.token)
    body = {
        "groupId": group_id,
        "ownerId": users[0].user_id,
        "name": group_id,
        "maxMembers": max(len(users), 2),
        "memberIds": [user.user_id for user in users[1:]],
    }
    try:
        api.call("/v1/group/create", body)
    except LimClientError as exc:
        # A group left by an earlier run with the same users is fine.
        try:
            api.call("/v1/group/get", {"groupId": group_id, "withMembers": False})
        except LimClientError:
            fail(f"cannot create the group: {exc.msg} (code {exc.code})")
    finally:
        api.close()
    return group_id


def _local_signer(ctx: typer.Context, app_id: int | None) -> Any:
    from lim_protocol.tokens import create_user_sign

    from .local import read_app

    app = read_app(ctx.obj.data_dir if ctx.obj else None, app_id)
    return lambda user_id: create_user_sign(app.secret, app.app_id, user_id, 86400)


def _app_id(api: Any) -> int:

    return int(api.app_id)


def _socket_url(route: dict[str, str], transport: str) -> str:
    if transport not in route:
        fail("no socket address known: pass --url tcp://host:port or ws://host:port/ws")
    address = route[transport]
    return address if "://" in address else f"tcp://{address}"


def render_group(result: dict[str, Any]) -> str:
    """The human-readable summary of a group run."""
    lines = [
        f"workload    group of {result['members']} over "
        f"{result.get('transport', '?')}, {result['rate']:g} msg/s for "
        f"{result['duration']:g} s",
        f"messages    sent {result['sent']}  acked {result['acked']}  deliveries "
        f"{result['deliveries']} of {result['expectedDeliveries']}",
        f"throughput  {result['deliveriesPerSecond']:,.0f} deliveries/s",
    ]
    for name, key in (("delivery", "deliveryLatencyMs"), ("spread", "spreadMs")):
        p = result[key]
        if p["p50"] is not None:
            lines.append(
                f"{name:<11} p50 {p['p50']:.2f} ms  p99 {p['p99']:.2f} ms  "
                f"max {p['max']:.2f} ms"
            )
    if result["serverCpuUsPerRecipient"] is not None:
        lines.append(
            f"server cpu  {result['serverCpuUsPerRecipient']:.1f} µs per recipient"
        )
    lines.append("exactly once " + ("yes" if result["exactlyOnce"] else "NO"))
    return "\n".join(lines)


def render(result: dict[str, Any]) -> str:
    """The human-readable summary of one run."""
    lines = [
        f"workload    1:1 over {result.get('transport', '?')}, "
        f"{result['users']} users, {result['rate']:g} msg/s for "
        f"{result['duration']:g} s",
        f"messages    sent {result['sent']}  acked {result['acked']}  "
        f"delivered {result['delivered']}  receipts {result['receipts']}",
        f"throughput  {result['throughput']:,.0f} delivered msg/s",
    ]
    for name, key in (
        ("ack", "ackLatencyMs"),
        ("delivery", "deliveryLatencyMs"),
        ("receipt", "receiptLatencyMs"),
    ):
        p = result[key]
        if p["p50"] is None:
            continue
        lines.append(
            f"{name:<11} p50 {p['p50']:.2f} ms  p99 {p['p99']:.2f} ms  "
            f"p99.9 {p['p999']:.2f} ms  max {p['max']:.2f} ms"
        )
    if result["serverCpuUsPerMessage"] is not None:
        lines.append(
            f"server cpu  {result['serverCpuUsPerMessage']:.1f} µs per message"
        )
    problems = {
        "errors": result["errors"],
        "duplicate acks": result["duplicateAcks"],
        "duplicate deliveries": result["duplicateDeliveries"],
        "wrong receiver": result["wrongReceiver"],
    }
    bad = ", ".join(f"{name} {n}" for name, n in problems.items() if n)
    lines.append("exactly once " + ("yes" if result["exactlyOnce"] else f"NO ({bad})"))
    if result["errorKinds"]:
        lines.append("errors      " + json.dumps(result["errorKinds"]))
    return "\n".join(lines)
