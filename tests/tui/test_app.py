"""The chat app driven headless with Textual's pilot against a real server."""

from __future__ import annotations

from pathlib import Path

from lim_tui.app import ChatApp
from lim_tui.log import MessageLog
from lim_tui.screens import HelpScreen, PickerScreen
from lim_tui.sidebar import Sidebar

from ..client.helpers import make_client, until

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


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
        app.save_screenshot("chat-80x24.svg", str(SHOTS))


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
        app.save_screenshot("chat-unread.svg", str(SHOTS))


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
        app.save_screenshot("chat-switcher.svg", str(SHOTS))
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
        app.save_screenshot("chat-help.svg", str(SHOTS))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
