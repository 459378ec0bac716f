"""Chat over SSH: ``ssh -p 2222 alice@host`` opens ``lim chat`` as alice.

Authentication is by a public key registered with ``lim user key add`` or,
for users who have one, by password. Each session runs ``lim chat`` in a
child process on a fresh pseudo-terminal; the gateway pumps bytes between
the SSH channel and the PTY's master side, forwards window changes with
``TIOCSWINSZ`` (the kernel signals the child with SIGWINCH), and ends the
child when the client leaves (SIGHUP, then SIGKILL) or the channel when the
child exits. Input that is not valid UTF-8 is replaced with U+FFFD before it
reaches the app. The host key is generated once and kept in the data
directory as ``ssh_host_ed25519_key``. Sessions belong to the server's
first app.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import logging
import os
import signal
import struct
import sys
import termios
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from lim_protocol.errors import ProtocolError

if TYPE_CHECKING:
    from ..server import LimServer

log = logging.getLogger(__name__)

HOST_KEY = "ssh_host_ed25519_key"
TOKEN_LIFETIME = 7 * 86400
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR", "COLORTERM")
ROOT = Path(__file__).resolve().parents[2]


def host_key(data_dir: Path) -> Path:
    """The server's host key, generated on first use (mode 0600)."""
    path = data_dir / HOST_KEY
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.export_private_key())
        log.info("generated ssh host key %s", path)
    return path


class SshGateway:
    """Counts sessions and runs one chat child per session."""

    def __init__(self, server: LimServer) -> None:
        self.server = server
        self.config = server.config
        self.sessions: dict[str, int] = {}
        self.children: set[asyncio.subprocess.Process] = set()

    @property
    def app_id(self) -> int:
        return int(self.server.services.apps.list()[0].app_id)

    def total(self) -> int:
        return sum(self.sessions.values())

    async def handle(self, process: asyncssh.SSHServerProcess) -> None:
        user_id = process.get_extra_info("username")
        if self.total() >= self.config.ssh_max_sessions:
            return _refuse(process, "the server has too many ssh sessions; try later")
        if self.sessions.get(user_id, 0) >= self.config.ssh_max_sessions_per_user:
            return _refuse(
                process,
                f"{user_id} already has {self.config.ssh_max_sessions_per_user}"
                " ssh sessions; close one first",
            )
        if process.get_terminal_type() is None:
            return _refuse(
                process, "lim offers chat only: connect with a terminal (ssh -t)"
            )
        peer = process.get_extra_info("peername") or ("?", 0)
        session_log = logging.LoggerAdapter(
            log, {"context": f"[ssh user={user_id} peer={peer[0]}:{peer[1]}]"}
        )
        self.sessions[user_id] = self.sessions.get(user_id, 0) + 1
        session_log.info("%s session opened (%d open)", _ctx(session_log), self.total())
        try:
            code = await self._run_chat(process, user_id)
        except Exception:
            session_log.exception("%s session failed", _ctx(session_log))
            code = 1
        finally:
            self.sessions[user_id] -= 1
            if not self.sessions[user_id]:
                del self.sessions[user_id]
        with contextlib.suppress(Exception):
            process.exit(code)
        session_log.info("%s session closed (exit %d)", _ctx(session_log), code)

    async def _run_chat(self, process: asyncssh.SSHServerProcess, user_id: str) -> int:
        master, slave = os.openpty()
        width, height, _, _ = process.get_terminal_size()
        _set_size(slave, width or 80, height or 24)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lim_cli",
            "chat",
            "--cache-dir",
            str(self.config.data_dir / "ssh-cache"),
            "--log-file",
            str(self.config.data_dir / "ssh-chat.log"),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            env=self._child_env(process, user_id),
        )
        os.close(slave)
        self.children.add(child)
        try:
            return await self._pump(process, master, child)
        finally:
            self.children.discard(child)
            await _end(child)
            os.close(master)

    def _child_env(
        self, process: asyncssh.SSHServerProcess, user_id: str
    ) -> dict[str, str]:
        host, port = self.server.addresses["ws"]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
            "TERM": process.get_terminal_type() or "xterm-256color",
            "LANG": "C.UTF-8",
            "LIM_SERVER": f"ws://{host}:{port}/ws",
            "LIM_TOKEN": self.server.services.apps.issue_token(
                self.app_id, user_id, TOKEN_LIFETIME
            ),
            "LIM_CHAT_TAKE_TTY": "1",
        }
        for name in PASSED_ENV:
            value = process.env.get(name)
            if isinstance(value, str):
                env[name] = value
        return env

    async def _pump(
        self,
        process: asyncssh.SSHServerProcess,
        master: int,
        child: asyncio.subprocess.Process,
    ) -> int:
        loop = asyncio.get_running_loop()
        output_done = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(master)
                if not output_done.done():
                    output_done.set_result(None)
                return
            process.stdout.write(data)

        loop.add_reader(master, readable)
        to_child = asyncio.create_task(self._input(process, master))
        exited = asyncio.create_task(child.wait())
        try:
            await asyncio.wait(
                {to_child, exited, output_done}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            loop.remove_reader(master)
            to_child.cancel()
        if exited.done():
            return int(exited.result() or 0)
        exited.cancel()
        return 0

    async def _input(self, process: asyncssh.SSHServerProcess, master: int) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = await process.stdin.read(65536)
            except asyncssh.TerminalSizeChanged as change:
                _set_size(master, change.width, change.height)
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not data:
                return
            clean = decoder.decode(data).encode("utf-8")
            if clean:
                await asyncio.to_thread(_write_all, master, clean)

    def close(self) -> None:
        for child in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGHUP)


