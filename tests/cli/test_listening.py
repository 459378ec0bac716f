"""How ``lim listen`` prints what arrives."""

from __future__ import annotations

from lim_cli.listening import _human


def test_listen_prints_messages_for_people_and_events_by_name() -> None:
    p2p = {"fromId": "alice", "messageBody": {"type": "text", "text": "hi"}}
    group = {**p2p, "groupId": "team"}

    assert _human("MSG_P2P", p2p) == "alice: hi"
    assert _human("MSG_GROUP", group) == "[team] alice: hi"
    assert _human("USER_MODIFIED", {"userId": "a"}) == 'USER_MODIFIED {"userId": "a"}'
