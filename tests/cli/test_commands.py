"""Each admin and scripting command through Typer's runner, on a real server."""

from __future__ import annotations

import json
import tomllib

import pytest
import typer

from lim_cli.main import app
from tests.cli.conftest import Served

KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    " alice@laptop"
)


def _ok(result):
    assert result.exit_code == 0, result.stderr or result.output
    return result


def _json(result):
    return json.loads(_ok(result).stdout)


def test_user_add_then_get_shows_the_profile(served: Served) -> None:
    _ok(served.invoke("user", "add", "ann", "--nickname", "Ann", "--extra", '{"k":1}'))

    users = _json(served.invoke("user", "get", "ann", "--json"))

    assert users[0]["nickname"] == "Ann"
    assert users[0]["extra"] == {"k": 1}


def test_adding_an_existing_user_fails_with_one_line(served: Served) -> None:
    _ok(served.invoke("user", "add", "dup"))

    result = served.invoke("user", "add", "dup")

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "20001" in result.stderr


def test_user_get_of_a_missing_user_exits_1(served: Served) -> None:
    result = served.invoke("user", "get", "nobody-here")

    assert result.exit_code == 1
    assert "nobody-here" in result.stderr


def test_user_list_pages_through_users(served: Served) -> None:
    for name in ("list-a", "list-b", "list-c"):
        _ok(served.invoke("user", "add", name))

    users = _json(
        served.invoke("user", "list", "--after", "list-", "--limit", "2", "--json")
    )

    assert [u["userId"] for u in users] == ["list-a", "list-b"]


def test_user_update_changes_fields_and_needs_one(served: Served) -> None:
    _ok(served.invoke("user", "add", "upd"))

    changed = _json(
        served.invoke("user", "update", "upd", "--signature", "hi", "--json")
    )
    nothing = served.invoke("user", "update", "upd")

    assert changed["signature"] == "hi"
    assert nothing.exit_code == 2


def test_user_delete_needs_yes_without_a_terminal(served: Served) -> None:
    _ok(served.invoke("user", "add", "gone"))

    refused = served.invoke("user", "delete", "gone")
    deleted = served.invoke("user", "delete", "gone", "--yes")
    after = served.invoke("user", "get", "gone")

    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert deleted.exit_code == 0
    assert after.exit_code == 1


def test_silence_disable_and_their_reverses_set_the_flags(served: Served) -> None:
    _ok(served.invoke("user", "add", "flags"))

    silenced = _json(served.invoke("user", "silence", "flags", "--json"))
    disabled = _json(served.invoke("user", "disable", "flags", "--json"))
    unsilenced = _json(served.invoke("user", "unsilence", "flags", "--json"))
    enabled = _json(served.invoke("user", "enable", "flags", "--json"))

    assert silenced["silenced"] and disabled["disabled"]
    assert not unsilenced["silenced"] and not enabled["disabled"]


def test_passwd_reads_stdin_and_login_uses_it(served: Served) -> None:
    _ok(served.invoke("user", "add", "pat"))
    _ok(served.invoke("user", "passwd", "pat", input="open sesame\n"))

    result = served.invoke(
        "login", "pat", "--server", served.http, "--password", "open sesame", "--json"
    )
    data = _json(result)
    profile = tomllib.loads(
        (served.env_path("XDG_CONFIG_HOME") / "lim/config.toml").read_text()
    )

    assert data["userId"] == "pat"
    assert profile["user"] == "pat" and profile["server"] == served.http


def test_login_with_a_wrong_password_fails(served: Served) -> None:
    _ok(served.invoke("user", "add", "wrongpw", "--password", "right"))

    result = served.invoke(
        "login", "wrongpw", "--server", served.http, "--password", "wrong"
    )

    assert result.exit_code == 1
    assert "20005" in result.stderr


def test_a_saved_login_is_used_away_from_the_server(served: Served, tmp_path) -> None:
    _ok(served.invoke("user", "add", "far", "--password", "pw"))
    config = tmp_path / "far.toml"
    _ok(
        served.invoke(
            "login",
            "far",
            "--server",
            served.http,
            "--password",
            "pw",
            LIM_CONFIG_FILE=str(config),
        )
    )

    away = {"LIM_DATA_DIR": str(tmp_path / "empty"), "LIM_CONFIG_FILE": str(config)}
    users = _json(served.invoke("user", "get", "far", "--json", **away))
    refused = served.invoke("user", "add", "nope", **away)

    assert users[0]["userId"] == "far"
    assert refused.exit_code == 1 and "60008" in refused.stderr


