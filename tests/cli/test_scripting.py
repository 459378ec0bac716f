"""``lim send`` and ``lim listen`` as real processes against ``lim serve``."""

from __future__ import annotations

import json
import signal
import subprocess
import time

from tests.cli.conftest import Served

DEADLINE = 30.0


def _wait_for_line(stream, word: str) -> str:
    """Read lines from ``stream`` until one holds ``word`` (or fail)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        if word in line:
            return line
    raise AssertionError(f"no line with {word!r}")


def test_send_exits_0_after_the_ack(served: Served) -> None:
    served.run("user", "add", "s-alice")
    served.run("user", "add", "s-bob")

    result = served.run("send", "--to", "s-bob", "hello", "--as", "s-alice", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["messageSequence"] == 1


def test_send_reads_stdin_for_dash(served: Served) -> None:
    served.run("user", "add", "in-alice")
    served.run("user", "add", "in-bob")

    sent = served.run(
        "send", "--to", "in-bob", "-", "--as", "in-alice", input="piped\n"
    )
    history = served.run("history", "--with", "in-bob", "--as", "in-alice", "--json")

    assert sent.returncode == 0, sent.stderr
    assert json.loads(history.stdout)[-1]["messageBody"]["text"] == "piped"


def test_send_to_an_unknown_user_exits_1_with_one_line(served: Served) -> None:
    result = served.run("send", "--to", "nobody-at-all", "hi")

    assert result.returncode == 1
    assert result.stderr.startswith("lim: ")
    assert result.stderr.count("\n") == 1


def test_send_with_global_options_uses_the_given_server(served: Served) -> None:
    served.run("user", "add", "g-bob")
    token = served.run("token", "@admin").stdout.strip()

    result = served.run(
        "--server", served.http, "--token", token, "send", "--to", "g-bob", "via flags"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent ")


def test_send_mistakes_are_usage_errors(served: Served) -> None:
    both = served.run("send", "--to", "a", "--group", "g", "x")
    unknown = served.run("send", "--to", "a", "--nope", "x")

    assert both.returncode == 2
    assert unknown.returncode == 2


def test_listen_prints_incoming_messages_as_json_lines(served: Served) -> None:
    served.run("user", "add", "l-alice")
    served.run("user", "add", "l-bob")
    listener = served.spawn("listen", "--json", "--as", "l-bob")
    try:
        _wait_for_line(listener.stderr, "listening as l-bob")

        served.run("send", "--to", "l-bob", "one", "--as", "l-alice")
        served.run("send", "--to", "l-bob", "two", "--as", "l-alice")
        first = json.loads(_wait_for_line(listener.stdout, "one"))
        second = json.loads(_wait_for_line(listener.stdout, "two"))
    finally:
        listener.send_signal(signal.SIGINT)
        code = listener.wait(DEADLINE)

    assert first["name"] == "MSG_P2P"
    assert first["body"]["fromId"] == "l-alice"
    assert second["body"]["messageBody"]["text"] == "two"
    assert code == 0


def test_listen_ends_with_1_when_the_user_is_disabled(served: Served) -> None:
    served.run("user", "add", "l-carol")
    listener = served.spawn("listen", "--json", "--as", "l-carol")
    _wait_for_line(listener.stderr, "listening as l-carol")

    served.run("user", "disable", "l-carol")
    try:
        code = listener.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        listener.kill()
        raise

    assert code == 1
