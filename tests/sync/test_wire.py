"""Tests of reliance.automerge.wire against real automerge messages and changes."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from automerge.core import ROOT, Document, Message, ObjType, ScalarType, SyncState
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.automerge import wire
from reliance.automerge.wire import (
    ChangeHeader,
    Have,
    SyncMessage,
    WireError,
    apply_message,
    build_chunk,
    changes_in_message,
    decode_sync_message,
    encode_sync_message,
    parse_change,
    read_sleb128,
    read_uleb128,
    split_chunks,
    write_sleb128,
    write_uleb128,
)
from reliance.limits import DEFAULT_LIMITS

ACTOR_A = bytes(range(32))
ACTOR_B = bytes(range(100, 132))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------------------- real documents


def _put(doc: Document, **values: int | str) -> None:
    with doc.transaction() as tx:
        for key, value in values.items():
            if isinstance(value, int):
                tx.put(ROOT, key, ScalarType.Int, value)
            else:
                tx.put(ROOT, key, ScalarType.Str, value)


@functools.cache
def history() -> tuple[Document, Document]:
    """Two documents with a shared base, then concurrent edits (one of them big enough to be compressed)."""
    a = Document(ACTOR_A)
    _put(a, title="graines", count=1)
    with a.transaction() as tx:
        text = tx.put_object(ROOT, "text", ObjType.Text)
        for i, ch in enumerate("reliance"):
            tx.insert(text, i, ScalarType.Str, ch)
    b = a.fork()
    b.set_actor(ACTOR_B)
    _put(a, count=2)
    _put(b, offer="vélo")
    _put(b, big="x" * 2000, **{f"k{i}": "y" * i for i in range(60)})
    a.merge(b)
    _put(a, after_merge=3)
    return a, b


def all_changes() -> list[Any]:  # automerge Change objects (the class is not importable)
    a, _ = history()
    return list(a.get_changes([]))


Step = tuple[str, bytes]


def sync(
    x: Document,
    y: Document,
    *,
    x_first: bool = True,
    legacy_y: bool = False,
    rounds: int = 12,
) -> list[Step]:
    """Run Automerge's sync protocol between x and y in-process; return every message on the wire.

    With ``legacy_y``, y's messages are rewritten as v1 messages without capabilities (an old peer), so x
    answers with v1 messages carrying changes."""
    sx, sy = SyncState(), SyncState()
    wire_log: list[Step] = []

    def hop(src: Document, ss: SyncState, dst: Document, ds: SyncState, label: str) -> bool:
        msg = src.generate_sync_message(ss)
        if msg is None:
            return False
        data = msg.encode()
        if legacy_y and label == "y->x":
            data = encode_sync_message(
                dataclasses.replace(decode_sync_message(data), version=0x42, trailer=b"")
            )
        wire_log.append((label, data))
        dst.receive_sync_message(ds, Message.decode(data))
        return True

    for _ in range(rounds):
        moved = False
        if x_first:
            moved |= hop(x, sx, y, sy, "x->y")
            moved |= hop(y, sy, x, sx, "y->x")
        else:
            moved |= hop(y, sy, x, sx, "y->x")
            moved |= hop(x, sx, y, sy, "x->y")
        if not moved:
            break
    assert x.get_heads() == y.get_heads()
    return wire_log


@functools.cache
def scenarios() -> dict[str, list[Step]]:
    a, b = history()
    base = Document(ACTOR_A)
    _put(base, title="graines", count=1)
    left = base.fork()
    left.set_actor(ACTOR_B)
    _put(left, left=1)
    _put(base, right=2)
    return {
        "full_to_empty": sync(a.fork(), Document()),
        "empty_speaks_first": sync(a.fork(), Document(), x_first=False),
        "divergent": sync(base, left),
        "partial": sync(a.fork(), b.fork()),
        "legacy_peer": sync(a.fork(), Document(), legacy_y=True),
    }


def all_messages() -> list[bytes]:
    return [data for steps in scenarios().values() for _, data in steps]


# ------------------------------------------------------------------------------------------------- LEB128


@pytest.mark.parametrize(
    ("encoded", "value"),
    [
        (b"\x00", 0),
        (b"\x7f", 127),
        (b"\x80\x01", 128),
        (b"\xff\x7f", 16383),
        (b"\xff" * 9 + b"\x01", 2**64 - 1),
    ],
)
def test_uleb128_known_values(encoded: bytes, value: int) -> None:
    assert read_uleb128(encoded) == (value, len(encoded))
    assert write_uleb128(value) == encoded


@pytest.mark.parametrize(
    "encoded",
    [
        b"",
        b"\x80",
        b"\xff",
        b"\x81\x00",  # overlong
        b"\x80\x80\x00",  # overlong
        b"\xff" * 9 + b"\x02",  # 65 bits
        b"\x81" * 12,  # too many bytes
    ],
)
def test_uleb128_rejects(encoded: bytes) -> None:
    with pytest.raises(WireError):
        read_uleb128(encoded)


@pytest.mark.parametrize(
    ("encoded", "value"),
    [
        (b"\x00", 0),
        (b"\x7f", -1),
        (b"\x3f", 63),
        (b"\x40", -64),
        (b"\x80\x01", 128),
        (b"\xff\x3f", 8191),
        (b"\x80\x40", -8192),
        (b"\xff" * 9 + b"\x00", 2**63 - 1),
        (b"\x80" * 9 + b"\x7f", -(2**63)),
    ],
)
def test_sleb128_known_values(encoded: bytes, value: int) -> None:
    assert read_sleb128(encoded) == (value, len(encoded))
    assert write_sleb128(value) == encoded


@pytest.mark.parametrize(
    "encoded",
    [b"", b"\x90", b"\xbf\x00", b"\x81\xff\x7f", b"\xff" * 9 + b"\x01", b"\x80" * 9 + b"\x7e", b"\x81" * 12],
)
def test_sleb128_rejects(encoded: bytes) -> None:
    with pytest.raises(WireError):
        read_sleb128(encoded)


@pytest.mark.parametrize("value", [-1, 2**64, True, 1.0])
def test_write_uleb128_rejects_out_of_range(value: object) -> None:
    with pytest.raises(WireError):
        write_uleb128(value)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=2**64 - 1), st.binary(max_size=3))
def test_uleb128_roundtrip(value: int, suffix: bytes) -> None:
    encoded = write_uleb128(value)
    assert read_uleb128(encoded + suffix) == (value, len(encoded))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.binary(max_size=3))
def test_sleb128_roundtrip(value: int, suffix: bytes) -> None:
    encoded = write_sleb128(value)
    assert read_sleb128(encoded + suffix) == (value, len(encoded))


@given(st.binary(max_size=12))
def test_leb128_random_bytes_only_raise_wire_error(data: bytes) -> None:
    for reader in (read_uleb128, read_sleb128):
        try:
            value, end = reader(data)
        except WireError:
            continue
        # whatever is accepted is canonical
        writer = write_uleb128 if reader is read_uleb128 else write_sleb128
        assert writer(value) == data[:end]


# ------------------------------------------------------------------------------------------ sync messages


def test_real_messages_roundtrip_in_both_versions() -> None:
    messages = all_messages()
    versions = {data[0] for data in messages}
    assert versions == {0x42, 0x43}
    for data in messages:
        msg = decode_sync_message(data)
        assert encode_sync_message(msg) == data
        # automerge agrees the re-encoded bytes are the same message
        assert Message.decode(encode_sync_message(msg)).encode() == data


def test_first_message_fields() -> None:
    a, _ = history()
    label, data = scenarios()["full_to_empty"][0]
    msg = decode_sync_message(data)
    assert label == "x->y"
    assert msg.version == 0x42
    assert list(msg.heads) == a.get_heads()
    assert msg.need == ()
    assert len(msg.have) == 1 and msg.have[0].last_sync == ()
    assert msg.changes == ()
    assert msg.trailer == b"\x02\x01\x02"
    assert msg.capabilities == (1, 2)


def test_v2_carries_all_changes_in_one_entry_to_a_peer_that_spoke_second() -> None:
    hashes = {c.hash for c in all_changes()}
    carrying = [decode_sync_message(d) for _, d in scenarios()["full_to_empty"]]
    carrying = [m for m in carrying if m.changes]
    assert len(carrying) == 1
    msg = carrying[0]
    assert msg.version == 0x43
    assert len(msg.changes) == 1
    assert len(split_chunks(msg.changes[0])) == len(hashes)
    headers, documents = changes_in_message(msg, max_inflated=DEFAULT_LIMITS.max_change_bytes)
    assert documents == []
    assert {h.hash for h in headers} == hashes
    assert all(h.chunk[8] == 1 for h in headers)  # sync sends uncompressed chunks


def test_v2_sends_a_document_chunk_to_an_empty_peer_that_spoke_first() -> None:
    a, _ = history()
    steps = scenarios()["empty_speaks_first"]
    docs = []
    for label, data in steps:
        headers, documents = changes_in_message(decode_sync_message(data), max_inflated=1 << 24)
        if documents:
            assert label == "x->y"
            assert data[0] == 0x43
            assert headers == []
            docs.extend(documents)
    assert len(docs) == 1
    assert split_chunks(docs[0])[0].kind == "document"
    assert Document.load(docs[0]).get_heads() == a.get_heads()


def test_legacy_peer_gets_v1_messages_with_one_change_per_entry() -> None:
    hashes = {c.hash for c in all_changes()}
    seen: set[bytes] = set()
    for label, data in scenarios()["legacy_peer"]:
        msg = decode_sync_message(data)
        assert msg.version == 0x42
        if label == "x->y":
            for entry in msg.changes:
                assert len(split_chunks(entry)) == 1
            headers, _ = changes_in_message(msg, max_inflated=1 << 24)
            seen.update(h.hash for h in headers)
    assert seen == hashes


def test_messages_list_changes_before_applying() -> None:
    _, b = history()
    by_hash = {c.hash: c for c in all_changes()}
    needed = set(by_hash) - {c.hash for c in b.get_changes([])}
    carried: set[bytes] = set()
    for label, data in scenarios()["partial"]:
        headers, documents = changes_in_message(decode_sync_message(data), max_inflated=1 << 24)
        assert documents == []
        if label == "x->y":
            carried.update(h.hash for h in headers)
        for h in headers:
            assert h.deps == tuple(by_hash[h.hash].deps)
    assert needed <= carried


def test_have_and_bloom_of_real_messages() -> None:
    blooms = [have for data in all_messages() for have in decode_sync_message(data).have if have.bloom]
    assert blooms
    for have in blooms:
        n, pos = read_uleb128(have.bloom)
        bits, pos = read_uleb128(have.bloom, pos)
        probes, pos = read_uleb128(have.bloom, pos)
        assert (bits, probes) == (10, 7)
        assert len(have.bloom) - pos == (n * bits + 7) // 8


def test_encode_validates_fields() -> None:
    good = SyncMessage(version=0x42, heads=(), need=(), have=(), changes=())
    assert encode_sync_message(good) == b"\x42\x00\x00\x00\x00"
    bad = [
        dataclasses.replace(good, version=0x44),
        dataclasses.replace(good, heads=(b"short",)),
        dataclasses.replace(good, need=(b"\x00" * 33,)),
        dataclasses.replace(good, have=(Have(last_sync=(b"x",), bloom=b""),)),
        dataclasses.replace(good, have=(Have(last_sync=(), bloom=b"\x01\x00\x07\x00"),)),
        dataclasses.replace(good, changes=("text",)),  # type: ignore[arg-type]
        dataclasses.replace(good, trailer=b"\x05"),
    ]
    for msg in bad:
        with pytest.raises(WireError):
            encode_sync_message(msg)


# ---------------------------------------------------------------------------------------------- changes


def test_change_headers_match_automerge() -> None:
    changes = all_changes()
    assert len(changes) >= 6
    assert any(len(c.deps) > 1 for c in changes)
    kinds = set()
    for c in changes:
        # the binding's Change.bytes is the stored form (deflated above 256 bytes), raw_bytes is uncompressed
        for data in (c.bytes, c.raw_bytes):
            (chunk,) = split_chunks(data)
            kinds.add(chunk.kind)
            header = parse_change(data)
            assert header == parse_change(chunk)
            assert header.hash == c.hash
            assert header.deps == tuple(c.deps)
            assert header.actor == c.actor_id
            assert header.seq == c.seq
            assert header.start_op == c.start_op
            assert header.message == c.message
            assert datetime(1970, 1, 1) + timedelta(milliseconds=header.time) == c.timestamp
            assert header.chunk == data
            assert chunk.checksum == c.hash[:4]
        assert split_chunks(c.raw_bytes)[0].kind == "change"
        assert split_chunks(c.bytes)[0].uncompressed() == c.raw_bytes
    assert kinds == {"change", "compressed"}


def test_compressed_change_hash_is_the_uncompressed_chunk_hash() -> None:
    big = [c for c in all_changes() if c.bytes != c.raw_bytes]
    assert big, "expected automerge to deflate the big change"
    for c in big:
        (chunk,) = split_chunks(c.bytes)
        assert chunk.kind == "compressed"
        assert c.bytes[8] == 2 and c.raw_bytes[8] == 1
        assert len(c.bytes) < len(c.raw_bytes)
        # hash = SHA-256(0x01 + uleb(len(inflated)) + inflated) and the compressed header holds its checksum
        assert chunk.inflated is not None
        expected = hashlib.sha256(b"\x01" + write_uleb128(len(chunk.inflated)) + chunk.inflated).digest()
        assert expected == c.hash == chunk.hash
        assert hashlib.sha256(c.raw_bytes[8:]).digest() == c.hash
        assert c.bytes[4:8] == c.raw_bytes[4:8] == c.hash[:4]
        # raw deflate, not zlib-wrapped
        assert zlib.decompress(chunk.body, wbits=-15) == chunk.inflated


def test_document_chunk_checksum_is_verified() -> None:
    a, _ = history()
    saved = a.save()
    (chunk,) = split_chunks(saved)
    assert chunk.kind == "document"
    assert chunk.hash == wire.chunk_hash("document", chunk.body)
    assert build_chunk("document", chunk.body) == saved
    with pytest.raises(WireError, match="document chunk"):
        parse_change(saved)


def _rewrite_header(body: bytes, *, time: int, message: str) -> bytes:
    """Replace time and message in a change body, keeping every other byte."""
    pos = 0
    n, pos = read_uleb128(body, pos)
    pos += 32 * n
    n, pos = read_uleb128(body, pos)
    pos += n
    _, pos = read_uleb128(body, pos)  # seq
    _, pos = read_uleb128(body, pos)  # start op
    prefix = body[:pos]
    _, pos = read_sleb128(body, pos)
    n, pos = read_uleb128(body, pos)
    encoded = message.encode()
    return prefix + write_sleb128(time) + write_uleb128(len(encoded)) + encoded + body[pos + n :]


@pytest.mark.parametrize(("time", "message"), [(1_700_000_000_123, "une graine 🌱"), (-5_000, ""), (0, "m")])
def test_field_order_against_a_change_with_time_and_message(time: int, message: str) -> None:
    source = Document(ACTOR_A)
    _put(source, key="value")
    (original,) = source.get_changes([])
    body = split_chunks(original.raw_bytes)[0].body
    chunk = build_chunk("change", _rewrite_header(body, time=time, message=message))
    header = parse_change(chunk)
    assert header.time == time
    assert header.message == (message or None)

    target = Document()
    target.receive_sync_message(SyncState(), Message.decode(apply_message([chunk])))
    (applied,) = target.get_changes([])
    assert applied.hash == header.hash
    assert applied.message == header.message
    assert applied.timestamp == datetime(1970, 1, 1) + timedelta(milliseconds=time)
    assert applied.actor_id == header.actor == ACTOR_A
    assert target.get(ROOT, "key") is not None


# ------------------------------------------------------------------------------------------ apply_message


def test_apply_message_applies_changes() -> None:
    a, _ = history()
    changes = all_changes()
    data = apply_message([c.bytes for c in changes])  # compressed and plain chunks mixed
    msg = decode_sync_message(data)
    assert msg == SyncMessage(
        version=0x42, heads=(), need=(), have=(), changes=tuple(c.bytes for c in changes)
    )
    target = Document()
    target.receive_sync_message(SyncState(), Message.decode(data))
    assert target.get_heads() == a.get_heads()
    text = target.get(ROOT, "text")
    offer = target.get(ROOT, "offer")
    assert text is not None and offer is not None
    assert target.text(text[1]) == "reliance"
    assert offer[0] == (ScalarType.Str, "vélo")


def test_apply_message_one_change_at_a_time_in_causal_order() -> None:
    a, _ = history()
    target = Document()
    for c in all_changes():
        target.receive_sync_message(SyncState(), Message.decode(apply_message([c.raw_bytes])))
        assert c.hash in target.get_heads()
    assert target.get_heads() == a.get_heads()


@pytest.mark.parametrize("version", [0x42, 0x43])
def test_automerge_applies_every_chunk_of_an_entry(version: int) -> None:
    """So changes_in_message must list (and reliance verify) every chunk of every entry."""
    a, _ = history()
    entry = b"".join(c.raw_bytes for c in all_changes())
    msg = SyncMessage(version=version, heads=(), need=(), have=(), changes=(entry,))
    headers, _ = changes_in_message(msg, max_inflated=1 << 24)
    target = Document()
    target.receive_sync_message(SyncState(), Message.decode(encode_sync_message(msg)))
    assert {c.hash for c in target.get_changes([])} == {h.hash for h in headers}
    assert target.get_heads() == a.get_heads()


def test_apply_message_rejects_bad_input() -> None:
    with pytest.raises(WireError):
        apply_message(b"\x85\x6f\x4a\x83")  # type: ignore[arg-type]
    with pytest.raises(WireError):
        apply_message([b""])
    assert apply_message([]) == b"\x42\x00\x00\x00\x00"


# ------------------------------------------------------------------------------------------ hostile input


def test_oversized_message_is_rejected_before_parsing() -> None:
    with pytest.raises(WireError, match="too large"):
        decode_sync_message(b"\xff" * 101, max_bytes=100)  # garbage, but the size is what is reported
    data = all_messages()[0]
    with pytest.raises(WireError, match="too large"):
        decode_sync_message(data, max_bytes=len(data) - 1)
    assert decode_sync_message(data, max_bytes=len(data)).version == data[0]


def test_counts_are_checked_against_remaining_length_and_limit() -> None:
    with pytest.raises(WireError, match="too many heads"):
        decode_sync_message(b"\x42" + write_uleb128(2**40) + b"\x00" * 64)
    with pytest.raises(WireError, match="exceeds the remaining"):
        decode_sync_message(b"\x42" + write_uleb128(1000) + b"\x00" * 64)
    changes_count_too_big = b"\x42\x00\x00\x00" + write_uleb128(50) + b"\x01\x00" * 10
    with pytest.raises(WireError, match="exceeds the remaining"):
        decode_sync_message(changes_count_too_big)
    two_heads = b"\x42\x02" + b"\x01" * 64 + b"\x00\x00\x00"
    assert len(decode_sync_message(two_heads).heads) == 2
    with pytest.raises(WireError, match="too many heads"):
        decode_sync_message(two_heads, max_entries=1)
    with pytest.raises(WireError, match="exceeds the remaining"):
        decode_sync_message(b"\x42\x01" + b"\x01" * 31)
    with pytest.raises(WireError, match="truncated change entry"):
        decode_sync_message(b"\x42\x00\x00\x00\x01\x05ab")
    with pytest.raises(WireError, match="not a sync message"):
        decode_sync_message(b"\x41\x00\x00\x00\x00")
    with pytest.raises(WireError):
        decode_sync_message(b"")
    with pytest.raises(WireError):
        decode_sync_message("text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bloom",
    [
        b"\x01\x00\x07",  # zero bits per entry: automerge would divide by zero
        b"\x01\x0a\x00\x00\x00",  # zero probes
        b"\x01\x0a\xff\xff\xff\xff\x0f\x00\x00",  # four billion probes
        b"\x00\x0a\x07",  # zero entries must be written as an empty filter
        b"\x02\x0a\x07\x00\x00",  # bits too short
        b"\x02\x0a\x07\x00\x00\x00\x00",  # bits too long
        b"\x02\x0a",  # truncated header
    ],
)
def test_unusable_bloom_filters_are_rejected(bloom: bytes) -> None:
    data = b"\x43\x00\x00\x01\x00" + write_uleb128(len(bloom)) + bloom + b"\x00"
    with pytest.raises(WireError):
        decode_sync_message(data)


def test_trailer_must_start_like_capabilities() -> None:
    base = b"\x42\x00\x00\x00\x00"
    assert decode_sync_message(base + b"\x01\x02").capabilities == (2,)
    assert (
        decode_sync_message(base + b"\x01\x02\x09").trailer == b"\x01\x02\x09"
    )  # automerge ignores the rest
    for trailer in (b"\x05\x01", b"\xff"):
        with pytest.raises(WireError):
            decode_sync_message(base + trailer)


def _compressed_chunk(inflated: bytes, *, checksum: bytes | None = None) -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = deflater.compress(inflated) + deflater.flush()
    if checksum is None:
        checksum = wire.chunk_hash("change", inflated)[:4]
    return wire.CHUNK_MAGIC + checksum + b"\x02" + write_uleb128(len(body)) + body


def test_deflate_bomb_is_stopped_at_the_cap() -> None:
    bomb = _compressed_chunk(b"\x00" * (DEFAULT_LIMITS.max_change_bytes + 1))
    assert len(bomb) < 40_000
    with pytest.raises(WireError, match="inflates beyond"):
        split_chunks(bomb)
    with pytest.raises(WireError, match="inflates beyond"):
        parse_change(bomb)
    msg = decode_sync_message(apply_message([bomb]))
    with pytest.raises(WireError, match="inflates beyond"):
        changes_in_message(msg, max_inflated=DEFAULT_LIMITS.max_change_bytes)


def test_inflate_cap_applies_to_real_changes_and_to_a_whole_message() -> None:
    big = next(c for c in all_changes() if c.bytes != c.raw_bytes)
    size = len(split_chunks(big.bytes)[0].change_body)
    assert parse_change(big.bytes, max_inflated=size).hash == big.hash
    with pytest.raises(WireError, match="inflates beyond"):
        parse_change(big.bytes, max_inflated=size - 1)
    with pytest.raises(WireError, match="inflates beyond"):
        parse_change(split_chunks(big.bytes)[0], max_inflated=size - 1)
    msg = decode_sync_message(apply_message([big.bytes, big.bytes]))
    assert len(changes_in_message(msg, max_inflated=2 * size)[0]) == 2
    with pytest.raises(WireError, match="inflates beyond"):
        changes_in_message(msg, max_inflated=2 * size - 1)


def test_malformed_chunks() -> None:
    c = all_changes()[0].raw_bytes
    big = next(c for c in all_changes() if c.bytes != c.raw_bytes).bytes
    cases: dict[str, bytes] = {
        "bad magic": b"\x85\x6f\x4a\x84" + c[4:],
        "checksum": c[:4] + bytes([c[4] ^ 1]) + c[5:],
        "compressed checksum": big[:4] + bytes([big[4] ^ 1]) + big[5:],
        "unknown chunk type": c[:8] + b"\x03" + c[9:],
        "truncated": c[:-1],
        "trailing bytes": c + b"\x85",
        "truncated deflate": _compressed_chunk(b"\x00" * 1000)[:-3],
        "invalid deflate": wire.CHUNK_MAGIC + b"\x00\x00\x00\x00\x02\x02\xff\xff",
        "empty": b"",
    }
    for data in cases.values():
        with pytest.raises(WireError):
            split_chunks(data)
        with pytest.raises(WireError):
            parse_change(data)
    with pytest.raises(WireError, match="one change chunk"):
        parse_change(c + c)
    assert [ch.hash for ch in split_chunks(c + big)] == [all_changes()[0].hash, split_chunks(big)[0].hash]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x01" + b"\x00" * 31,  # dep truncated
        b"\x00\x00\x01\x01\x00\x00",  # empty actor
        b"\x00\x01\xaa\x01\x00\x00\x00",  # start op zero
        b"\x00\x01\xaa\x01\x01\x00\x02\xc3\x28",  # invalid UTF-8 message
        b"\x00\x01\xaa\x01\x01\x00\x05ab",  # message truncated
        b"\x00\x01\xaa\x01\x01\x80\x00\x00",  # overlong time
    ],
)
def test_malformed_change_bodies(body: bytes) -> None:
    with pytest.raises(WireError):
        parse_change(build_chunk("change", body))
    with pytest.raises(WireError):
        parse_change(_compressed_chunk(body))


def _only_wire_errors(action: Callable[[], object]) -> None:
    with contextlib.suppress(WireError):
        action()


def _decode_all(data: bytes) -> None:
    msg = decode_sync_message(data)
    assert encode_sync_message(msg) == data
    headers, documents = changes_in_message(msg, max_inflated=1 << 22)
    assert all(isinstance(h, ChangeHeader) for h in headers)
    assert all(isinstance(d, bytes) for d in documents)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_wire_error(data: bytes) -> None:
    _only_wire_errors(lambda: _decode_all(data))
    _only_wire_errors(lambda: _decode_all(b"\x42" + data))
    _only_wire_errors(lambda: _decode_all(b"\x43" + data))
    _only_wire_errors(lambda: split_chunks(wire.CHUNK_MAGIC + data))
    _only_wire_errors(lambda: parse_change(wire.CHUNK_MAGIC + data))
    _only_wire_errors(lambda: parse_change(build_chunk("change", data)))
    _only_wire_errors(lambda: parse_change(_compressed_chunk(data)))


@st.composite
def mutated(draw: st.DrawFn, corpus: Callable[[], list[bytes]]) -> bytes:
    items = corpus()
    data = bytearray(items[draw(st.integers(0, len(items) - 1))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
    return bytes(data)


@FAST
@given(mutated(all_messages))
def test_mutated_real_messages_only_raise_wire_error(data: bytes) -> None:
    try:
        _decode_all(data)
    except WireError:
        return
    Message.decode(data)  # never more lenient than automerge's own decoder


def _change_bodies() -> list[bytes]:
    return [split_chunks(c.raw_bytes)[0].body for c in all_changes()]


@FAST
@given(mutated(_change_bodies), st.booleans())
def test_mutated_change_bodies_with_valid_checksums_only_raise_wire_error(
    body: bytes, compress: bool
) -> None:
    chunk = _compressed_chunk(body) if compress else build_chunk("change", body)
    try:
        header = parse_change(chunk)
    except WireError:
        return
    assert header.hash == hashlib.sha256(b"\x01" + write_uleb128(len(body)) + body).digest()


@FAST
@given(st.integers(0, 10_000), st.data())
def test_every_truncation_of_a_real_message_is_rejected(cut: int, data: st.DataObject) -> None:
    messages = [m for m in all_messages() if len(m) > 40]
    message = messages[data.draw(st.integers(0, len(messages) - 1))]
    cut %= len(message)
    truncated = message[:cut]
    try:
        msg = decode_sync_message(truncated)
    except WireError:
        return
    # a cut can only succeed where the message ends on a boundary that still parses; then it lost fields
    assert encode_sync_message(msg) == truncated


@pytest.mark.parametrize("length", [1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000])
def test_a_change_entry_length_is_written_as_its_canonical_uleb128(length: int) -> None:
    """The lengths of change entries are written inline up to two bytes: the same bytes as `write_uleb128`."""
    entry = bytes([length % 251]) * length
    message = SyncMessage(version=wire.MESSAGE_V1, heads=(), need=(), have=(), changes=(entry, b"x"))
    encoded = encode_sync_message(message)
    assert encoded == bytes([wire.MESSAGE_V1, 0, 0, 0, 2]) + write_uleb128(length) + entry + b"\x01x"
    assert decode_sync_message(encoded, max_bytes=len(encoded)) == message