def test_login_with_a_token_stores_it(served: Served, tmp_path) -> None:
    _ok(served.invoke("user", "add", "tok"))
    token = _ok(served.invoke("token", "tok", "--ttl", "600")).stdout.strip()
    config = tmp_path / "tok.toml"

    _ok(
        served.invoke(
            "login",
            "--server",
            served.http,
            "--token",
            token,
            LIM_CONFIG_FILE=str(config),
        )
    )

    assert tomllib.loads(config.read_text())["token"] == token


def test_ssh_keys_are_added_listed_and_removed(served: Served) -> None:
    _ok(served.invoke("user", "add", "keyed"))

    added = _json(served.invoke("user", "key", "add", "keyed", KEY, "--json"))
    listed = _json(served.invoke("user", "key", "list", "keyed", "--json"))
    _ok(served.invoke("user", "key", "remove", "keyed", added["fingerprint"]))
    after = _json(served.invoke("user", "key", "list", "keyed", "--json"))

    assert [k["comment"] for k in listed] == ["alice@laptop"]
    assert after == []


def test_app_show_and_set_change_settings(served: Served) -> None:
    changed = _json(
        served.invoke(
            "app", "set", "recallWindowSeconds=45", "readReceipts=false", "--json"
        )
    )
    shown = served.invoke("app", "show")
    bad = served.invoke("app", "set", "noSuchSetting=1")
    malformed = served.invoke("app", "set", "justakey")

    assert changed["settings"]["recallWindowSeconds"] == 45
    assert changed["settings"]["readReceipts"] is False
    assert "recallWindowSeconds" in _ok(shown).stdout
    assert bad.exit_code == 1
    assert malformed.exit_code == 2


def test_app_create_and_list_as_the_local_admin(served: Served) -> None:
    created = _json(served.invoke("app", "create", "shop-cli", "--json"))
    apps = _json(served.invoke("app", "list", "--json"))
    shown = _json(
        served.invoke("app", "show", "--app", str(created["appId"]), "--json")
    )

    assert "shop-cli" in [a["name"] for a in apps]
    assert shown["name"] == "shop-cli"


def test_send_and_history_through_the_runner(served: Served) -> None:
    _ok(served.invoke("user", "add", "hist-a"))
    _ok(served.invoke("user", "add", "hist-b"))

    ack = _json(
        served.invoke("send", "--to", "hist-b", "first", "--as", "hist-a", "--json")
    )
    _ok(
        served.invoke("send", "--to", "hist-b", "-", "--as", "hist-a", input="second\n")
    )
    history = _json(
        served.invoke("history", "--with", "hist-b", "--as", "hist-a", "--json")
    )
    text = _ok(served.invoke("history", "--with", "hist-a", "--as", "hist-b")).stdout

    assert ack["messageSequence"] == 1
    assert [m["messageBody"]["text"] for m in history] == ["first", "second"]
    assert text.splitlines() == ["#1 hist-a: first", "#2 hist-a: second"]


def test_send_needs_exactly_one_target(served: Served) -> None:
    result = served.invoke("send", "hello")

    assert result.exit_code == 2


def test_token_prints_only_the_token(served: Served) -> None:
    result = _ok(served.invoke("token", "someone"))

    assert len(result.stdout.split()) == 1


def test_no_server_is_a_one_line_error(served: Served, tmp_path) -> None:
    result = served.invoke(
        "user",
        "list",
        LIM_DATA_DIR=str(tmp_path),
        LIM_CONFIG_FILE=str(tmp_path / "none.toml"),
    )

    assert result.exit_code == 1
    assert result.stderr.startswith("lim: no server found")


def _commands(command: typer.core.TyperGroup, ctx, prefix: list[str]):
    yield prefix, command, ctx
    for name in sorted(getattr(command, "commands", {})):
        sub = command.get_command(ctx, name)
        sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
        yield from _commands(sub, sub_ctx, [*prefix, name])


def test_every_help_shows_an_example() -> None:
    root = typer.main.get_command(app)
    ctx = root.make_context("lim", [], resilient_parsing=True)
    missing = [
        " ".join(path) or "lim"
        for path, command, context in _commands(root, ctx, [])
        if "Example:" not in command.get_help(context)
    ]

    assert missing == []


@pytest.mark.parametrize("args", [["user", "add"], ["import"], ["app", "set"]])
def test_usage_errors_exit_2(served: Served, args: list[str]) -> None:
    assert served.invoke(*args).exit_code == 2
