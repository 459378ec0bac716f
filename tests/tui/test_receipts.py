"""Receipts, recall, presence and unread counts between the app and a peer."""

from __future__ import annotations

from lim_tui.app import ChatApp

from ..client.helpers import make_client, until
from .test_app import log_text, shot, sidebar_labels

CONV = "p2p|alice|bob"


async def test_read_receipts_flow_both_ways(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    await alice.send_message("bob", "are you there?")

    app = ChatApp(make_client(harness, "bob", tmp_path / "bob.db"))
    async with app.run_test(size=(100, 30)) as pilot:
        # Bob views the conversation: alice gets a read receipt.
        receipt = await alice.next_event(1054, timeout=10)
        assert receipt.body["conversationId"] == CONV
        assert receipt.body["messageSequence"] == 1

        await pilot.press(*"yes", "enter")
        message = await alice.next_event(1103)
        await until(lambda: "yes ✓" in log_text(app))

        # Alice's device acknowledges, then reads: ✓✓ then ◉.
        await alice.send(
            1107,
            {
                "messageKey": message.body["messageKey"],
                "fromId": "bob",
                "toId": "alice",
                "messageSequence": 2,
            },
        )
        await until(lambda: "yes ✓✓" in log_text(app))
        await alice.request(
            1106, {"conversationType": 0, "toId": "bob", "messageSequence": 2}
        )
        await until(lambda: "yes ◉" in log_text(app))
        await pilot.pause()
        shot(app, "chat-receipts.svg")


async def test_recalls_show_as_recalled_on_both_sides(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    ack = await alice.send_message("bob", "oops, wrong window")

    app = ChatApp(make_client(harness, "bob", tmp_path / "bob.db"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: "wrong window" in log_text(app))
        await alice.request(
            1050,
            {"messageKey": ack["messageKey"], "conversationType": 0, "toId": "bob"},
        )
        await until(lambda: "(message recalled)" in log_text(app))
        assert "wrong window" not in log_text(app)

        await pilot.press(*"my turn", "enter")
        await alice.next_event(1103)
        await until(lambda: "my turn ✓" in log_text(app))
        await pilot.press(*"/recall", "enter")
        notify = await alice.next_event(1052, timeout=10)
        assert notify.body["messageSequence"] == 2
        await until(lambda: log_text(app).count("(message recalled)") == 2)


async def test_recall_made_while_the_app_was_closed_is_synced(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    ack = await alice.send_message("bob", "secret")
    path = tmp_path / "bob.db"

    first = ChatApp(make_client(harness, "bob", path))
    async with first.run_test(size=(80, 24)):
        await until(lambda: "secret" in log_text(first))

    await alice.request(
        1050, {"messageKey": ack["messageKey"], "conversationType": 0, "toId": "bob"}
    )
    second = ChatApp(make_client(harness, "bob", path))
    async with second.run_test(size=(80, 24)):
        # The cache shows the old text at once, then the sync recalls it.
        await until(lambda: "(message recalled)" in log_text(second))
        assert "secret" not in log_text(second)


async def test_presence_dots_follow_the_peer(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    alice = await harness.device("alice")
    await alice.send_message("bob", "hi")

    app = ChatApp(make_client(harness, "bob", tmp_path / "bob.db"))
    async with app.run_test(size=(100, 30)):
        await until(lambda: any("● alice" in x for x in sidebar_labels(app)))
        await alice.api("/v1/status/set", {"customStatus": 2, "customText": "lunch"})
        await until(lambda: "lunch" in str(app.query_one("#title").render()))
        await alice.logout()
        await until(lambda: any("○ alice" in x for x in sidebar_labels(app)))


async def test_unread_counts_match_the_server_after_a_restart(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    await alice.send_message("bob", "first")
    path = tmp_path / "bob.db"

    first = ChatApp(make_client(harness, "bob", path))
    async with first.run_test(size=(80, 24)):
        await until(lambda: "first" in log_text(first))
        await until(lambda: first.cache.unread(CONV, "bob") == 0)

    for n in range(3):
        await carol.send_message("bob", f"c{n}")
    await alice.send_message("bob", "again")

    second = ChatApp(make_client(harness, "bob", path))
    async with second.run_test(size=(80, 24)):
        await until(lambda: any("carol (3)" in x for x in sidebar_labels(second)))
        bob = await harness.device("bob")
        server = {
            c["conversationId"]: c["unreadCount"]
            for c in await bob.api("/v1/conversation/list", {})
        }
        assert server["p2p|bob|carol"] == 3
        local = {
            c["conversation_id"]: c["unread"] for c in second.cache.conversations("bob")
        }
        assert local["p2p|bob|carol"] == 3


async def test_reading_on_another_device_clears_the_badge(harness, tmp_path):
    await harness.user("alice")
    await harness.user("bob")
    await harness.user("carol")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    phone = await harness.device("bob")
    await alice.send_message("bob", "open me")

    app = ChatApp(make_client(harness, "bob", tmp_path / "bob.db"))
    async with app.run_test(size=(100, 30)):
        await until(lambda: "open me" in log_text(app))
        await carol.send_message("bob", "one")
        await carol.send_message("bob", "two")
        await until(lambda: any("carol (2)" in x for x in sidebar_labels(app)))

        await phone.request(
            1106, {"conversationType": 0, "toId": "carol", "messageSequence": 2}
        )
        await until(lambda: not any("(2)" in x for x in sidebar_labels(app)))
        assert app.cache.unread("p2p|bob|carol", "bob") == 0
