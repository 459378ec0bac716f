"""The frame codec, byte in and byte out, without sockets."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lim_protocol.errors import ErrorCode, FrameError
from lim_protocol.frames import (
    HEADER,
    HEADER_SIZE,
    Frame,
    FrameDecoder,
    decode_message,
    encode_frame,
)

frames = st.builds(
    Frame,
    command=st.integers(0, 2**32 - 1),
    body=st.binary(max_size=300),
    app_id=st.integers(0, 2**32 - 1),
    client_type=st.integers(0, 7),
    imei=st.text(max_size=40).filter(lambda text: len(text.encode()) <= 128),
    version=st.integers(0, 3),
    encoding=st.integers(0, 2),
)


def header(imei_length: int, body_length: int, command: int = 9999) -> bytes:
    return HEADER.pack(command, 1, 1, 0, 1, imei_length, body_length)


def test_a_frame_encodes_to_the_documented_layout() -> None:
    data = encode_frame(9000, b'{"a":1}', app_id=7, client_type=3, imei="phone")

    assert len(data) == HEADER_SIZE + 5 + 7
    assert struct.unpack("!7I", data[:28]) == (9000, 1, 3, 0, 7, 5, 7)
    assert data[28:33] == b"phone"
    assert data[33:] == b'{"a":1}'


@settings(deadline=None)
@given(frames)
def test_any_frame_survives_an_encode_decode_round_trip(frame: Frame) -> None:
    decoder = FrameDecoder()

    assert decoder.feed(frame.encode()) == [frame]
    assert decoder.error is None
    assert decoder.buffered == 0


@settings(deadline=None)
@given(st.lists(frames, max_size=8), st.data())
def test_frames_split_and_coalesced_anywhere_decode_to_the_same_frames(
    sent: list[Frame], data: st.DataObject
) -> None:
    stream = b"".join(frame.encode() for frame in sent)
    cuts = data.draw(
        st.lists(st.integers(0, len(stream)), max_size=20).map(sorted), label="cuts"
    )
    decoder = FrameDecoder()
    received: list[Frame] = []

    start = 0
    for cut in [*cuts, len(stream)]:
        received += decoder.feed(stream[start:cut])
        start = cut

    assert received == sent
    assert decoder.error is None
    assert decoder.buffered == 0


def test_one_byte_at_a_time_yields_each_frame_when_its_last_byte_arrives() -> None:
    stream = Frame(1103, b"{}", imei="x").encode() + Frame(9999, b"{}").encode()
    decoder = FrameDecoder()
    completed_at = []

    for index in range(len(stream)):
        if decoder.feed(stream[index : index + 1]):
            completed_at.append(index)

    assert completed_at == [HEADER_SIZE + 1 + 2 - 1, len(stream) - 1]


def test_an_imei_longer_than_128_bytes_is_recorded_not_raised() -> None:
    decoder = FrameDecoder()

    assert decoder.feed(header(129, 2) + b"x" * 129 + b"{}") == []

    assert isinstance(decoder.error, FrameError)
    assert decoder.error.code == ErrorCode.FRAME_MALFORMED


def test_an_imei_length_of_1000_is_refused_from_the_header_alone() -> None:
    decoder = FrameDecoder()

    decoder.feed(header(1000, 0))

    assert decoder.error is not None
    assert decoder.error.code == ErrorCode.FRAME_MALFORMED


def test_a_body_over_max_body_is_refused_before_it_arrives() -> None:
    decoder = FrameDecoder(max_body=1024)

    assert decoder.feed(header(0, 1025)) == []

    assert decoder.error is not None
    assert decoder.error.code == ErrorCode.FRAME_TOO_LARGE
    assert decoder.buffered == 0


def test_a_body_of_exactly_max_body_is_accepted() -> None:
    decoder = FrameDecoder(max_body=1024)

    (frame,) = decoder.feed(header(0, 1024) + b"x" * 1024)

    assert frame.body == b"x" * 1024
    assert decoder.error is None


def test_an_imei_that_is_not_utf8_is_malformed() -> None:
    decoder = FrameDecoder()

    decoder.feed(encode_frame(9999, b"{}", imei=b"\xff\xfe"))

    assert decoder.error is not None
    assert decoder.error.code == ErrorCode.FRAME_MALFORMED


def test_frames_before_a_bad_header_are_returned_and_nothing_after_it() -> None:
    good = Frame(9999, b"{}").encode()
    decoder = FrameDecoder()

    assert decoder.feed(good + header(500, 0) + good) == [Frame(9999, b"{}")]
    assert decoder.error is not None
    assert decoder.feed(good) == []


def test_encoding_an_imei_longer_than_128_bytes_is_refused() -> None:
    with pytest.raises(FrameError):
        encode_frame(9999, b"{}", imei="x" * 129)


def test_decode_message_returns_the_one_frame_it_holds() -> None:
    frame = Frame(1103, b'{"x":1}', app_id=3, imei="dev")

    assert decode_message(frame.encode()) == frame


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 10,
        Frame(9999).encode()[:-1],
        Frame(9999).encode() * 2,
        Frame(9999).encode() + b"\x00",
    ],
    ids=["empty", "short header", "truncated", "two frames", "trailing byte"],
)
def test_decode_message_requires_exactly_one_frame(data: bytes) -> None:
    with pytest.raises(FrameError) as caught:
        decode_message(data)

    assert caught.value.code == ErrorCode.FRAME_MALFORMED


def test_decode_message_reports_an_oversized_body() -> None:
    with pytest.raises(FrameError) as caught:
        decode_message(header(0, 2048) + b"x" * 2048, max_body=1024)

    assert caught.value.code == ErrorCode.FRAME_TOO_LARGE


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_garbage_never_raises_out_of_feed(data: bytes) -> None:
    decoder = FrameDecoder(max_body=4096)

    for frame in decoder.feed(data):
        assert isinstance(frame, Frame)
