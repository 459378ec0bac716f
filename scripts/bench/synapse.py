"""Matrix Synapse as a baseline: install, configure, start, and drive it.

The suite installs ``matrix-synapse`` from PyPI into its own virtual
environment, writes a loopback-only config on SQLite with every rate limit
lifted and presence off, and drives it through the client-server API the way
``lim bench`` drives lim: user ``k`` sends to user ``k + 1`` in a room the two
share (PUT with a txnId), receivers long-poll ``/sync``. Latency counts from
the intended send time; the ack is the PUT's response. Each receiver holds
one /sync long-poll (30 s timeout) open at a time, as a client would.

Synapse is not asked for read receipts, which lim's workload includes: the
comparison favours Synapse.

Generator side (run by the suite)::

    python scripts/bench/synapse.py load --base http://127.0.0.1:8008 \\
        --secret S --users 10 --rate 50 --duration 10 --pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# The first sync only fetches a position to long-poll from.
FIRST_SYNC_FILTER = json.dumps(
    {"presence": {"types": []}, "room": {"timeline": {"limit": 1}}},
    separators=(",", ":"),
)
RATE_LIMIT = {"per_second": 1000000, "burst_count": 1000000}
SYNC_FILTER = json.dumps(
    {
        "presence": {"types": []},
        "account_data": {"types": []},
        "room": {
            "timeline": {"limit": 5000, "types": ["m.room.message"]},
            "state": {"types": []},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
        },
    },
    separators=(",", ":"),
)


# server side: install, configure, start


def install(venv: Path) -> Path:
    """Create the virtual environment with matrix-synapse; return its python."""
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import synapse"], capture_output=True, check=False
        )
        if check.returncode == 0:
            return python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "matrix-synapse"], check=True
    )
    return python


def configure(python: Path, directory: Path, port: int) -> tuple[Path, str]:
    """Write a loopback config with limits lifted; return it and the secret."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "homeserver.yaml"
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            "localhost",
            "--config-path",
            str(config),
            "--data-directory",
            str(directory),
            "--generate-config",
            "--report-stats=no",
        ],
        check=True,
        capture_output=True,
        cwd=directory,
    )
    secret = os.urandom(16).hex()
    overrides = {
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {
            "name": "sqlite3",
            "args": {"database": str(directory / "homeserver.db")},
        },
        "registration_shared_secret": secret,
        "enable_registration": False,
        "presence": {"enabled": False},
        "bcrypt_rounds": 4,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "report_stats": False,
        "log_config": None,
        "rc_message": RATE_LIMIT,
        "rc_registration": RATE_LIMIT,
        "rc_registration_token_validity": RATE_LIMIT,
        "rc_login": {
            "address": RATE_LIMIT,
            "account": RATE_LIMIT,
            "failed_attempts": RATE_LIMIT,
        },
        "rc_joins": {"local": RATE_LIMIT, "remote": RATE_LIMIT},
        "rc_joins_per_room": RATE_LIMIT,
        "rc_invites": {
            "per_room": RATE_LIMIT,
            "per_user": RATE_LIMIT,
            "per_issuer": RATE_LIMIT,
        },
        "rc_3pid_validation": RATE_LIMIT,
        "rc_admin_redaction": RATE_LIMIT,
        "rc_room_creation": RATE_LIMIT,
        "rc_reports": RATE_LIMIT,
    }
    script = (
        "import sys, yaml\n"
        "path, extra = sys.argv[1], yaml.safe_load(sys.argv[2])\n"
        "data = yaml.safe_load(open(path))\n"
        "data.update(extra)\n"
        "data = {k: v for k, v in data.items() if v is not None}\n"
        "yaml.safe_dump(data, open(path, 'w'))\n"
    )
    subprocess.run(
        [str(python), "-c", script, str(config), json.dumps(overrides)], check=True
    )
    return config, secret


def start_command(python: Path, config: Path) -> list[str]:
    return [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)]


# generator side


