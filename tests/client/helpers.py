"""Helpers for client tests: a LimClient on a harness, waiting on conditions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lim_client.cache import Cache
from lim_client.client import Backoff, LimClient


async def until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll a condition until it holds; fail after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)


def make_client(
    harness: Any, user_id: str, cache_path: Path, url: str | None = None
) -> LimClient:
    return LimClient(
        url or harness.url("ws"),
        app_id=harness.app_id,
        user_id=user_id,
        token=harness.token(user_id),
        cache=Cache(cache_path),
        backoff=Backoff(base=0.05, cap=0.2),
    )
