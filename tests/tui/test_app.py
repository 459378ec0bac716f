"""The chat app driven headless with Textual's pilot against a real server."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lim_tui.app import ChatApp
from lim_tui.composer import Composer
from lim_tui.log import MessageLog
from lim_tui.screens import HelpScreen, PickerScreen
from lim_tui.sidebar import Sidebar

from ..client.helpers import make_client, until

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(app: ChatApp, name: str) -> None:
    """Save an SVG screenshot; into docs/ only when LIM_SCREENSHOTS=1."""
    directory = SHOTS if os.environ.get("LIM_SCREENSHOTS") else tempfile.gettempdir()
    app.save_screenshot(name, str(directory))


def log_text(app: ChatApp) -> str:
    return str(app.query_one(MessageLog).body.render())


def sidebar_labels(app: ChatApp) -> list[str]:
    sidebar = app.query_one(Sidebar)
    return [
        str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)
    ]


async def started(harness, tmp_path, user="bob"):
    client = make_client(harness, user, tmp_path / f"{user}.db")
    return ChatApp(client)


async def test_app_opens_syncs_and_shows_the_newest_conversation(harness, tmp_path):
    await harness.user("alice", nickname="Alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    await alice.send_message("bob", "hello bob")
    await alice.send_message("bob", "你好, 世界 🌍")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "世界" in log_text(app))
        await pilot.pause()
        assert "Alice" in log_text(app)
        assert "online" in str(app.query_one("#status").render())
        # Viewing the conversation marks it read: no badge on the open one.
        assert app.cache.conversation("p2p|alice|bob")["read_sequence"] == 2
        shot(app, "chat-80x24.svg")


async def test_sending_shows_the_message_and_the_peer_receives_it(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    await alice.send_message("bob", "ping")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: "ping" in log_text(app))
        await pilot.press(*"pong", "enter")
        event = await alice.next_event(1103)
        assert event.body["messageBody"]["text"] == "pong"
        await until(lambda: "pong ✓" in log_text(app))


async def test_message_in_another_conversation_raises_its_unread_badge(
    harness, tmp_path
):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    await alice.send_message("bob", "first")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: "first" in log_text(app))
        await carol.send_message("bob", "one")
        await carol.send_message("bob", "two")
        await until(lambda: any("carol (2)" in label for label in sidebar_labels(app)))

        # Ctrl+N jumps to it, shows it and clears the badge.
        await pilot.press("ctrl+n")
        await until(lambda: "two" in log_text(app))
        await until(lambda: not any("(2)" in label for label in sidebar_labels(app)))
        assert app.current == "p2p|bob|carol"
        await pilot.pause()
        shot(app, "chat-unread.svg")


async def test_quick_switcher_jumps_to_a_conversation_by_typing(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol")
    await (await harness.device("alice")).send_message("bob", "from alice")
    await (await harness.device("carol")).send_message("bob", "from carol")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: len(app.cache.conversations("bob")) == 2)
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"ali")
        await pilot.pause()
        shot(app, "chat-switcher.svg")
        await pilot.press("enter")
        await until(lambda: app.current == "p2p|alice|bob")
        assert "from alice" in log_text(app)


async def test_search_finds_a_message_and_opens_its_conversation(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol")
    await (await harness.device("alice")).send_message("bob", "the zebra crossing")
    await (await harness.device("carol")).send_message("bob", "a quiet afternoon")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: len(app.cache.conversations("bob")) == 2)
        await until(lambda: app.current == "p2p|bob|carol")
        await pilot.press("ctrl+f", *"zebra")
        await pilot.pause()
        await pilot.press("enter")
        await until(lambda: app.current == "p2p|alice|bob")
        assert "zebra" in log_text(app)


async def test_msg_command_starts_a_conversation_and_help_lists_keys(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.client.wait_online()
        await pilot.press(*"/msg alice hi there", "enter")
        event = await alice.next_event(1103)
        assert event.body["messageBody"]["text"] == "hi there"
        assert app.current == "p2p|alice|bob"

        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        help_body = str(app.screen.query_one("#help-body").render())
        assert "Ctrl+K" in help_body and "/accept" in help_body
        shot(app, "chat-help.svg")
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_message_written_offline_is_pending_until_the_server_acks(
    harness, tmp_path
):
    import socket

    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"
    client = make_client(harness, "bob", tmp_path / "bob.db", url=dead)
    app = ChatApp(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "offline" in str(app.query_one("#status").render()))
        await pilot.press(*"/msg alice later", "enter")
        await until(lambda: "later …" in log_text(app))
        await pilot.pause()
        shot(app, "chat-offline.svg")

        client.url = harness.url("ws")  # the network comes back
        event = await alice.next_event(1103, timeout=20)
        assert event.body["messageBody"]["text"] == "later"
        await until(lambda: "later ✓" in log_text(app))
        assert "online" in str(app.query_one("#status").render())


async def test_toasts_come_for_other_conversations_unless_muted(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol")
    await harness.user("dave")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    dave = await harness.device("dave")
    await alice.send_message("bob", "open me")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)):
        await until(lambda: "open me" in log_text(app))
        await dave.send_message("bob", "first from dave")
        await until(lambda: app.cache.conversation("p2p|bob|dave") is not None)
        app.cache.upsert_conversation("p2p|bob|dave", muted=1)

        await dave.send_message("bob", "muted words")
        await carol.send_message("bob", "loud words")
        await alice.send_message("bob", "in the open one")
        await until(lambda: "in the open one" in log_text(app))
        await until(lambda: any("loud" in n.message for n in app._notifications))

        messages = [n.message for n in app._notifications]
        assert "muted words" not in messages
        assert "in the open one" not in messages


async def test_friend_request_is_listed_and_accepted_from_the_ui(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob", friendPolicy=2)
    alice = await harness.device("alice")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.client.wait_online()
        await alice.api("/v1/friend/add", {"toId": "bob", "wording": "it's alice"})
        await until(
            lambda: any("alice wants to be friends" in x for x in sidebar_labels(app))
        )
        await until(
            lambda: any(
                "friend request from alice" in n.message for n in app._notifications
            )
        )
        await pilot.pause()
        shot(app, "chat-request.svg")

        await pilot.press(*"/accept alice", "enter")
        await until(
            lambda: any(f.get("toId") == "alice" for f in app.cache.rows("friends"))
        )
        await until(lambda: "Contacts" in sidebar_labels(app))
        assert not any("wants to be friends" in x for x in sidebar_labels(app))
        friends = await alice.api("/v1/friend/list", {})
        assert "bob" in str(friends)


async def test_group_created_from_the_ui_carries_messages_both_ways(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.client.wait_online()
        await pilot.press(*"/group create team alice", "enter")
        await until(lambda: (app.current or "").startswith("group|"))
        group_id = app.current.split("|", 1)[1]
        await until(lambda: "#team" in str(app.query_one("#title").render()))

        await pilot.press(*"hello team", "enter")
        event = await alice.next_event(2104, timeout=10)
        assert event.body["messageBody"]["text"] == "hello team"
        assert event.body["groupId"] == group_id
        await until(lambda: "hello team ✓" in log_text(app))

        await alice.request(
            2104,
            {"messageId": "a1", "groupId": group_id, "messageBody": "hi bob"},
        )
        await until(lambda: "hi bob" in log_text(app))
        await pilot.pause()
        shot(app, "chat-group.svg")


async def test_join_request_is_admitted_from_the_ui(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.client.wait_online()
        group = await app.client.api(
            "/v1/group/create",
            {"groupId": "ops", "name": "Ops", "type": "public", "joinMode": "approval"},
        )
        assert group["groupId"] == "ops"
        joined = await alice.api("/v1/group/join", {"groupId": "ops"})
        request_id = joined["request"]["requestId"]
        await until(
            lambda: any(f"/admit {request_id}" in n.message for n in app._notifications)
        )

        await pilot.press(*f"/admit {request_id}", "enter")
        info = await alice.api("/v1/group/get", {"groupId": "ops"})
        await until(lambda: "ops" in str(info))
        members = await alice.api("/v1/group/member/list", {"groupId": "ops"})
        assert "alice" in str(members)


async def test_no_color_and_wide_text_keep_the_layout(harness, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    await harness.user("alice", nickname="小明")
    await harness.user("bob")
    alice = await harness.device("alice")
    await alice.send_message("bob", "漢字とカタカナ 🎉🎉 mixed")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(lambda: "🎉🎉 mixed" in log_text(app))
        app.query_one(Composer).insert("答复 👍")  # as a paste or an IME would
        await pilot.press("enter")
        await until(lambda: "答复 👍 ✓" in log_text(app))
        assert any("小明" in label for label in sidebar_labels(app))
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.query_one(Sidebar).outer_size.width == 26
        assert app.no_color
        shot(app, "chat-cjk-nocolor.svg")


async def test_scrolling_up_loads_older_history(harness, tmp_path, monkeypatch):
    from lim_client import sync

    monkeypatch.setattr(sync, "FIRST_WINDOW", 5)
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    for n in range(1, 13):
        await alice.send_message("bob", f"message {n:02d}")

    app = await started(harness, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "message 12" in log_text(app))
        assert "message 07" not in log_text(app)
        assert "older messages" in log_text(app)

        await pilot.press("pageup")
        await until(lambda: "message 01" in log_text(app))
        assert "older messages" not in log_text(app)
        assert log_text(app).count("message ") == 12
