"""Turn the suite's raw records into docs/performance.md.

Also runnable alone, to re-render the last suite in a JSON-lines file::

    python scripts/bench/render.py docs/performance.jsonl > docs/performance.md
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SOCKET_SYSTEMS = ("lim-ws", "lim-tcp", "floor-ws", "floor-tcp", "synapse")
FLOOR = {"lim-ws": "floor-ws", "lim-tcp": "floor-tcp"}

Pick = Callable[[dict[str, Any]], float | None]


def spread(
    records: list[dict[str, Any]], pick: Pick
) -> tuple[float, float, float] | None:
    values = [v for v in (pick(r) for r in records) if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(
    triple: tuple[float, float, float] | None, digits: int = 1, unit: str = ""
) -> str:
    if triple is None:
        return "n/a"
    median, low, high = triple
    if len(set(triple)) == 1:
        return f"{median:,.{digits}f}{unit}"
    return f"{median:,.{digits}f}{unit} ({low:,.{digits}f}–{high:,.{digits}f})"


def ratio(
    a: tuple[float, float, float] | None, b: tuple[float, float, float] | None
) -> str:
    if a is None or b is None or not b[0]:
        return "n/a"
    value = a[0] / b[0]
    if value < 0.1:
        return f"{value:.3g}× (1/{1 / value:,.0f})"
    return f"{value:.3g}×"


def select(
    records: list[dict[str, Any]], workload: str, system: str
) -> list[dict[str, Any]]:
    return [r for r in records if r["workload"] == workload and r["system"] == system]


def cpu(r: dict[str, Any]) -> float | None:
    value = r.get("serverCpuUsPerMessage")
    return None if value is None else float(value)


def p99(r: dict[str, Any]) -> float | None:
    return r["deliveryLatencyMs"]["p99"]


def lat(key: str, q: str) -> Pick:
    return lambda r: r[key][q]


# knee analysis


def knee(records: list[dict[str, Any]], system: str) -> dict[str, Any] | None:
    """The highest step whose median p99 stayed under 100 ms without errors."""
    steps: dict[float, list[dict[str, Any]]] = {}
    for r in select(records, "knee", system):
        steps.setdefault(r["step"], []).append(r)
    best = None
    failed = None
    for rate in sorted(steps):
        runs = steps[rate]
        median_p99 = statistics.median(p99(r) or 1e9 for r in runs)
        if median_p99 <= 100 and all(r["exactlyOnce"] for r in runs):
            best = rate
        else:
            failed = rate
            break
    if best is None:
        return {"rate": None, "failed": failed, "steps": steps}
    half = min(steps, key=lambda s: abs(s - best / 2))
    return {
        "rate": best,
        "failed": failed,
        "runs": steps[best],
        "half": steps[half],
        "halfRate": half,
        "steps": steps,
    }


def operating(records: list[dict[str, Any]], system: str) -> tuple[Any, str]:
    """The runs at a system's knee, else at its first step (marked with *)."""
    k = knee(records, system)
    if k is None or not k["steps"]:
        return None, "n/a"
    if k.get("runs"):
        # A knee at the last step means the generator ran out of steps first.
        mark = "≥ " if k["failed"] is None else ""
        return k["runs"], f"{mark}{k['rate']:,g}"
    first = min(k["steps"])
    return k["steps"][first], f"{first:,g}*"


def same_rate(
    records: list[dict[str, Any]], system: str, other: str
) -> tuple[tuple[float, float, float] | None, tuple[float, float, float] | None, Any]:
    """CPU/msg of ``system`` at its knee and of ``other`` at that same step."""
    runs, _ = operating(records, system)
    if not runs:
        return None, None, None
    rate = runs[0]["step"]
    theirs = [r for r in select(records, "knee", other) if r["step"] == rate]
    return spread(runs, cpu), spread(theirs, cpu) if theirs else None, rate