async def register(client: Any, base: str, secret: str, user: str) -> str:
    """Register a user with the shared-secret admin API; return its token."""
    nonce = (await client.get(f"{base}/_synapse/admin/v1/register")).json()["nonce"]
    password = "bench-password"
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(f"{nonce}\0{user}\0{password}\0notadmin".encode())
    response = await client.post(
        f"{base}/_synapse/admin/v1/register",
        json={
            "nonce": nonce,
            "username": user,
            "password": password,
            "admin": False,
            "mac": mac.hexdigest(),
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "p999": None, "max": None}
    ordered = sorted(values)
    last = len(ordered) - 1

    def pick(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] * 1000, 3)

    return {
        "p50": pick(0.5),
        "p99": pick(0.99),
        "p999": pick(0.999),
        "max": round(ordered[-1] * 1000, 3),
    }


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def prepare(
    client: Any, base: str, secret: str, count: int
) -> tuple[list[str], list[str], list[str]]:
    """Register the users and make one room per sender and receiver."""
    prefix = os.urandom(3).hex()
    names = [f"b{prefix}u{n}" for n in range(count)]
    tokens = [await register(client, base, secret, name) for name in names]
    rooms = []
    for k in range(count):
        auth = {"Authorization": f"Bearer {tokens[k]}"}
        peer = f"@{names[(k + 1) % count]}:localhost"
        created = await client.post(
            f"{base}/_matrix/client/v3/createRoom",
            json={
                "preset": "trusted_private_chat",
                "invite": [peer],
                "is_direct": True,
            },
            headers=auth,
        )
        created.raise_for_status()
        room = created.json()["room_id"]
        joined = await client.post(
            f"{base}/_matrix/client/v3/join/{room}",
            json={},
            headers={"Authorization": f"Bearer {tokens[(k + 1) % count]}"},
        )
        joined.raise_for_status()
        rooms.append(room)
    return names, tokens, rooms


async def settle(pid: int, limit: float = 60.0) -> None:
    """Wait until the server's background work after set-up has died down."""
    if not pid:
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(1.0)
        if cpu_seconds(pid) - before < 0.05:
            return


