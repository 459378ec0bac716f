"""A real ``lim serve`` subprocess for the CLI tests, and ways to run ``lim``.

The server runs on port 0 in a temporary data directory; commands find it
through ``LIM_DATA_DIR`` as the local administrator, the way they do on a
server's machine. ``XDG_CONFIG_HOME`` points into the temporary directory
so that ``lim login`` never touches the real profile.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 60.0


@dataclass
class Served:
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def runtime(self) -> dict[str, Any]:
        return json.loads((self.data_dir / "server.json").read_text())

    @property
    def http(self) -> str:
        host, port = self.runtime["addresses"]["http"]
        return f"http://{host}:{port}"

    def env_path(self, name: str) -> Path:
        return Path(self.env[name])

    def invoke(self, *args: str, input: str | None = None, **env: str) -> Result:
        """Run ``lim ARGS`` in this process through Typer's runner."""
        from lim_cli.main import app

        return self.runner.invoke(app, list(args), input=input, env={**self.env, **env})

    def run(
        self, *args: str, input: str | None = None, timeout: float = 60, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m lim_cli ARGS`` as a subprocess."""
        return subprocess.run(
            [sys.executable, "-m", "lim_cli", *args],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=timeout,
        )

    def spawn(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "lim_cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **env},
        )


def _environment(tmp: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LIM_") and key != "XDG_CONFIG_HOME"
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "LIM_DATA_DIR": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("lim")
    env = _environment(tmp)
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lim_cli",
            "serve",
            "--ws-port",
            "0",
            "--tcp-port",
            "0",
            "--http-port",
            "0",
            "--synchronous",
            "NORMAL",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    runtime = tmp / "data" / "server.json"
    deadline = time.monotonic() + START_TIMEOUT
    while not runtime.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail("lim serve did not start:\n" + (tmp / "server.log").read_text())
        time.sleep(0.05)
    try:
        yield Served(tmp / "data", env, process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
