"""The frame reader/writer, sans-IO: real Noise ciphers from a handshake run in memory, no socket."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.net.errors import ConnectionLost, FrameTooLarge
from reliance.net.frames import (
    FIRST_CHUNK,
    FLAG_MORE,
    KIND_DATA,
    KIND_PING,
    NEXT_CHUNK,
    U32,
    Cipher,
    Frame,
    FrameReader,
    FrameWriter,
    MessageAssembler,
)
from reliance.net.handshake import new_noise

MAX_MESSAGE = 200_000


def cipher_pair() -> tuple[Cipher, Cipher]:
    """Both ends of a finished Noise XX handshake, run in memory."""
    initiator, _ = new_noise(initiator=True)
    responder, _ = new_noise(initiator=False)
    responder.read_message(initiator.write_message(b""))  # -> e
    initiator.read_message(responder.write_message(b""))  # <- e, ee, s, es
    responder.read_message(initiator.write_message(b""))  # -> s, se
    assert initiator.handshake_finished and responder.handshake_finished
    return initiator, responder


def receive(reader: FrameReader, assembler: MessageAssembler, wire: bytes, cuts: list[int]) -> list[bytes]:
    """Feed `wire` cut at `cuts` and return the messages that came out whole."""
    messages: list[bytes] = []
    bounds = [0, *sorted(set(cuts)), len(wire)]
    for start, end in itertools.pairwise(bounds):
        reader.feed(wire[start:end])
        while (frame := reader.next_frame()) is not None:
            assert frame.kind == KIND_DATA
            message = assembler.add(frame.more, frame.body)
            if message is not None:
                messages.append(message)
    return messages


sizes = st.sampled_from([0, 1, FIRST_CHUNK - 1, FIRST_CHUNK, FIRST_CHUNK + 1, FIRST_CHUNK + NEXT_CHUNK + 3])


@settings(max_examples=20, deadline=None)
@given(
    lengths=st.lists(st.one_of(sizes, st.integers(0, 3000)), min_size=1, max_size=4),
    data=st.data(),
)
def test_messages_come_out_whole_and_in_order_however_the_bytes_are_cut(
    lengths: list[int], data: st.DataObject
) -> None:
    sender, receiver = cipher_pair()
    writer = FrameWriter(sender)
    messages = [bytes([i % 251]) * n for i, n in enumerate(lengths)]
    wire = b"".join(frame for message in messages for frame in writer.message(message, MAX_MESSAGE))
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=12))
    reader = FrameReader(receiver)
    assembler = MessageAssembler(MAX_MESSAGE)
    assert receive(reader, assembler, wire, cuts) == messages
    assert reader.buffered == 0 and not assembler.in_message


@settings(max_examples=20, deadline=None)
@given(cut=st.integers(1, 2 + 16 + 1 + 4 + 10 - 1))
def test_a_frame_cut_at_any_byte_waits_for_the_rest(cut: int) -> None:
    sender, receiver = cipher_pair()
    (wire,) = list(FrameWriter(sender).message(b"0123456789", MAX_MESSAGE))
    reader = FrameReader(receiver)
    reader.feed(wire[:cut])
    assert reader.next_frame() is None
    # A reader that feeds `wanted` bytes at a time never holds more than one frame.
    assert reader.wanted == (len(wire) - cut if cut >= 2 else 2 - cut)
    reader.feed(wire[cut:])
    assert reader.next_frame() == Frame(KIND_DATA, False, U32.pack(10) + b"0123456789")


def test_a_declared_size_above_max_message_is_refused_before_anything_is_kept() -> None:
    assembler = MessageAssembler(max_message=1000)
    first = U32.pack(1001) + b"x" * 10
    with pytest.raises(ConnectionLost) as caught:
        assembler.declared_size(first)
    assert isinstance(caught.value.__cause__, FrameTooLarge)
    with pytest.raises(ConnectionLost):
        assembler.add(True, first)
    assert assembler.buffered == 0 and not assembler.in_message


def test_a_message_above_max_message_is_not_sent() -> None:
    sender, _ = cipher_pair()
    with pytest.raises(FrameTooLarge):
        FrameWriter(sender).message(b"x" * 1001, max_message=1000)


@pytest.mark.parametrize(
    ("fragments", "violation"),
    [
        ([(True, U32.pack(5) + b"abc"), (True, b"de")], "more-fragments flag on a complete message"),
        ([(True, U32.pack(5) + b"abc"), (False, b"def")], "fragments exceed the declared length"),
        ([(False, U32.pack(5) + b"abc")], "message shorter than declared"),
        ([(True, U32.pack(5) + b"abc"), (False, b"")], "empty continuation fragment"),
        ([(False, b"abc")], "first fragment without a length"),
    ],
)
def test_fragments_that_do_not_add_up_are_a_violation(
    fragments: list[tuple[bool, bytes]], violation: str
) -> None:
    assembler = MessageAssembler(MAX_MESSAGE)
    with pytest.raises(ConnectionLost, match=violation):
        for more, body in fragments:
            assembler.add(more, body)


def test_a_frame_too_short_for_its_tag_is_refused_at_its_length() -> None:
    _, receiver = cipher_pair()
    reader = FrameReader(receiver)
    reader.feed(b"\x00\x10")
    with pytest.raises(ConnectionLost, match="frame of 16 bytes"):
        reader.next_frame()


def test_a_tampered_frame_fails_authentication() -> None:
    sender, receiver = cipher_pair()
    wire = bytearray(FrameWriter(sender).frame(KIND_PING, b"12345678"))
    wire[-1] ^= 1
    reader = FrameReader(receiver)
    reader.feed(bytes(wire))
    with pytest.raises(ConnectionLost, match="failed authentication"):
        reader.next_frame()


def test_control_frames_keep_their_kind_and_flag() -> None:
    sender, receiver = cipher_pair()
    writer, reader = FrameWriter(sender), FrameReader(receiver)
    reader.feed(writer.frame(KIND_PING | FLAG_MORE, b"ab") + writer.frame(KIND_PING, b""))
    assert reader.next_frame() == Frame(KIND_PING, True, b"ab")
    assert reader.next_frame() == Frame(KIND_PING, False, b"")
    assert reader.next_frame() is None


def test_the_frames_before_a_bad_length_are_taken_first() -> None:
    sender, receiver = cipher_pair()
    reader = FrameReader(receiver)
    reader.feed(FrameWriter(sender).frame(KIND_PING, b"1") + b"\x00\x03abc")
    assert reader.next_frame() == Frame(KIND_PING, False, b"1")
    with pytest.raises(ConnectionLost, match="frame of 3 bytes"):
        reader.next_frame()