class LimSshServer(asyncssh.SSHServer):
    """Authentication against lim's users, keys and passwords."""

    def __init__(self, gateway: SshGateway) -> None:
        self.gateway = gateway
        self.conn: asyncssh.SSHServerConnection | None = None
        self.told = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = key.get_fingerprint("sha256")
        services = self.gateway.server.services
        keys: Any
        try:
            keys = services.users.keys(self.gateway.app_id, username)
        except ProtocolError:
            keys = []
        if any(row.get("fingerprint") == fingerprint for row in keys):
            return True
        log.info("ssh key %s refused for %s", fingerprint, username)
        self._tell(
            f"lim: key {fingerprint} is not registered for {username!r}.\r\n"
            f"Register it with: lim user key add {username} ~/.ssh/id_ed25519.pub\r\n"
        )
        return False

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        try:
            self.gateway.server.services.users.check_password(
                self.gateway.app_id, username, password
            )
        except ProtocolError:
            return False
        return True

    def _tell(self, text: str) -> None:
        if self.told or self.conn is None:
            return
        self.told = True
        with contextlib.suppress(OSError):
            self.conn.send_auth_banner(text)


async def start_ssh(server: LimServer) -> tuple[Any, tuple[str, int]]:
    """Listen for SSH on the configured port; return the acceptor and address."""
    config = server.config
    gateway = SshGateway(server)
    acceptor = await asyncssh.create_server(
        lambda: LimSshServer(gateway),
        config.host,
        config.ssh_port,
        server_host_keys=[str(host_key(config.data_dir))],
        process_factory=gateway.handle,
        encoding=None,
        line_editor=False,
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        keepalive_interval=60,
    )
    sockets = acceptor.sockets
    host, port = sockets[0].getsockname()[:2]
    log.info("ssh listening on %s:%d", host, port)
    return _Acceptor(acceptor, gateway), (host, port)


class _Acceptor:
    """What the server closes on shutdown: the listener and every child."""

    def __init__(self, acceptor: Any, gateway: SshGateway) -> None:
        self.acceptor = acceptor
        self.gateway = gateway

    def close(self) -> None:
        self.gateway.close()
        self.acceptor.close()


def _ctx(adapter: logging.LoggerAdapter) -> str:
    return str((adapter.extra or {}).get("context", ""))


def _refuse(process: asyncssh.SSHServerProcess, reason: str) -> None:
    process.stdout.write(f"lim: {reason}\r\n".encode())
    process.exit(1)


def _set_size(fd: int, width: int, height: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except OSError:
            return
        view = view[written:]


async def _end(child: asyncio.subprocess.Process) -> None:
    """Hang up on the child, then kill it if it does not leave."""
    if child.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGHUP)
    try:
        await asyncio.wait_for(child.wait(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        await child.wait()
