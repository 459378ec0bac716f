"""A load generator for lim servers: open-loop 1:1 traffic over TCP or WebSocket.

The generator speaks the wire protocol directly from asyncio protocols, with
no SDK, no task per connection and no pydantic, so that one core of
generator can push a server much harder than the SDK would. Over WebSocket
it writes client frames with an all-zero masking key: the mask is mandatory
on the wire but its value is the client's choice, and a zero key leaves the
payload as it is, which saves the generator an XOR of every byte.

Open loop: message ``k`` has the intended send time ``t0 + k / rate``. Every
latency is measured from that time, so a generator or server that falls
behind shows it as latency instead of quietly sending less (the coordinated
omission of closed-loop benchmarks).

Message ``k`` goes from user ``k mod N`` to user ``(k + 1) mod N``. The
receiver answers each delivery with MSG_RECEIVE_ACK, so one message costs the
server a send, a durable append, an ack, a push and a forwarded receipt.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic_core import from_json, to_json

HEADER = struct.Struct("!7I")
HEADER_SIZE = HEADER.size
LOGIN = 9000
LOGIN_ACK = 9001
ERROR = 9004
API_REQUEST = 9100
API_RESPONSE = 9101
MSG_P2P = 1103
MSG_ACK = 1046
MSG_RECEIVE_ACK = 1107
CLIENT_TYPE = 0  # api: never counts for login modes, never kicked

FrameHandler = Callable[["Connection", int, bytes, float], None]


class BenchError(Exception):
    """The benchmark could not run (connection or login failed)."""


@dataclass
class Credentials:
    user_id: str
    token: str


@dataclass
class BenchConfig:
    url: str
    app_id: int
    users: Sequence[Credentials]
    rate: float = 1000.0
    duration: float = 10.0
    receipts: bool = True
    text: str = "x" * 32
    drain_timeout: float = 15.0
    server_pid: int | None = None
    run_id: str = field(default_factory=lambda: os.urandom(4).hex())


# connections


class Connection(asyncio.Protocol):
    """One logged-in device speaking raw lim frames over TCP or WebSocket."""

    def __init__(self, websocket: bool, on_frame: FrameHandler | None) -> None:
        self.websocket = websocket
        self.on_frame = on_frame
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = not websocket
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.replies: dict[str, asyncio.Future[Any]] = {}
        self.closed = False
        self.user_id = ""
        self.app_id = 0
        self._ws_buffer = bytearray()
        self._fragments = bytearray()

    # asyncio protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.handshaken:
            return
        self.ready.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(BenchError(f"connection lost: {exc}"))
        for future in self.replies.values():
            if not future.done():
                future.set_exception(BenchError("connection lost"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.websocket:
            self.buffer += data
            self._frames(now)
            return
        self._ws_buffer += data
        if not self.handshaken:
            end = self._ws_buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._ws_buffer[:end]).split(b"\r\n", 1)[0]
            del self._ws_buffer[: end + 4]
            if b" 101 " not in status + b" ":
                self.ready.set_exception(BenchError(f"handshake refused: {status!r}"))
                return
            self.handshaken = True
            self.ready.set_result(None)
        self._ws_messages(now)

    # WebSocket framing (client side)

    def _ws_messages(self, now: float) -> None:
        buf = self._ws_buffer
        while len(buf) >= 2:
            first, second = buf[0], buf[1]
            length = second & 0x7F
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = int.from_bytes(buf[2:4], "big")
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = int.from_bytes(buf[2:10], "big")
                offset = 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            opcode = first & 0x0F
            if opcode in (0x0, 0x2):
                self._fragments += payload
                if first & 0x80:
                    self.buffer += self._fragments
                    self._fragments.clear()
                    self._frames(now)
            elif opcode == 0x9:
                self._write_ws(0xA, payload)
            elif opcode == 0x8 and self.transport is not None:
                self.transport.close()
                return

    def _write_ws(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB4x", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            head = struct.pack("!BBH4x", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ4x", 0x80 | opcode, 0x80 | 127, length)
        self.transport.write(head + payload)

    # lim frames

    def _frames(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= HEADER_SIZE:
            command, _, _, _, _, imei_length, body_length = HEADER.unpack_from(buf)
            end = HEADER_SIZE + imei_length + body_length
            if len(buf) < end:
                return
            body = bytes(buf[HEADER_SIZE + imei_length : end])
            del buf[:end]
            self._frame(command, body, now)

    def _frame(self, command: int, body: bytes, now: float) -> None:
        if command in (LOGIN_ACK, API_RESPONSE) or (command == ERROR and self.replies):
            reply = from_json(body)
            future = self.replies.pop(reply.get("rid") or "", None)
            if future is not None and not future.done():
                future.set_result(reply)
                return
        if self.on_frame is not None:
            self.on_frame(self, command, body, now)

    def send(self, command: int, body: bytes) -> None:
        """Write one lim frame."""
        if self.transport is None or self.closed:
            return
        frame = HEADER.pack(command, 1, CLIENT_TYPE, 0, self.app_id, 0, len(body))
        if self.websocket:
            self._write_ws(0x2, frame + body)
        else:
            self.transport.write(frame + body)

    async def request(self, command: int, payload: dict[str, Any]) -> Any:
        """Send a request with a fresh rid and wait for its reply body."""
        rid = os.urandom(6).hex()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.replies[rid] = future
        self.send(command, to_json({**payload, "rid": rid}))
        reply = await future
        if reply.get("code") != 200:
            raise BenchError(f"{reply.get('msg')} ({reply.get('code')})")
        return reply.get("data")

    async def api(self, path: str, body: dict[str, Any]) -> Any:
        return await self.request(API_REQUEST, {"path": path, "body": body})

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


def parse_url(url: str) -> tuple[str, int, bool, str]:
    """``(host, port, websocket?, path)`` of ``tcp://h:p`` or ``ws://h:p/ws``."""
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    if parts.scheme not in ("tcp", "ws"):
        raise BenchError(f"unsupported url {url!r}: use tcp://host:port or ws://...")
    if parts.hostname is None or parts.port is None:
        raise BenchError(f"url {url!r} needs a host and a port")
    return parts.hostname, parts.port, parts.scheme == "ws", parts.path or "/ws"