def render(
    records: list[dict[str, Any]], meta: dict[str, Any], args: Any = None
) -> str:
    quick = any(r.get("quick") for r in records)
    runs = meta.get("runs", 3)
    out: list[str] = []
    w = out.append

    w("# Performance")
    w("")
    w("Measured by `scripts/bench/run` on this machine, lim beside two floors (a bare")
    w("`websockets` relay and a bare asyncio TCP relay of the same frames, with no")
    w("storage) and Matrix Synapse on SQLite, all in one run. The server under test")
    w("is pinned to core 0 and the load generator to core 1 (`taskset`). Each figure")
    w(
        f"is the median of {runs} run(s), min–max in brackets."
        + (" **Quick mode: small counts, one run; indicative only.**" if quick else "")
    )
    w("")
    w("**Durability.** lim runs with SQLite `synchronous=FULL` in WAL mode: every")
    w("acknowledged message was in a committed transaction that SQLite fsynced.")
    w("One writer thread commits in groups: a write arriving on a quiet database")
    # Older result files predate these fields; their window was 2 ms.
    window = f"{meta.get('commitWindowMs', 2):g} ms"
    max_batch = meta.get("maxBatch", 4096)
    w("commits at once; while writes keep coming (the previous commit ended under")
    w(f"{window} ago) it waits {window} and commits everything queued by then, up")
    w(f"to {max_batch:,} writes per transaction. Acks are sent after the COMMIT")
    w("returns. Synapse runs with its defaults on SQLite. The floors store nothing.")
    w("")
    w(
        f"Machine: {meta.get('cpu')}, {meta.get('cores')} cores, Linux "
        f"{meta.get('kernel')}, Python {meta.get('python')}; lim commit "
        f"`{meta.get('commit')}`; Synapse {meta.get('synapseVersion', 'not run')}."
    )
    w(
        f"Suite run(s) {', '.join(meta.get('suites', []))} (the first a full run"
        f" of {meta.get('longestSuite', '?')} s, later ones re-runs of some"
        " workloads). Load average of the last"
        f" {meta.get('loadBefore', '?')} before and {meta.get('loadAfter', '?')}"
        " after: anything above ~2 means other work shared the two cores, which"
        " shows in latency far more than in CPU per message."
    )
    w("")

    _goals(records, w)
    _headline(records, w)
    _light(records, w)
    _knee(records, w)
    _idle(records, w)
    _catch_up(records, w)
    _import(records, meta, w)
    _send(records, meta, w)
    _group(records, meta, w)
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        w(notes.read_text().rstrip())
        w("")
    _reproduce(w)
    return "\n".join(out) + "\n"


def send_row(send: list[dict[str, Any]], ms: float) -> tuple[str, str, str]:
    command = send[0]["command"]
    if " send " in f" {command} ":
        return (
            "`lim send` < 300 ms",
            f"{ms:,.0f} ms",
            "met" if ms < 300 else "not met",
        )
    # Without lim send, lim token shows the CLI's start-up alone.
    verdict = "not met (start-up alone)" if ms >= 300 else "n/a"
    return ("`lim send` < 300 ms", f"no lim send; `{command}` {ms:,.0f} ms", verdict)