async def load(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    base = args.base.rstrip("/")
    run = os.urandom(3).hex()
    count = args.users
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    timeout = httpx.Timeout(60.0)
    setup = httpx.AsyncClient(timeout=timeout)
    state = Path(args.state) if args.state else None
    if state is not None and state.exists():
        saved = json.loads(state.read_text())
        names, tokens, rooms = saved["names"], saved["tokens"], saved["rooms"]
    else:
        names, tokens, rooms = await prepare(setup, base, args.secret, count)
        if state is not None:
            state.write_text(
                json.dumps({"names": names, "tokens": tokens, "rooms": rooms})
            )
        await settle(args.pid)
    clients = [
        httpx.AsyncClient(
            base_url=base,
            timeout=timeout,
            limits=limits,
            headers={"Authorization": f"Bearer {token}"},
        )
        for token in tokens
    ]

    total = max(1, int(args.rate * args.duration))
    acked = [0.0] * total
    delivered = [0.0] * total
    deliver_count = [0] * total
    errors: dict[str, int] = {}
    stop = asyncio.Event()

    async def first_since(client: Any) -> str:
        params = {"filter": FIRST_SYNC_FILTER, "timeout": "0"}
        response = await client.get("/_matrix/client/v3/sync", params=params)
        response.raise_for_status()
        return str(response.json()["next_batch"])

    async def sync_loop(index: int, since: str) -> None:
        me = f"@{names[index]}:localhost"
        client = clients[index]
        while not stop.is_set():
            params = {"filter": SYNC_FILTER, "since": since, "timeout": "30000"}
            try:
                response = await client.get("/_matrix/client/v3/sync", params=params)
            except httpx.HTTPError as exc:
                key = f"sync {type(exc).__name__}"
                errors[key] = errors.get(key, 0) + 1
                continue
            now = time.monotonic()
            data = response.json()
            since = data.get("next_batch", since)
            for room in data.get("rooms", {}).get("join", {}).values():
                for event in room.get("timeline", {}).get("events", []):
                    if event.get("sender") == me:
                        continue
                    content = event.get("content", {})
                    k = content.get("lim_id")
                    if not isinstance(k, int) or content.get("lim_run") != run:
                        continue
                    deliver_count[k] += 1
                    if deliver_count[k] == 1:
                        delivered[k] = now

    # Start from a quiet server: the previous run's background work is over.
    await settle(args.pid)
    sinces = [await first_since(client) for client in clients]
    syncers = [asyncio.create_task(sync_loop(i, s)) for i, s in enumerate(sinces)]

    async def send(k: int) -> None:
        sender = k % count
        body = {"msgtype": "m.text", "body": "x" * 32, "lim_id": k, "lim_run": run}
        path = f"/_matrix/client/v3/rooms/{rooms[sender]}/send/m.room.message/t{run}{k}"
        try:
            response = await clients[sender].put(path, json=body)
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        if response.status_code != 200:
            errors[str(response.status_code)] = (
                errors.get(str(response.status_code), 0) + 1
            )
            return
        acked[k] = time.monotonic()

    cpu_before = cpu_seconds(args.pid) if args.pid else None
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    senders = []
    k = 0
    while k < total:
        due = min(total, int((loop.time() - t0) * args.rate) + 1)
        while k < due:
            senders.append(asyncio.create_task(send(k)))
            k += 1
        await asyncio.sleep(max(0.0, t0 + k / args.rate - loop.time()))
    await asyncio.gather(*senders)
    deadline = loop.time() + args.drain_timeout
    while loop.time() < deadline and sum(1 for t in delivered if t) < total:
        await asyncio.sleep(0.05)
    finished = min(loop.time(), max(delivered + acked))
    cpu = cpu_seconds(args.pid) - cpu_before if cpu_before is not None else None
    stop.set()
    for syncer in syncers:
        syncer.cancel()
    await asyncio.gather(*syncers, return_exceptions=True)
    for client in [*clients, setup]:
        await client.aclose()

    acks = [acked[k] - (t0 + k / args.rate) for k in range(total) if acked[k]]
    delivers = [
        delivered[k] - (t0 + k / args.rate) for k in range(total) if delivered[k]
    ]
    elapsed = finished - t0
    result: dict[str, Any] = {
        "workload": "p2p",
        "users": count,
        "rate": args.rate,
        "duration": args.duration,
        "sent": total,
        "acked": len(acks),
        "delivered": len(delivers),
        "receipts": 0,
        "duplicateAcks": 0,
        "duplicateDeliveries": sum(1 for n in deliver_count if n > 1),
        "wrongReceiver": 0,
        "errors": sum(errors.values()),
        "errorKinds": errors,
        "throughput": round(len(delivers) / elapsed, 1) if elapsed > 0 else 0.0,
        "elapsed": round(elapsed, 3),
        "ackLatencyMs": percentiles(acks),
        "deliveryLatencyMs": percentiles(delivers),
        "receiptLatencyMs": percentiles([]),
        "serverCpuSeconds": None if cpu is None else round(cpu, 4),
        "serverCpuUsPerMessage": (
            round(cpu / len(delivers) * 1e6, 2)
            if cpu is not None and delivers
            else None
        ),
    }
    result["exactlyOnce"] = (
        result["acked"] == result["delivered"] == total
        and result["duplicateDeliveries"] == 0
        and result["errors"] == 0
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Drive Synapse like lim bench.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("load")
    run.add_argument("--base", required=True)
    run.add_argument("--secret", required=True)
    run.add_argument("--users", type=int, default=10)
    run.add_argument("--rate", type=float, default=50.0)
    run.add_argument("--duration", type=float, default=10.0)
    run.add_argument("--drain-timeout", type=float, default=20.0)
    run.add_argument("--pid", type=int, default=0)
    run.add_argument("--state", default="", help="Users and rooms kept between runs.")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(load(args))))


if __name__ == "__main__":
    main()
