"""The local cache alone: keys, outbox, receipts, search."""

from __future__ import annotations

from lim_client.cache import Cache

CONV = "p2p|alice|bob"


def wire(sequence: int, text: str, from_id: str = "alice") -> dict:
    return {
        "conversationId": CONV,
        "conversationType": 0,
        "messageSequence": sequence,
        "messageKey": 1000 + sequence,
        "messageId": f"m{sequence}",
        "fromId": from_id,
        "toId": "bob" if from_id == "alice" else "alice",
        "messageBody": {"type": "text", "text": text},
        "messageTime": 1_700_000_000_000 + sequence,
    }


def test_a_message_stored_twice_is_kept_once(tmp_path):
    cache = Cache(tmp_path / "c.db")
    assert cache.add_messages([wire(1, "one"), wire(2, "two")]) == 2
    assert cache.add_messages([wire(2, "two"), wire(3, "three")]) == 1
    assert [m["text"] for m in cache.messages(CONV)] == ["one", "two", "three"]


def test_a_read_receipt_that_beats_the_ack_still_marks_the_message(tmp_path):
    cache = Cache(tmp_path / "c.db")
    row = cache.queue("x1", CONV, 0, "alice", {"type": "text", "text": "hi"})
    cache.mark_peer_read(CONV, "bob", 1)

    ack = {"messageKey": 77, "messageSequence": 1, "messageTime": 1}
    assert cache.acked(row["message_id"], ack, "bob") == CONV
    assert cache.messages(CONV)[0]["status"] == "read"
    assert cache.outbox() == []


def test_search_matches_words_in_cjk_and_latin_text(tmp_path):
    cache = Cache(tmp_path / "c.db")
    cache.add_messages([wire(1, "the zebra crossing"), wire(2, "东京 tower")])
    assert [m["sequence"] for m in cache.search("zebra")] == [1]
    assert [m["sequence"] for m in cache.search("东京")] == [2]
    assert cache.search('"; DROP') == []


def test_unread_leaves_out_my_own_messages(tmp_path):
    cache = Cache(tmp_path / "c.db")
    cache.add_messages([wire(1, "a"), wire(2, "b", "bob"), wire(3, "c")])
    assert cache.unread(CONV, "bob") == 2
    cache.upsert_conversation(CONV, read_sequence=3)
    assert cache.unread(CONV, "bob") == 0
