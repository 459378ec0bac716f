"""Counters and a latency histogram, rendered in Prometheus text format."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import LimServer

ACK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.total += seconds
        self.count += 1

    def render(self, name: str, help_text: str) -> list[str]:
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        running = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            lines.append(f'{name}_bucket{{le="{bound}"}} {running}')
        lines.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{name}_sum {self.total:.6f}")
        lines.append(f"{name}_count {self.count}")
        return lines


ack_latency = Histogram(ACK_BUCKETS)


def render(server: LimServer) -> str:
    gateway = server.gateway
    values = [
        ("lim_connections", "gauge", "open connections", len(gateway.sessions)),
        ("lim_sessions", "gauge", "logged-in sessions", server.router.session_count),
        ("lim_online_users", "gauge", "users with a session", server.router.user_count),
        (
            "lim_messages_total",
            "counter",
            "messages stored and pushed",
            server.services.messages.sent,
        ),
        (
            "lim_pushed_frames_total",
            "counter",
            "frames pushed to devices",
            server.router.pushed,
        ),
        ("lim_frames_received_total", "counter", "frames received", gateway.frames_in),
        ("lim_bad_frames_total", "counter", "malformed frames", gateway.bad_frames),
        (
            "lim_refused_logins_total",
            "counter",
            "refused logins",
            gateway.refused_logins,
        ),
        (
            "lim_kicked_total",
            "counter",
            "devices kicked by a newer login",
            gateway.kicked,
        ),
        (
            "lim_slow_consumers_total",
            "counter",
            "sessions cut off as slow",
            gateway.slow_consumers,
        ),
        (
            "lim_timeouts_total",
            "counter",
            "sessions closed by timeouts",
            gateway.timed_out,
        ),
        (
            "lim_group_commits_total",
            "counter",
            "write transactions",
            server.store.db.batches,
        ),
        (
            "lim_write_operations_total",
            "counter",
            "operations written",
            server.store.db.operations,
        ),
    ]
    lines: list[str] = []
    for name, kind, help_text, value in values:
        lines += [
            f"# HELP {name} {help_text}",
            f"# TYPE {name} {kind}",
            f"{name} {value}",
        ]
    lines += ack_latency.render(
        "lim_ack_latency_seconds", "time from a send frame to its ack"
    )
    return "\n".join(lines) + "\n"
