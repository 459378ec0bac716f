"""The relay logic the floor servers share: lim frames in, lim frames out.

A floor server answers LOGIN, acks MSG_P2P and forwards it to the receiver,
and forwards MSG_RECEIVE_ACK to the sender: the same frames and JSON that
lim exchanges for a 1:1 message, with no storage, no validation beyond
parsing and no durability. What lim costs above it is the price of being a
messaging server rather than a pipe.
"""

from __future__ import annotations

import itertools
import struct
import time
from collections.abc import Callable
from typing import Any

from pydantic_core import from_json, to_json

HEADER = struct.Struct("!7I")
LOGIN, LOGIN_ACK, PING, API_REQUEST, API_RESPONSE = 9000, 9001, 9999, 9100, 9101
MSG_P2P, MSG_ACK, MSG_RECEIVE_ACK = 1103, 1046, 1107

Send = Callable[[bytes], None]


def frame(command: int, body: bytes, app_id: int = 0) -> bytes:
    return HEADER.pack(command, 1, 0, 0, app_id, 0, len(body)) + body


def frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Cut the complete frames off the front of ``buffer``."""
    out = []
    while len(buffer) >= 28:
        command, _, _, _, _, imei_length, body_length = HEADER.unpack_from(buffer)
        end = 28 + imei_length + body_length
        if len(buffer) < end:
            break
        out.append((command, bytes(buffer[28 + imei_length : end])))
        del buffer[:end]
    return out


class Relay:
    def __init__(self) -> None:
        self.devices: dict[str, Send] = {}
        self.senders: dict[int, tuple[str, str]] = {}
        self.keys = itertools.count(1)
        self.sequences: dict[str, int] = {}

    def handle(
        self, state: dict[str, Any], send: Send, command: int, raw: bytes
    ) -> None:
        body = from_json(raw) if raw else {}
        rid = body.get("rid")
        if command == LOGIN:
            state["user"] = body["userId"]
            self.devices[body["userId"]] = send
            reply = {"code": 200, "msg": "ok", "data": {"userId": body["userId"]}}
            send(frame(LOGIN_ACK, to_json({**reply, "rid": rid})))
        elif command == MSG_P2P:
            self._message(state["user"], send, body)
        elif command == MSG_RECEIVE_ACK:
            sender = self.senders.pop(body.get("messageKey", 0), None)
            target = self.devices.get(sender[0]) if sender else None
            if target is not None:
                receipt = {**body, "messageId": sender[1], "serverSend": False}
                target(frame(MSG_RECEIVE_ACK, to_json(receipt)))
        elif command == PING:
            send(frame(PING, to_json({"serverTime": int(time.time() * 1000)})))
        elif command == API_REQUEST:
            reply = {"code": 90000, "msg": "no api here", "rid": rid}
            send(frame(API_RESPONSE, to_json(reply)))

    def _message(self, from_id: str, send: Send, body: dict[str, Any]) -> None:
        to_id = body["toId"]
        key = next(self.keys)
        low, high = sorted((from_id, to_id))
        conversation = f"p2p|{low}|{high}"
        sequence = self.sequences[conversation] = (
            self.sequences.get(conversation, 0) + 1
        )
        now = int(time.time() * 1000)
        ack = {
            "messageId": body["messageId"],
            "messageKey": key,
            "messageSequence": sequence,
            "messageTime": now,
        }
        send(frame(MSG_ACK, to_json({"code": 200, "msg": "ok", "data": ack})))
        self.senders[key] = (from_id, body["messageId"])
        target = self.devices.get(to_id)
        if target is not None:
            message = {
                "messageKey": key,
                "messageId": body["messageId"],
                "fromId": from_id,
                "toId": to_id,
                "messageBody": body["messageBody"],
                "messageTime": now,
                "messageSequence": sequence,
                "conversationId": conversation,
                "conversationType": 0,
            }
            target(frame(MSG_P2P, to_json(message)))

    def leave(self, state: dict[str, Any], send: Send) -> None:
        user = state.get("user")
        if user is not None and self.devices.get(user) is send:
            del self.devices[user]