def _goals(records: list[dict[str, Any]], w: Callable[[str], None]) -> None:
    """The design targets next to what this run measured."""
    rows: list[tuple[str, str, str]] = []

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "not met")

    for lim, floor in FLOOR.items():
        a, b, rate = same_rate(records, lim, floor)
        theirs, _ = operating(records, floor)
        at_knee = spread(theirs, cpu) if theirs else None
        if a and b:
            times = a[0] / b[0]
            knees = (
                f"; {a[0] / at_knee[0]:.1f}× the floor at its own knee"
                if at_knee
                else ""
            )
            rows.append(
                (
                    f"{lim} CPU/msg ≤ 4× {floor}",
                    f"{times:.1f}× at {rate:,g}/s{knees}",
                    verdict(times <= 4) + " at equal load",
                )
            )
    for system in ("lim-ws", "lim-tcp"):
        k = knee(records, system)
        if k and k.get("runs"):
            t = spread(k["runs"], lambda r: r["throughput"])
            assert t is not None
            rows.append(
                (f"{system} ≥ 10,000 msg/s", f"{t[0]:,.0f}", verdict(t[0] >= 10000))
            )
            h = spread(k["half"], p99)
            if h:
                rows.append(
                    (
                        f"{system} p99 < 5 ms at half load",
                        f"{h[0]:.1f} ms at {k['halfRate']:,g}/s",
                        verdict(h[0] < 5),
                    )
                )
    limits = {"lim-ws": 20 * 1024, "lim-tcp": 8 * 1024}
    for system, limit in limits.items():
        per = spread(select(records, "idle", system), lambda r: r["bytesPerConnection"])
        if per:
            held = min(r["connections"] for r in select(records, "idle", system))
            rows.append(
                (
                    f"{system} idle ≤ {limit // 1024} KiB, 10,000 held",
                    f"{per[0] / 1024:.1f} KiB, {held:,} held",
                    verdict(per[0] <= limit) if held >= 10000 else "n/a (quick)",
                )
            )
    big = [r for r in select(records, "group", "lim-ws") if r["size"] >= 1000]
    if big:
        c = spread(big, lambda r: r["serverCpuUsPerRecipient"])
        last = spread(big, lat("lastDeliveryMs", "p99"))
        assert c is not None and last is not None
        rows.append(
            (
                "group of 1,000: ≤ 20 µs/recipient, last within 50 ms",
                f"{c[0]:.1f} µs, last p99 {last[0]:.1f} ms",
                verdict(c[0] <= 20 and last[0] <= 50),
            )
        )
    else:
        rows.append(("group fan-out, 1,000 members", "not measured", "n/a"))
    catch = select(records, "catch-up", "lim-ws")
    if catch:
        t = spread(catch, lambda r: r["seconds"])
        assert t is not None
        clean = all(r["gaps"] == 0 and r["duplicates"] == 0 for r in catch)
        big = min(r["messages"] for r in catch) >= 100000
        rows.append(
            (
                "catch-up of 100,000 < 5 s, no gaps or duplicates",
                f"{t[0]:.2f} s for {catch[0]['messages']:,}, clean {clean}",
                verdict(t[0] < 5 and clean) if big else "n/a (quick)",
            )
        )
    lim = select(records, "import", "lim")
    base = select(records, "import", "sqlite-utils")
    if lim and base:
        tl = spread(lim, lambda r: r["seconds"])
        tb = spread(base, lambda r: r["seconds"])
        assert tl is not None and tb is not None
        big = lim[0]["users"] >= 1000000
        rows.append(
            (
                "import 1,000,000 users < 30 s, ≥ 50% of sqlite-utils",
                f"{tl[0]:.1f} s for {lim[0]['users']:,}, {tb[0] / tl[0]:.0%}",
                verdict(tl[0] < 30 and tb[0] / tl[0] >= 0.5) if big else "n/a (quick)",
            )
        )
    send = select(records, "send", "lim")
    if send:
        t = spread(send, lambda r: r["seconds"] * 1000)
        assert t is not None
        rows.append(send_row(send, t[0]))
    w("## Goals")
    w("")
    w("| target | measured | |")
    w("|---|---|---|")
    for target, measured, result in rows:
        w(f"| {target} | {measured} | {result} |")
    w("")


def _headline(records: list[dict[str, Any]], w: Callable[[str], None]) -> None:
    w("## Headline: server CPU per delivered 1:1 message")
    w("")
    w("Server CPU-µs (user + system, every thread, from `/proc/PID/stat`) divided by")
    w("messages delivered, at the highest stepped rate each system sustained with")
    w("p99 under 100 ms (its knee). For lim a message is sent, durably stored,")
    w("acked, pushed to the receiver and its receipt forwarded to the sender.")
    w("")
    w(
        "| system | CPU µs/msg at knee | knee (msg/s) | lim ÷ floor at lim's knee"
        " | lim ÷ Synapse at each knee |"
    )
    w("|---|---|---|---|---|")
    points = {s: operating(records, s) for s in SOCKET_SYSTEMS}
    cpus = {s: spread(p[0], cpu) if p[0] else None for s, p in points.items()}
    for system in SOCKET_SYSTEMS:
        if not select(records, "knee", system):
            continue
        mine, theirs, _ = same_rate(records, system, FLOOR.get(system, ""))
        floor = ratio(mine, theirs)
        syn = ratio(cpus[system], cpus["synapse"])
        if system not in FLOOR:
            floor = syn = ""
        w(f"| {system} | {fmt(cpus[system])} | {points[system][1]} | {floor} | {syn} |")
    w("")
    if any(label.endswith("*") for _, label in points.values()):
        w("\\* no step kept p99 under 100 ms; the figure is at the first step.")
    if any(label.startswith("≥") for _, label in points.values()):
        w("≥ the highest step passed: the one-core Python generator is the limit.")
    w("")