async def connect(
    url: str,
    app_id: int,
    credentials: Credentials | None = None,
    on_frame: FrameHandler | None = None,
) -> Connection:
    """Open one connection and, given credentials, log in."""
    host, port, websocket, path = parse_url(url)
    loop = asyncio.get_running_loop()
    try:
        _, conn = await loop.create_connection(
            lambda: Connection(websocket, on_frame), host, port
        )
    except OSError as exc:
        raise BenchError(f"cannot connect to {url}: {exc}") from exc
    conn.app_id = app_id
    if websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        assert conn.transport is not None
        conn.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
    await conn.ready
    if credentials is not None:
        await conn.request(
            LOGIN, {"userId": credentials.user_id, "userSign": credentials.token}
        )
        conn.user_id = credentials.user_id
    return conn


async def connect_many(
    url: str,
    app_id: int,
    users: Sequence[Credentials],
    on_frame: FrameHandler | None = None,
    parallel: int = 100,
) -> list[Connection]:
    """Connect and log in every user, ``parallel`` at a time, in order."""
    gate = asyncio.Semaphore(parallel)

    async def one(credentials: Credentials) -> Connection:
        async with gate:
            return await connect(url, app_id, credentials, on_frame)

    return list(await asyncio.gather(*(one(user) for user in users)))


# measurement helpers


def server_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a local process, all threads included."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 (utime, stime) sit at 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p99/p99.9/max in milliseconds of latencies given in seconds."""
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


# the 1:1 workload


