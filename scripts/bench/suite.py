"""The benchmark suite: lim beside its floors and Synapse, in one run.

Run through ``scripts/bench/run``, which raises the file limit first. Every
server under test is pinned to core 0 and every load generator to core 1.
Each figure is the median of ``--runs`` runs with the min–max beside it. The
raw result of every run goes to a JSON-lines file; the summary to
docs/performance.md (see ``render.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import render  # noqa: E402

from lim_server.config import load_config  # noqa: E402
from lim_server.store.database import MAX_BATCH  # noqa: E402

PY = sys.executable
SERVER_CORE = "0"
GENERATOR_CORE = "1"
WORK = Path(os.environ.get("LIM_BENCH_DIR", "/tmp/lim-bench"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"{stamp} {message}", file=sys.stderr, flush=True)


def pinned(core: str, *command: str) -> list[str]:
    return ["taskset", "-c", core, *command]


def generate(*command: str, timeout: float = 900) -> dict[str, Any]:
    """Run a generator job on its core; return the JSON it printed."""
    done = subprocess.run(
        pinned(GENERATOR_CORE, *command),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{command[:4]} failed: {done.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


# servers


class Server:
    """A server under test, pinned to the server core."""

    def __init__(self, name: str, process: subprocess.Popen[Any]) -> None:
        self.name = name
        self.process = process
        self.pid = process.pid
        self.urls: dict[str, str] = {}
        self.app_id = 1
        self.credentials = WORK / f"{name}-{self.pid}.users"
        self.extra: dict[str, Any] = {}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_lim(name: str, synchronous: str = "FULL") -> Server:
    data = WORK / name
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run(
        [PY, "-m", "lim_cli", "init", "-d", str(data)],
        env=ENV,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        pinned(
            SERVER_CORE,
            PY,
            "-m",
            "lim_cli",
            "serve",
            "-d",
            str(data),
            "--ws-port",
            "0",
            "--tcp-port",
            "0",
            "--http-port",
            "0",
            "--synchronous",
            synchronous,
            "--log-level",
            "warning",
        ),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=open(WORK / f"{name}.log", "w"),
    )
    server = Server(name, process)

    def runtime() -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = json.loads((data / "server.json").read_text())
        except (OSError, ValueError):
            return None
        return info if info.get("pid") == process.pid else None

    info = wait_for(runtime, 60, f"{name} to start")
    server.urls = {
        "ws": info["route"]["ws"],
        "tcp": "tcp://" + info["route"]["tcp"],
        "http": info["route"]["http"],
    }
    from lim_cli.local import read_app

    app = read_app(data)
    server.app_id = app.app_id
    server.extra = {"data": data, "secret": app.secret}
    return server


def lim_users(server: Server, count: int, prefix: str = "u") -> Path:
    """Create ``count`` users through the admin API; write their tokens."""
    from lim_client.http import HttpApi
    from lim_protocol.tokens import create_user_sign

    secret = server.extra["secret"]
    admin = create_user_sign(secret, server.app_id, "@admin", 3600)
    api = HttpApi(server.urls["http"], admin, timeout=300)
    ids = [f"{prefix}{n}" for n in range(count)]
    for start in range(0, count, 10000):
        rows = [{"userId": user_id} for user_id in ids[start : start + 10000]]
        api.call("/v1/user/import", {"users": rows})
    api.close()
    lines = [f"{i} {create_user_sign(secret, server.app_id, i, 86400)}" for i in ids]
    server.credentials.write_text("\n".join(lines) + "\n")
    return server.credentials


def start_floor(kind: str) -> Server:
    process = subprocess.Popen(
        pinned(SERVER_CORE, PY, str(HERE / f"floor_{kind}.py"), "--port", "0"),
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=open(WORK / f"floor-{kind}.log", "w"),
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    server = Server(f"floor-{kind}", process)
    server.urls[kind] = (
        f"tcp://127.0.0.1:{port}" if kind == "tcp" else f"ws://127.0.0.1:{port}/ws"
    )
    return server


def floor_users(server: Server, count: int) -> Path:
    # The floor checks no token; it only needs distinct user ids.
    lines = [f"u{n} floor-has-no-tokens" for n in range(count)]
    server.credentials.write_text("\n".join(lines) + "\n")
    return server.credentials


def start_synapse() -> Server:
    import synapse

    python = synapse.install(WORK / "synapse-venv")
    directory = WORK / "synapse"
    shutil.rmtree(directory, ignore_errors=True)
    port = free_port()
    config, secret = synapse.configure(python, directory, port)
    process = subprocess.Popen(
        pinned(SERVER_CORE, *synapse.start_command(python, config)),
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=open(WORK / "synapse.log", "w"),
    )
    server = Server("synapse", process)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        import httpx

        try:
            return httpx.get(f"{base}/_matrix/client/versions", timeout=1).is_success
        except httpx.HTTPError:
            return False

    wait_for(up, 120, "synapse to start")
    server.urls["http"] = base
    version = subprocess.run(
        [str(python), "-c", "import synapse; print(synapse.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    server.extra = {"secret": secret, "version": version.stdout.strip()}
    return server


# one run of the 1:1 workload on any system


def p2p(
    server: Server, transport: str, rate: float, duration: float, users: int
) -> Any:
    if server.name == "synapse":
        return generate(
            PY,
            str(HERE / "synapse.py"),
            "load",
            "--base",
            server.urls["http"],
            "--secret",
            server.extra["secret"],
            "--users",
            str(users),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--pid",
            str(server.pid),
            "--state",
            str(WORK / "synapse" / "bench-users.json"),
        )
    return generate(
        PY,
        "-m",
        "lim_cli",
        "bench",
        "--url",
        server.urls[transport],
        "--app",
        str(server.app_id),
        "--credentials",
        str(server.credentials),
        "--server-pid",
        str(server.pid),
        "--users",
        str(users),
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--json",
    )


# the suite


class Suite:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.runs = args.runs or (1 if args.quick else 3)
        self.records: list[dict[str, Any]] = []
        self.stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.out = Path(args.jsonl)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.meta: dict[str, Any] = {}
        self.started = time.monotonic()

    def record(
        self, workload: str, system: str, run: int, result: dict[str, Any]
    ) -> None:
        entry = {
            **result,
            "suite": self.stamp,
            "quick": self.quick,
            "workload": workload,
            "system": system,
            "run": run,
        }
        self.records.append(entry)
        with self.out.open("a") as handle:
            handle.write(json.dumps(entry) + "\n")

    def wanted(self, workload: str) -> bool:
        return not self.args.only or workload in self.args.only.split(",")

    # workloads

    def idle(self) -> None:
        count = 1000 if self.quick else 10000
        for system in ("lim-ws", "lim-tcp", "floor-ws", "floor-tcp"):
            for run in range(self.runs):
                kind = system.split("-")[1]
                if system.startswith("lim"):
                    server = start_lim(f"idle-{system}")
                    lim_users(server, count)
                else:
                    server = start_floor(kind)
                    floor_users(server, count)
                try:
                    result = generate(
                        PY,
                        str(HERE / "driver.py"),
                        "idle",
                        "--url",
                        server.urls[kind],
                        "--app",
                        str(server.app_id),
                        "--credentials",
                        str(server.credentials),
                        "--count",
                        str(count),
                        "--pid",
                        str(server.pid),
                    )
                finally:
                    server.stop()
                log(f"idle {system} #{run}: {result['bytesPerConnection']} B/conn")
                self.record("idle", system, run, result)

    def start_system(self, name: str) -> tuple[Server, str] | None:
        """Start one system for the 1:1 workloads; only one runs at a time."""
        users = self.args.users
        if name.startswith("lim"):
            server = start_lim(name)
            lim_users(server, users)
            return server, name.split("-")[1]
        if name.startswith("floor"):
            kind = name.split("-")[1]
            server = start_floor(kind)
            floor_users(server, users)
            return server, kind
        try:
            server = start_synapse()
        except Exception as exc:  # the suite still reports lim and the floors
            log(f"synapse could not start: {exc}")
            return None
        self.meta["synapseVersion"] = server.extra["version"]
        return server, "http"

    def p2p(self) -> None:
        systems = ["lim-ws", "lim-tcp", "floor-ws", "floor-tcp"]
        if not self.args.no_synapse:
            systems.append("synapse")
        if self.args.systems:
            systems = [s for s in systems if s in self.args.systems.split(",")]
        for name in systems:
            started = self.start_system(name)
            if started is None:
                continue
            server, transport = started
            try:
                if self.wanted("light"):
                    self.light(name, server, transport)
                if self.wanted("knee"):
                    self.knee(name, server, transport)
            finally:
                server.stop()

    def light(self, name: str, server: Server, transport: str) -> None:
        duration = 5.0 if self.quick else 10.0
        for run in range(self.runs):
            result = p2p(server, transport, LIGHT_RATE, duration, self.args.users)
            log(
                f"light {name} #{run}: p99 {result['deliveryLatencyMs']['p99']} ms,"
                f" {result['serverCpuUsPerMessage']} µs/msg"
            )
            self.record("light", name, run, result)

    def knee(self, name: str, server: Server, transport: str) -> None:
        duration = 2.0 if self.quick else 3.0
        steps = SYNAPSE_STEPS if name == "synapse" else SOCKET_STEPS
        for rate in steps:
            results = []
            for run in range(self.runs):
                result = p2p(server, transport, rate, duration, self.args.users)
                result["step"] = rate
                self.record("knee", name, run, result)
                results.append(result)
            p99 = statistics.median(
                r["deliveryLatencyMs"]["p99"] or 1e9 for r in results
            )
            clean = all(r["exactlyOnce"] for r in results)
            log(f"knee {name} {rate:g}/s: p99 {p99:.1f} ms, exactly once {clean}")
            if p99 > 100 or not clean:
                break

    def group(self) -> None:
        sizes = GROUP_SIZES[:2] if self.quick else GROUP_SIZES
        duration = 2.0 if self.quick else 3.0
        server = start_lim("group")
        try:
            lim_users(server, max(sizes))
            for size in sizes:
                group_id = self.make_group(server, size)
                if group_id is None:
                    log("group fan-out: this server has no groups; not measured")
                    self.meta["groups"] = False
                    return
                self.meta["groups"] = True
                for run in range(self.runs):
                    result = generate(
                        PY,
                        "-m",
                        "lim_cli",
                        "bench",
                        "--workload",
                        "group",
                        "--group",
                        group_id,
                        "--url",
                        server.urls["ws"],
                        "--app",
                        str(server.app_id),
                        "--credentials",
                        str(server.credentials),
                        "--server-pid",
                        str(server.pid),
                        "--users",
                        str(size),
                        "--rate",
                        str(GROUP_RATES[size]),
                        "--duration",
                        str(duration),
                        "--json",
                    )
                    result["size"] = size
                    log(
                        f"group {size} #{run}: {result['serverCpuUsPerRecipient']}"
                        f" µs/recipient, spread p99 {result['spreadMs']['p99']} ms"
                    )
                    self.record("group", "lim-ws", run, result)
        finally:
            server.stop()

    def make_group(self, server: Server, size: int) -> str | None:
        from lim_client.http import HttpApi
        from lim_client.session import LimClientError

        api = HttpApi(server.urls["http"], self.admin_token(server), timeout=300)
        group_id = f"fanout-{size}"
        try:
            api.call(
                "/v1/group/create",
                {
                    "groupId": group_id,
                    "ownerId": "u0",
                    "name": group_id,
                    "maxMembers": size,
                    "memberIds": [f"u{n}" for n in range(1, size)],
                },
            )
        except LimClientError as exc:
            log(f"group create refused: {exc.msg} ({exc.code})")
            return None
        finally:
            api.close()
        return group_id

    def catch_up(self) -> None:
        count = 10000 if self.quick else 100000
        server = start_lim("catch-up")
        try:
            lim_users(server, 2)
            fill = generate(
                PY,
                str(HERE / "driver.py"),
                "fill",
                "--url",
                server.urls["tcp"],
                "--app",
                str(server.app_id),
                "--credentials",
                str(server.credentials),
                "--count",
                str(count),
            )
            log(f"filled {count} messages in {fill['seconds']} s")
            self.record("fill", "lim-tcp", 0, fill)
            for run in range(self.runs):
                result = generate(
                    PY,
                    str(HERE / "driver.py"),
                    "catch-up",
                    "--url",
                    server.urls["ws"],
                    "--app",
                    str(server.app_id),
                    "--credentials",
                    str(server.credentials),
                )
                log(f"catch-up #{run}: {result['seconds']} s, gaps {result['gaps']}")
                self.record("catch-up", "lim-ws", run, result)
        finally:
            server.stop()

    def imports(self) -> None:
        count = 100000 if self.quick else 1000000
        has_import = "import" in self.cli_commands()
        self.meta["limImport"] = has_import
        for run in range(self.runs):
            server = start_lim("import")
            try:
                if has_import:
                    result = self.lim_import(server, count)
                else:
                    token = self.admin_token(server)
                    result = generate(
                        PY,
                        str(HERE / "driver.py"),
                        "import",
                        "--server",
                        server.urls["http"],
                        "--token",
                        token,
                        "--count",
                        str(count),
                    )
                    result["path"] = "/v1/user/import"
            finally:
                server.stop()
            log(f"import #{run}: {result['users']} users in {result['seconds']} s")
            self.record("import", "lim", run, result)

            baseline = subprocess.run(
                pinned(
                    SERVER_CORE,
                    PY,
                    str(HERE / "driver.py"),
                    "sqlite-utils",
                    "--count",
                    str(count),
                    "--path",
                    str(WORK / "sqlite-utils.db"),
                ),
                capture_output=True,
                text=True,
                env=ENV,
                check=True,
            )
            result = json.loads(baseline.stdout.splitlines()[-1])
            log(f"sqlite-utils #{run}: {result['seconds']} s")
            self.record("import", "sqlite-utils", run, result)

    def lim_import(self, server: Server, count: int) -> dict[str, Any]:
        """Time ``lim import`` of a JSON-lines file from a shell."""
        path = WORK / f"users-{count}.jsonl"
        if not path.exists():
            with path.open("w") as handle:
                for n in range(count):
                    row = {"userId": f"user{n:07d}", "nickname": f"User {n}"}
                    handle.write(json.dumps(row) + "\n")
        started = time.monotonic()
        done = subprocess.run(
            pinned(
                GENERATOR_CORE,
                PY,
                "-m",
                "lim_cli",
                "-d",
                str(server.extra["data"]),
                "import",
                str(path),
                "--batch",
                "10000",
            ),
            capture_output=True,
            text=True,
            env=ENV,
            check=False,
        )
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"lim import failed: {done.stderr.strip()[-400:]}")
        users = server_count_users(server)
        return {
            "workload": "import",
            "users": users,
            "seconds": round(seconds, 3),
            "path": "lim import",
        }

    def admin_token(self, server: Server) -> str:
        from lim_protocol.tokens import create_user_sign

        return create_user_sign(server.extra["secret"], server.app_id, "@admin", 3600)

    def cli_commands(self) -> str:
        done = subprocess.run(
            [PY, "-m", "lim_cli", "--help"], capture_output=True, text=True, env=ENV
        )
        return done.stdout

    def send(self) -> None:
        server = start_lim("send")
        try:
            lim_users(server, 2)
            data = str(server.extra["data"])
            if "send" in self.cli_commands():
                command = ["-d", data, "send", "--to", "u1", "--as", "u0", "hello"]
                shown = "lim -d DATA send --to u1 --as u0 hello"
                self.meta["limSend"] = True
            else:
                command = ["token", "u0", "-d", data]
                shown = "lim token u0 -d DATA"
                self.meta["limSend"] = False
            for run in range(max(self.runs, 5)):
                started = time.monotonic()
                done = subprocess.run(
                    pinned(GENERATOR_CORE, PY, "-m", "lim_cli", *command),
                    capture_output=True,
                    text=True,
                    env=ENV,
                    check=False,
                )
                seconds = time.monotonic() - started
                result = {
                    "workload": "send",
                    "command": shown,
                    "exit": done.returncode,
                    "seconds": round(seconds, 4),
                }
                log(f"{result['command']} #{run}: {seconds * 1000:.0f} ms")
                self.record("send", "lim", run, result)
        finally:
            server.stop()

    # driver

    def run(self) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        self.meta.update(machine())
        self.meta["runs"] = self.runs
        self.meta["loadBefore"] = load_average()
        log(f"suite {self.stamp}: {self.runs} run(s) per figure, raw in {self.out}")
        if self.wanted("idle"):
            self.idle()
        if self.wanted("light") or self.wanted("knee"):
            self.p2p()
        if self.wanted("group"):
            self.group()
        if self.wanted("catch-up"):
            self.catch_up()
        if self.wanted("import"):
            self.imports()
        if self.wanted("send"):
            self.send()
        self.meta["suiteSeconds"] = round(time.monotonic() - self.started)
        self.meta["loadAfter"] = load_average()
        with self.out.open("a") as handle:
            handle.write(json.dumps({"suite": self.stamp, "meta": self.meta}) + "\n")
        records, meta = render.load(str(self.out))
        text = render.render(records, meta, self.args)
        Path(self.args.markdown).write_text(text)
        # The goals, the ratios and the headline, on the terminal too.
        for section in text.split("\n## "):
            if section.startswith(("Goals", "Headline")):
                print("## " + section.rstrip() + "\n")
        log(f"wrote {self.args.markdown} in {self.meta['suiteSeconds']} s")


def server_count_users(server: Server) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{server.extra['data']}/lim.db?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM users").fetchone()[0]) - 1
    finally:
        conn.close()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine shows."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": commit,
        # What the servers under test use: the default unless the environment
        # (LIM_COMMIT_WINDOW_MS) says otherwise.
        "commitWindowMs": load_config(WORK, environ=ENV).commit_window_ms,
        "maxBatch": MAX_BATCH,
    }


LIGHT_RATE = 20.0
GROUP_SIZES = (10, 100, 1000)
# Messages per second sent to each group size: about 5,000 deliveries/s.
GROUP_RATES = {10: 400.0, 100: 50.0, 1000: 5.0}
SOCKET_STEPS = [
    250,
    500,
    1000,
    1500,
    2000,
    3000,
    4000,
    6000,
    8000,
    10000,
    12000,
    16000,
    24000,
]
SYNAPSE_STEPS = [5, 10, 20, 40, 80]


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the lim benchmark suite.")
    parser.add_argument("--quick", action="store_true", help="Small counts, 1 run.")
    parser.add_argument("--runs", type=int, default=0, help="Runs per figure.")
    parser.add_argument("--users", type=int, default=10, help="Users for 1:1 loads.")
    parser.add_argument("--only", default="", help="Comma list of workloads.")
    parser.add_argument("--no-synapse", action="store_true")
    parser.add_argument("--systems", default="", help="Comma list for 1:1 loads.")
    parser.add_argument("--jsonl", default=str(ROOT / "docs" / "performance.jsonl"))
    parser.add_argument("--markdown", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args()
    Suite(args).run()


if __name__ == "__main__":
    main()