def _light(records: list[dict[str, Any]], w: Callable[[str], None]) -> None:
    systems = [s for s in SOCKET_SYSTEMS if select(records, "light", s)]
    if not systems:
        return
    rate = select(records, "light", systems[0])[0]["rate"]
    w(f"## 1:1 latency at light load ({rate:g} msg/s, open loop)")
    w("")
    w("Delivery latency from each message's intended send time to its arrival at")
    w("the receiver, in ms; CPU in µs per delivered message.")
    w("")
    w(
        "| system | p50 | p99 | p99.9 | max | ack p99 | CPU µs/msg"
        " | p99 ÷ floor | p99 ÷ Synapse |"
    )
    w("|---|---|---|---|---|---|---|---|---|")
    rows = {s: select(records, "light", s) for s in systems}
    p99s = {s: spread(rows[s], p99) for s in systems}
    for system in systems:
        r = rows[system]
        floor = (
            ratio(p99s[system], p99s.get(FLOOR.get(system, "")))
            if system in FLOOR
            else ""
        )
        syn = ratio(p99s[system], p99s.get("synapse")) if system in FLOOR else ""
        w(
            f"| {system} | {fmt(spread(r, lat('deliveryLatencyMs', 'p50')), 2)}"
            f" | {fmt(p99s[system], 2)}"
            f" | {fmt(spread(r, lat('deliveryLatencyMs', 'p999')), 2)}"
            f" | {fmt(spread(r, lat('deliveryLatencyMs', 'max')), 2)}"
            f" | {fmt(spread(r, lat('ackLatencyMs', 'p99')), 2)}"
            f" | {fmt(spread(r, cpu), 0)} | {floor} | {syn} |"
        )
    bad = [r for s in systems for r in rows[s] if not r["exactlyOnce"]]
    w("")
    w(
        "Every message acked and delivered exactly once in every run."
        if not bad
        else f"**{len(bad)} run(s) lost or duplicated messages** (see raw file)."
    )
    w("")


def _knee(records: list[dict[str, Any]], w: Callable[[str], None]) -> None:
    systems = [s for s in SOCKET_SYSTEMS if select(records, "knee", s)]
    if not systems:
        return
    w("## 1:1 throughput knee")
    w("")
    w("Open-loop rates stepped up until the median p99 delivery latency passed")
    w("100 ms or a message was lost, duplicated or refused. Throughput is delivered")
    w("messages per second at the knee; the generator is one Python process on one")
    w("core, so a floor's knee may be the generator's.")
    w("")
    w(
        "| system | knee (msg/s) | throughput | p99 at knee (ms) | CPU µs/msg"
        " | p99 at ~half (ms) | throughput ÷ floor | throughput ÷ Synapse |"
    )
    w("|---|---|---|---|---|---|---|---|")
    knees = {s: knee(records, s) for s in systems}
    points = {s: operating(records, s)[0] for s in systems}
    tput = {
        s: spread(p, lambda r: r["throughput"]) if p else None
        for s, p in points.items()
    }
    for system in systems:
        k = knees[system]
        if not k or not k.get("runs"):
            w(f"| {system} | below {k['failed'] if k else '?'} | | | | | | |")
            continue
        floor = (
            ratio(tput[system], tput.get(FLOOR.get(system, "")))
            if system in FLOOR
            else ""
        )
        syn = ratio(tput[system], tput.get("synapse")) if system in FLOOR else ""
        w(
            f"| {system} | {k['rate']:,g} | {fmt(tput[system], 0)}"
            f" | {fmt(spread(k['runs'], p99), 1)} | {fmt(spread(k['runs'], cpu), 0)}"
            f" | {fmt(spread(k['half'], p99), 1)} at {k['halfRate']:,g}/s"
            f" | {floor} | {syn} |"
        )
    w("")
    w("Every step, median of the runs (delivered msg/s, p99 ms, CPU µs/msg):")
    w("")
    for system in systems:
        k = knees[system]
        parts = []
        for rate, runs in sorted(k["steps"].items()):
            t = spread(runs, lambda r: r["throughput"])
            parts.append(
                f"{rate:,g}/s → {t[0]:,.0f}, p99 {spread(runs, p99)[0]:,.1f},"
                f" {spread(runs, cpu)[0]:,.0f} µs"
                if t and spread(runs, cpu)
                else f"{rate:g}"
            )
        w(f"- {system}: " + "; ".join(parts))
    w("")