class P2PRun:
    """State of one open-loop 1:1 run: what was sent, acked, delivered."""

    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        self.total = max(1, int(config.rate * config.duration))
        self.prefix = f"b{config.run_id}-"
        self.t0 = 0.0
        self.acked = [0.0] * self.total
        self.delivered = [0.0] * self.total
        self.receipted = [0.0] * self.total
        self.ack_count = [0] * self.total
        self.deliver_count = [0] * self.total
        self.receipt_count = [0] * self.total
        self.errors: dict[str, int] = {}
        self.wrong_receiver = 0
        self.server_sent = 0
        self.outstanding = self.total * (3 if config.receipts else 2)
        self.done = asyncio.get_running_loop().create_future()
        self.users = [user.user_id for user in config.users]

    def intended(self, k: int) -> float:
        return self.t0 + k / self.config.rate

    def _index(self, message_id: str) -> int:
        if not message_id.startswith(self.prefix):
            return -1
        return int(message_id[len(self.prefix) :])

    def _progress(self) -> None:
        self.outstanding -= 1
        if self.outstanding <= 0 and not self.done.done():
            self.done.set_result(None)

    def _error(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1

    def on_frame(self, conn: Connection, command: int, body: bytes, now: float) -> None:
        if command == MSG_P2P:
            message = from_json(body)
            k = self._index(message.get("messageId", ""))
            if k < 0:
                return
            self.deliver_count[k] += 1
            if self.deliver_count[k] > 1:
                return
            if message.get("toId") != conn.user_id:
                self.wrong_receiver += 1
            self.delivered[k] = now
            self._progress()
            if self.config.receipts:
                receipt = {
                    "messageKey": message["messageKey"],
                    "fromId": message["fromId"],
                    "toId": message["toId"],
                    "messageSequence": message["messageSequence"],
                }
                conn.send(MSG_RECEIVE_ACK, to_json(receipt))
        elif command == MSG_ACK:
            reply = from_json(body)
            data = reply.get("data") or {}
            k = self._index(data.get("messageId", ""))
            if reply.get("code") != 200:
                self._error(f"ack {reply.get('code')}: {reply.get('msg')}")
            if k < 0:
                return
            self.ack_count[k] += 1
            if self.ack_count[k] == 1:
                self.acked[k] = now
                self._progress()
        elif command == MSG_RECEIVE_ACK:
            receipt = from_json(body)
            k = self._index(receipt.get("messageId", ""))
            if k < 0:
                return
            if receipt.get("serverSend"):
                self.server_sent += 1
                return
            self.receipt_count[k] += 1
            if self.receipt_count[k] == 1 and self.config.receipts:
                self.receipted[k] = now
                self._progress()
        elif command == ERROR:
            reply = from_json(body)
            self._error(f"error {reply.get('code')}: {reply.get('msg')}")

    def body(self, k: int) -> bytes:
        to_id = self.users[(k + 1) % len(self.users)]
        return (
            f'{{"messageId":"{self.prefix}{k}","toId":"{to_id}",'
            f'"messageBody":{{"type":"text","text":"{self.config.text}"}}}}'
        ).encode()

    async def send_all(self, connections: list[Connection]) -> None:
        """Send every message at its intended time (late ones at once)."""
        loop = asyncio.get_running_loop()
        rate = self.config.rate
        count = len(connections)
        k = 0
        while k < self.total:
            due = min(self.total, int((loop.time() - self.t0) * rate) + 1)
            while k < due:
                connections[k % count].send(MSG_P2P, self.body(k))
                k += 1
            await asyncio.sleep(max(0.0, self.t0 + k / rate - loop.time()))

    def report(self, elapsed: float, cpu: float | None) -> dict[str, Any]:
        acks, delivers, receipts = [], [], []
        for k in range(self.total):
            start = self.intended(k)
            if self.acked[k]:
                acks.append(self.acked[k] - start)
            if self.delivered[k]:
                delivers.append(self.delivered[k] - start)
            if self.receipted[k]:
                receipts.append(self.receipted[k] - start)
        delivered = len(delivers)
        result: dict[str, Any] = {
            "workload": "p2p",
            "users": len(self.users),
            "rate": self.config.rate,
            "duration": self.config.duration,
            "sent": self.total,
            "acked": len(acks),
            "delivered": delivered,
            "receipts": len(receipts),
            "duplicateAcks": sum(1 for n in self.ack_count if n > 1),
            "duplicateDeliveries": sum(1 for n in self.deliver_count if n > 1),
            "wrongReceiver": self.wrong_receiver,
            "errors": sum(self.errors.values()),
            "errorKinds": self.errors,
            "throughput": round(delivered / elapsed, 1) if elapsed > 0 else 0.0,
            "elapsed": round(elapsed, 3),
            "ackLatencyMs": percentiles(acks),
            "deliveryLatencyMs": percentiles(delivers),
            "receiptLatencyMs": percentiles(receipts),
            "serverCpuSeconds": None if cpu is None else round(cpu, 4),
            "serverCpuUsPerMessage": (
                round(cpu / delivered * 1e6, 2)
                if cpu is not None and delivered
                else None
            ),
        }
        result["exactlyOnce"] = (
            result["acked"] == result["delivered"] == self.total
            and result["duplicateAcks"] == 0
            and result["duplicateDeliveries"] == 0
            and result["wrongReceiver"] == 0
            and result["errors"] == 0
        )
        return result


async def run_p2p(config: BenchConfig) -> dict[str, Any]:
    """Connect every user, run the open-loop 1:1 workload, report."""
    if len(config.users) < 2:
        raise BenchError("the 1:1 workload needs at least two users")
    run = P2PRun(config)
    connections = await connect_many(
        config.url, config.app_id, config.users, run.on_frame
    )
    try:
        pid = config.server_pid
        cpu_before = server_cpu_seconds(pid) if pid else None
        loop = asyncio.get_running_loop()
        run.t0 = loop.time() + 0.05
        await run.send_all(connections)
        try:
            await asyncio.wait_for(
                asyncio.shield(run.done), config.duration + config.drain_timeout
            )
        except TimeoutError:
            pass
        # The last delivery (or the give-up time) ends the measured window.
        finished = max(run.delivered + run.acked + run.receipted + [loop.time()])
        finished = min(finished, loop.time())
        cpu = (
            server_cpu_seconds(pid) - cpu_before
            if pid and cpu_before is not None
            else None
        )
        return run.report(finished - run.t0, cpu)
    finally:
        for conn in connections:
            conn.close()


# the group workload


MSG_GROUP = 2104
GROUP_MSG_ACK = 2047


class GroupRun:
    """One open-loop group run: the first user sends, every member receives.

    Each delivery is timed from the message's intended send time; the
    spread is the time between the first and the last member receiving it.
    """

    def __init__(self, config: BenchConfig, group_id: str) -> None:
        self.config = config
        self.group_id = group_id
        self.total = max(1, int(config.rate * config.duration))
        self.prefix = f"g{config.run_id}-"
        self.t0 = 0.0
        self.recipients = len(config.users) - 1
        self.acked = [0.0] * self.total
        self.first = [0.0] * self.total
        self.last = [0.0] * self.total
        self.count = [0] * self.total
        self.latencies: list[float] = []
        self.seen: dict[str, bytearray] = {}
        self.duplicates = 0
        self.errors: dict[str, int] = {}
        self.outstanding = self.total * (1 + self.recipients)
        self.done = asyncio.get_running_loop().create_future()

    def _progress(self) -> None:
        self.outstanding -= 1
        if self.outstanding <= 0 and not self.done.done():
            self.done.set_result(None)

    def _index(self, message_id: str) -> int:
        if not message_id.startswith(self.prefix):
            return -1
        return int(message_id[len(self.prefix) :])

    def on_frame(self, conn: Connection, command: int, body: bytes, now: float) -> None:
        if command == MSG_GROUP:
            k = self._index(from_json(body).get("messageId", ""))
            if k < 0:
                return
            seen = self.seen.setdefault(conn.user_id, bytearray(self.total))
            if seen[k]:
                self.duplicates += 1
                return
            seen[k] = 1
            self.count[k] += 1
            if not self.first[k]:
                self.first[k] = now
            self.last[k] = now
            self.latencies.append(now - self.t0 - k / self.config.rate)
            self._progress()
        elif command == GROUP_MSG_ACK:
            reply = from_json(body)
            if reply.get("code") != 200:
                key = f"ack {reply.get('code')}: {reply.get('msg')}"
                self.errors[key] = self.errors.get(key, 0) + 1
            k = self._index((reply.get("data") or {}).get("messageId", ""))
            if k >= 0 and not self.acked[k]:
                self.acked[k] = now
                self._progress()
        elif command == ERROR:
            reply = from_json(body)
            key = f"error {reply.get('code')}: {reply.get('msg')}"
            self.errors[key] = self.errors.get(key, 0) + 1

    async def send_all(self, sender: Connection) -> None:
        loop = asyncio.get_running_loop()
        rate = self.config.rate
        k = 0
        while k < self.total:
            due = min(self.total, int((loop.time() - self.t0) * rate) + 1)
            while k < due:
                body = (
                    f'{{"messageId":"{self.prefix}{k}","groupId":"{self.group_id}",'
                    f'"messageBody":{{"type":"text","text":"{self.config.text}"}}}}'
                )
                sender.send(MSG_GROUP, body.encode())
                k += 1
            await asyncio.sleep(max(0.0, self.t0 + k / rate - loop.time()))

    def report(self, elapsed: float, cpu: float | None) -> dict[str, Any]:
        deliveries = sum(self.count)
        expected = self.total * self.recipients
        spreads = [
            self.last[k] - self.first[k] for k in range(self.total) if self.count[k]
        ]
        lasts = [
            self.last[k] - self.t0 - k / self.config.rate
            for k in range(self.total)
            if self.count[k]
        ]
        acks = [
            self.acked[k] - self.t0 - k / self.config.rate
            for k in range(self.total)
            if self.acked[k]
        ]
        result: dict[str, Any] = {
            "workload": "group",
            "members": len(self.config.users),
            "rate": self.config.rate,
            "duration": self.config.duration,
            "sent": self.total,
            "acked": len(acks),
            "deliveries": deliveries,
            "expectedDeliveries": expected,
            "duplicateDeliveries": self.duplicates,
            "errors": sum(self.errors.values()),
            "errorKinds": self.errors,
            "elapsed": round(elapsed, 3),
            "deliveriesPerSecond": round(deliveries / elapsed, 1) if elapsed else 0.0,
            "ackLatencyMs": percentiles(acks),
            "deliveryLatencyMs": percentiles(self.latencies),
            "spreadMs": percentiles(spreads),
            "lastDeliveryMs": percentiles(lasts),
            "serverCpuSeconds": None if cpu is None else round(cpu, 4),
            "serverCpuUsPerRecipient": (
                round(cpu / deliveries * 1e6, 2)
                if cpu is not None and deliveries
                else None
            ),
        }
        result["exactlyOnce"] = (
            deliveries == expected
            and len(acks) == self.total
            and self.duplicates == 0
            and result["errors"] == 0
        )
        return result


async def run_group(config: BenchConfig, group_id: str) -> dict[str, Any]:
    """Connect every member of ``group_id``; the first user sends; report."""
    if len(config.users) < 2:
        raise BenchError("the group workload needs at least two members")
    run = GroupRun(config, group_id)
    connections = await connect_many(
        config.url, config.app_id, config.users, run.on_frame, parallel=200
    )
    try:
        pid = config.server_pid
        cpu_before = server_cpu_seconds(pid) if pid else None
        loop = asyncio.get_running_loop()
        run.t0 = loop.time() + 0.05
        await run.send_all(connections[0])
        try:
            await asyncio.wait_for(
                asyncio.shield(run.done), config.duration + config.drain_timeout
            )
        except TimeoutError:
            pass
        finished = min(loop.time(), max([*run.last, *run.acked, run.t0]))
        cpu = None
        if pid and cpu_before is not None:
            cpu = server_cpu_seconds(pid) - cpu_before
        return run.report(finished - run.t0, cpu)
    finally:
        for conn in connections:
            conn.close()


# other workloads the suite uses


async def hold_idle(
    url: str, app_id: int, users: Sequence[Credentials], parallel: int = 200
) -> list[Connection]:
    """Connect and log in every user and keep the connections open."""
    return await connect_many(url, app_id, users, None, parallel)


async def fill(
    url: str,
    app_id: int,
    sender: Credentials,
    to_id: str,
    count: int,
    window: int = 2000,
    prefix: str = "fill-",
) -> float:
    """Send ``count`` messages as fast as acks allow; return the seconds taken."""
    acked = 0
    sent = 0
    finished = asyncio.get_running_loop().create_future()

    def on_frame(conn: Connection, command: int, body: bytes, now: float) -> None:
        nonlocal acked
        if command != MSG_ACK:
            return
        reply = from_json(body)
        if reply.get("code") != 200:
            if not finished.done():
                finished.set_exception(BenchError(f"send refused: {reply.get('msg')}"))
            return
        acked += 1
        top_up(conn)
        if acked >= count and not finished.done():
            finished.set_result(None)

    def top_up(conn: Connection) -> None:
        nonlocal sent
        while sent < count and sent - acked < window:
            body = (
                f'{{"messageId":"{prefix}{sent}","toId":"{to_id}",'
                f'"messageBody":{{"type":"text","text":"catch-up {sent}"}}}}'
            )
            conn.send(MSG_P2P, body.encode())
            sent += 1

    started = time.monotonic()
    conn = await connect(url, app_id, sender, on_frame)
    try:
        top_up(conn)
        await finished
    finally:
        conn.close()
    return time.monotonic() - started


async def catch_up(
    url: str, app_id: int, user: Credentials, page: int = 1000
) -> dict[str, Any]:
    """Sync every conversation of a device that was away; count gaps and dups."""
    started = time.monotonic()
    conn = await connect(url, app_id, user)
    round_trips = 0
    messages = 0
    gaps = 0
    duplicates = 0
    try:
        cursors = await conn.api("/v1/sync/cursors", {})
        round_trips += 1
        for conversation in cursors["conversations"]:
            last = conversation["lastSequence"]
            seen: set[int] = set()
            cursor = 0
            while cursor < last:
                data = await conn.api(
                    "/v1/sync/messages",
                    {
                        "conversationId": conversation["conversationId"],
                        "lastSequence": cursor,
                        "maxLimit": page,
                    },
                )
                round_trips += 1
                for message in data["dataList"]:
                    sequence = message["messageSequence"]
                    if sequence in seen:
                        duplicates += 1
                    seen.add(sequence)
                    cursor = max(cursor, sequence)
                messages += len(data["dataList"])
                if data["completed"] or not data["dataList"]:
                    break
            gaps += sum(1 for n in range(1, last + 1) if n not in seen)
    finally:
        conn.close()
    return {
        "workload": "catch-up",
        "messages": messages,
        "gaps": gaps,
        "duplicates": duplicates,
        "roundTrips": round_trips,
        "seconds": round(time.monotonic() - started, 3),
    }
