"""How `lim chat` finds its server and who it is."""

from __future__ import annotations

import asyncio

import pytest
import typer

from lim_cli.chat import resolve_chat
from lim_client.session import connect
from lim_protocol.tokens import parse_user_sign


async def test_local_server_is_found_in_the_data_dir_and_signs_for_the_user(
    make_harness, monkeypatch
):
    harness = await make_harness()
    await harness.user("alice")
    for name in ("LIM_SERVER", "LIM_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    target = resolve_chat(None, None, harness.server.config.data_dir, "alice", "ws")

    assert target.url == harness.url("ws")
    assert target.user_id == "alice" and target.app_id == harness.app_id
    session = await connect(target.url, app_id=target.app_id)
    assert (await session.login("alice", target.token()))["userId"] == "alice"
    await session.close()
    await harness.server.stop()


async def test_http_server_address_is_turned_into_its_gateway(make_harness):
    harness = await make_harness(http_port=0)
    host, port = harness.server.addresses["http"]
    await harness.user("bob")
    token = harness.token("bob")

    # The CLI is synchronous: resolve in a thread while the server runs here.
    target = await asyncio.to_thread(
        resolve_chat, f"http://{host}:{port}", token, None, None, "tcp"
    )

    assert target.url == harness.url("tcp")
    assert target.user_id == parse_user_sign(token)[0].identifier == "bob"
    await harness.server.stop()


def test_a_token_for_someone_else_is_a_usage_error(monkeypatch):
    from lim_protocol.tokens import create_user_sign

    token = create_user_sign("secret", 1, "bob", 60)
    with pytest.raises(typer.Exit) as exit_info:
        resolve_chat("ws://127.0.0.1:1/ws", token, None, "alice", "ws")
    assert exit_info.value.exit_code == 2