def _idle(records: list[dict[str, Any]], w: Callable[[str], None]) -> None:
    systems = [s for s in SOCKET_SYSTEMS if select(records, "idle", s)]
    if not systems:
        return
    count = select(records, "idle", systems[0])[0]["connections"]
    w(f"## Idle connections ({count:,} logged in)")
    w("")
    w("Growth of the server's resident memory (VmRSS) from before the first")
    w("connection to after the last login, divided by the connections held.")
    w("Synapse holds no connection per idle client (clients long-poll), so it has")
    w("no figure here.")
    w("")
    w("| system | bytes per connection | KiB | held | lim ÷ floor |")
    w("|---|---|---|---|---|")
    per = {
        s: spread(select(records, "idle", s), lambda r: r["bytesPerConnection"])
        for s in systems
    }
    for system in systems:
        held = min(r["connections"] for r in select(records, "idle", system))
        kib = (per[system][0] / 1024) if per[system] else 0
        floor = (
            ratio(per[system], per.get(FLOOR.get(system, "")))
            if system in FLOOR
            else ""
        )
        w(f"| {system} | {fmt(per[system], 0)} | {kib:.1f} | {held:,} | {floor} |")
    w("")


def _group(
    records: list[dict[str, Any]], meta: dict[str, Any], w: Callable[[str], None]
) -> None:
    w("## Group fan-out")
    w("")
    rows = select(records, "group", "lim-ws")
    if not rows:
        w("Not yet measured: the server under test had no group messaging when this")
        w("suite ran (`lim bench --workload group` reports the same).")
        w("")
        return
    w("One member sends MSG_GROUP at a steady rate; every other member is online")
    w("over WebSocket. CPU is per delivered copy; the spread is the time from the")
    w("first member receiving a message to the last; last is from the intended")
    w("send time to the last member. The floors and Synapse are not run here.")
    w("")
    w(
        "| members | msg/s | CPU µs/recipient | deliveries/s | delivery p99 (ms)"
        " | spread p99 (ms) | last p99 (ms) | exactly once |"
    )
    w("|---|---|---|---|---|---|---|---|")
    for size in sorted({r["size"] for r in rows}):
        runs = [r for r in rows if r["size"] == size]
        w(
            f"| {size:,} | {runs[0]['rate']:g}"
            f" | {fmt(spread(runs, lambda r: r['serverCpuUsPerRecipient']), 1)}"
            f" | {fmt(spread(runs, lambda r: r['deliveriesPerSecond']), 0)}"
            f" | {fmt(spread(runs, lat('deliveryLatencyMs', 'p99')), 1)}"
            f" | {fmt(spread(runs, lat('spreadMs', 'p99')), 1)}"
            f" | {fmt(spread(runs, lat('lastDeliveryMs', 'p99')), 1)}"
            f" | {all(r['exactlyOnce'] for r in runs)} |"
        )
    w("")


def _catch_up(records: list[dict[str, Any]], w: Callable[[str], None]) -> None:
    rows = select(records, "catch-up", "lim-ws")
    if not rows:
        return
    fill = select(records, "fill", "lim-tcp")
    w(f"## Catch-up after {rows[0]['messages']:,} missed messages")
    w("")
    w("A device that was offline while another sent it every message logs in over")
    w("WebSocket, fetches its cursors and pulls the conversation 1,000 messages per")
    w("request (`/v1/sync/messages` over the socket's API_REQUEST). The floors and")
    w("Synapse are not measured here: the floors store nothing, and filling Synapse")
    w("with this many messages takes longer than the whole suite.")
    w("")
    w("| time (s) | messages | gaps | duplicates | round trips |")
    w("|---|---|---|---|---|")
    w(
        f"| {fmt(spread(rows, lambda r: r['seconds']), 3)}"
        f" | {min(r['messages'] for r in rows):,} | {max(r['gaps'] for r in rows)}"
        f" | {max(r['duplicates'] for r in rows)} | {rows[0]['roundTrips']} |"
    )
    if fill:
        f = fill[0]
        w("")
        w(
            f"Filling took {f['seconds']:.1f} s"
            f" ({f['messages'] / f['seconds']:,.0f} durable"
            " msg/s, one sender over TCP with 2,000 messages in flight)."
        )
    w("")


def _import(
    records: list[dict[str, Any]], meta: dict[str, Any], w: Callable[[str], None]
) -> None:
    lim = select(records, "import", "lim")
    base = select(records, "import", "sqlite-utils")
    if not lim:
        return
    count = lim[0]["users"]
    w(f"## Bulk import of {count:,} users")
    w("")
    if meta.get("limImport"):
        w(
            "`lim import` of a JSON-lines file (10,000 rows a batch) from a shell"
            " against"
        )
        w(
            "the running server, beside a bare sqlite-utils `insert_all` of the same"
            " rows"
        )
        w("into a fresh file.")
    else:
        w("`lim import` was not on the main branch when the suite was built, so this")
        w("measures the bulk path it uses: `/v1/user/import` over HTTP, 10,000 rows a")
        w("request, beside a bare sqlite-utils `insert_all` of the same rows into a")
        w("fresh file.")
    w("")
    tl = spread(lim, lambda r: r["seconds"])
    tb = spread(base, lambda r: r["seconds"])
    w("| path | seconds | users/s | sqlite-utils ÷ lim (speed share) |")
    w("|---|---|---|---|")
    w(
        f"| {lim[0].get('path', 'lim')} | {fmt(tl, 2)} | {count / tl[0]:,.0f} | "
        f"{(tb[0] / tl[0]) * 100 if tb else 0:.0f}% |"
    )
    if tb:
        w(f"| sqlite-utils insert_all | {fmt(tb, 2)} | {count / tb[0]:,.0f} | 100% |")
    w("")


def _send(
    records: list[dict[str, Any]], meta: dict[str, Any], w: Callable[[str], None]
) -> None:
    rows = select(records, "send", "lim")
    if not rows:
        return
    w("## `lim send` from a shell")
    w("")
    if meta.get("limSend"):
        w("Wall time from exec to exit of `lim send` against a local server (it signs")
        w("an admin token from the data directory, calls `/v1/message/send` and exits")
        w("once the server acknowledged the durable message).")
    else:
        w("`lim send` was not on the main branch when the suite ran; the figure is")
        w("`lim token`, the same start-up path without the network call, as a floor.")
    w("")
    w("| command | wall ms | exit codes |")
    w("|---|---|---|")
    codes = sorted({r["exit"] for r in rows})
    w(
        f"| `{rows[0]['command']}`"
        f" | {fmt(spread(rows, lambda r: r['seconds'] * 1000), 0)}"
        f" | {codes} |"
    )
    w("")


def _reproduce(w: Callable[[str], None]) -> None:
    w("## How to reproduce")
    w("")
    w("```")
    w("scripts/bench/run            # full suite, ~20 minutes on 2 cores")
    w("scripts/bench/run --quick    # small counts, one run each, a few minutes")
    w("scripts/bench/run --only light,knee --no-synapse")
    w("```")
    w("")
    w("`PYTHON=/path/to/venv/bin/python scripts/bench/run` picks the interpreter")
    w("that has lim's dependencies. The script raises the open-file limit, installs")
    w("Synapse from PyPI into `/tmp/lim-bench/synapse-venv` on first use, appends")
    w("every run to `docs/performance.jsonl` and rewrites this file. Single runs")
    w("against any server:")
    w("")
    w("```")
    w("lim bench --users 20 --transport tcp --rate 2000 --duration 10")
    w("lim bench --url ws://host:7700/ws --credentials users.txt --rate 500 --json")
    w("```")


def load(path: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records and meta to render: each workload and system from the last
    suite that ran it.

    A partial run (``--only knee --systems synapse``) thus updates its own
    figures and keeps the others from the last full run.
    """
    lines = [json.loads(line) for line in open(path) if line.strip()]
    metas = {line["suite"]: line["meta"] for line in lines if "meta" in line}
    runs = [line for line in lines if "meta" not in line and line["suite"] in metas]
    latest: dict[tuple[str, str], str] = {}
    for record in runs:
        key = (record["workload"], record["system"])
        latest[key] = max(latest.get(key, ""), record["suite"])
    records = [r for r in runs if latest[r["workload"], r["system"]] == r["suite"]]
    meta: dict[str, Any] = {}
    for suite in sorted(set(latest.values())):
        meta.update(metas[suite])
    meta["suites"] = sorted(set(latest.values()))
    meta["longestSuite"] = max(
        (metas[suite].get("suiteSeconds", 0) for suite in meta["suites"]), default=0
    )
    return records, meta


def main() -> None:
    records, meta = load(sys.argv[1])
    sys.stdout.write(render(records, meta))


if __name__ == "__main__":
    main()
