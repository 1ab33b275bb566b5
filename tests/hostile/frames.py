"""Hostile variants of every frame type of the sync protocol (see the package's docstring).

Each variant is a list of frames a hostile peer sends to the victim's `Session`, after an optional
honest prelude; and what must come of it:

- REFUSED: the session refuses with a reason (a `BatchRefused` event and a `reject` frame carrying it);
- HARMLESS: nothing is refused necessarily, nothing changes (a replay, an unknown frame type);
- PEER_REFUSED: a `reject` from the peer: reported as `RefusedByPeer`, with a bounded reason;
- EITHER: one of REFUSED and PEER_REFUSED (a malformed `reject`).

Whatever the expectation: no exception escapes `Session.receive`, no frame costs more than
`MAX_CPU_SECONDS` or more than a small multiple of its size in memory, no document changes (the batch is
refused whole), and every document still reopens, compacts and reopens with the same heads.
"""

from __future__ import annotations

import dataclasses
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgpack

from reliance.automerge import wire
from tests.fuzz.seeds import Seeds
from tests.fuzz.targets import inflated_body
from tests.sync.hostile import find_panic_change


class Category(StrEnum):
    WRONG_TYPE = "wrong type"
    MISSING_FIELD = "missing field"
    OVERSIZE = "oversize"
    TRUNCATED = "truncated"
    RANDOM_BYTES = "random bytes"
    REPLAY = "replay"
    HUGE_COUNT = "huge count"


class Expect(StrEnum):
    REFUSED = "refused"
    HARMLESS = "harmless"
    PEER_REFUSED = "peer refused"
    EITHER = "refused, by us or by the peer"  # a malformed `reject`: taken as one, or refused itself


MAX_CPU_SECONDS = 2.0  # one peer's frame must not hold the single sync thread longer (memory traced: ~2x)
MEMORY_FACTOR = 16  # traced memory while handling a frame: at most this times its size...
MEMORY_SLACK = 8 * 1024 * 1024  # ...plus this
MAX_REPORTED_REASON = 4096  # characters of a peer's reason kept in an event


def pack(value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def unpack(frame: bytes) -> Any:
    return msgpack.unpackb(frame, raw=False)


@dataclass(frozen=True)
class Variant:
    frame_type: str
    category: Category
    name: str
    frames: Callable[[Seeds], list[bytes]]
    expect: Expect = Expect.REFUSED
    prelude: Callable[[Seeds], list[bytes]] = lambda seeds: []
    max_frame: int | None = None  # the session's frame limit, when the variant is about it
    known: str | None = None  # the item, while this variant still fails because of it

    @property
    def id(self) -> str:
        return f"{self.frame_type}/{self.category.value.replace(' ', '-')}/{self.name}"


@dataclass(frozen=True)
class FrameSpec:
    """A frame type: a real sample, which fields it requires, and what its variants expect."""

    frame_type: str
    sample: Callable[[Seeds], dict[str, Any]]
    on_bad_field: Expect = Expect.REFUSED  # what a missing or mistyped field (other than `t`) brings
    not_applicable: dict[Category, str] = field(default_factory=dict)  # category -> why none
    extra: Callable[[], list[Variant]] = lambda: []
    known: dict[str, str] = field(default_factory=dict)  # derived variant's name -> the item it awaits


# -- samples: real frames of each type, as the seeds recorded them ------------------------------------------


def _recorded(seeds: Seeds, frame_type: str, carrying_changes: bool = False) -> dict[str, Any]:
    for frame in seeds.frames_to_victim:
        decoded = unpack(frame)
        if decoded["t"] != frame_type:
            continue
        if carrying_changes and not wire.decode_sync_message(decoded["m"]).changes:
            continue
        return dict(decoded)
    raise LookupError(frame_type)


def sample_digest(seeds: Seeds) -> dict[str, Any]:
    return _recorded(seeds, "digest")


def sample_summary(seeds: Seeds) -> dict[str, Any]:
    return _recorded(seeds, "summary")


def sample_sync(seeds: Seeds) -> dict[str, Any]:
    return _recorded(seeds, "sync", carrying_changes=True)


def sample_reject(seeds: Seeds) -> dict[str, Any]:
    return {"t": "reject", "reason": "forged signature on change 0123456789ab"}


# -- variants derived from the sample ----------------------------------------------------------------------

WRONG_VALUES: dict[str, Any] = {
    "nil": None,
    "bool": True,
    "negative": -1,
    "u64": (1 << 64) - 1,
    "float": 1.5,
    "str": "text",
    "bin": b"bytes",
    "array": [],
    "map": {},
}


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return type(a) is type(b) or (isinstance(a, int) and isinstance(b, int))


def _with(spec: FrameSpec, edit: Callable[[dict[str, Any]], None]) -> Callable[[Seeds], list[bytes]]:
    def frames(seeds: Seeds) -> list[bytes]:
        frame = dict(spec.sample(seeds))
        edit(frame)
        return [pack(frame)]

    return frames


def derived(spec: FrameSpec, seeds: Seeds) -> list[Variant]:
    """Variants every frame type gets from its sample: each field missing, each field of each other
    type, truncations, random bytes, a replay, oversized fields and an oversized frame."""
    sample = spec.sample(seeds)
    out: list[Variant] = []
    t = spec.frame_type
    for key in sample:
        expect = Expect.REFUSED if key == "t" else spec.on_bad_field

        def drop(frame: dict[str, Any], key: str = key) -> None:
            del frame[key]

        out.append(Variant(t, Category.MISSING_FIELD, f"no-{key}", _with(spec, drop), expect))
        for label, value in WRONG_VALUES.items():
            if _same_kind(value, sample[key]):
                continue
            # A `t` of another text is a frame type this node does not know: ignored, for newer peers.
            expected = Expect.HARMLESS if key == "t" and isinstance(value, str) else expect

            def put(frame: dict[str, Any], key: str = key, value: Any = value) -> None:
                frame[key] = value

            out.append(Variant(t, Category.WRONG_TYPE, f"{key}-{label}", _with(spec, put), expected))
        if isinstance(sample[key], bytes | str) and key != "t":
            big: Any = b"\x01" * (8 << 20) if isinstance(sample[key], bytes) else "x" * (8 << 20)

            def grow(frame: dict[str, Any], key: str = key, big: Any = big) -> None:
                frame[key] = big

            out.append(Variant(t, Category.OVERSIZE, f"{key}-8MiB", _with(spec, grow), spec.on_bad_field))

    def packed(seeds: Seeds) -> bytes:
        return pack(spec.sample(seeds))

    def cut_at(where: Callable[[int], int]) -> Callable[[Seeds], list[bytes]]:
        return lambda seeds: [packed(seeds)[: where(len(packed(seeds)))]]

    cuts: dict[str, Callable[[int], int]] = {
        "first-byte": lambda n: 1,
        "half": lambda n: n // 2,
        "last-byte": lambda n: n - 1,
    }
    for label, where in cuts.items():
        out.append(Variant(t, Category.TRUNCATED, label, cut_at(where)))
    rng = random.Random(f"hostile:{t}")
    noise = rng.randbytes(200)
    out.append(Variant(t, Category.RANDOM_BYTES, "never-msgpack", lambda seeds: [b"\xc1" + noise]))
    out.append(
        Variant(
            t,
            Category.RANDOM_BYTES,
            "body-replaced",
            lambda seeds: [packed(seeds)[:6] + b"\xc1" + noise[: len(packed(seeds)) - 7]],
        )
    )
    out.append(
        Variant(
            t,
            Category.REPLAY,
            "twice",
            lambda seeds: [packed(seeds)],
            Expect.PEER_REFUSED if t == "reject" else Expect.HARMLESS,
            prelude=lambda seeds: [packed(seeds)],
        )
    )
    out.append(
        Variant(
            t,
            Category.OVERSIZE,
            "frame-over-limit",
            _with(spec, lambda frame: frame.__setitem__("padding", b"\0" * 5000)),
            max_frame=4096,
        )
    )
    return out


def variants(spec: FrameSpec, seeds: Seeds) -> list[Variant]:
    out = [dataclasses.replace(v, known=spec.known.get(v.name, v.known)) for v in derived(spec, seeds)]
    return out + spec.extra()


# -- variants written by hand --------------------------------------------------------------------------------


def _sync_frame(doc_id: str, chunks: list[bytes], signatures: list[list[bytes]], heads: list[bytes]) -> bytes:
    message = wire.SyncMessage(wire.MESSAGE_V1, tuple(heads), (), (), tuple(chunks))
    return pack({"t": "sync", "d": doc_id, "m": wire.encode_sync_message(message), "s": signatures})


def _signed_frame(seeds: Seeds, name: str, doc: str, chunk: bytes) -> bytes:
    change_hash = wire.parse_change(chunk).hash
    return _sync_frame(
        seeds.docs[doc], [chunk], [[change_hash, seeds.key(name).sign(change_hash)]], [change_hash]
    )


def _history(seeds: Seeds, doc: str) -> list[tuple[bytes, bytes | None]]:
    return seeds.histories[seeds.docs[doc]]


def _stranger_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)


def _new_change(seeds: Seeds, doc: str, index: int) -> tuple[bytes, bytes | None]:
    """A change of `doc` the victim lacks (its prefix ends before `index`)."""
    history = _history(seeds, doc)
    assert index >= seeds.victim[seeds.docs[doc]], "the victim already holds that change"
    return history[index]


def sync_extra() -> list[Variant]:
    t = "sync"

    def forged(seeds: Seeds) -> list[bytes]:
        chunk, _ = _new_change(seeds, "project", 5)
        change_hash = wire.parse_change(chunk).hash
        return [
            _sync_frame(
                seeds.docs["project"],
                [chunk],
                [[change_hash, _stranger_key().sign(change_hash)]],
                [change_hash],
            )
        ]

    def unsigned(seeds: Seeds) -> list[bytes]:
        chunk, _ = _new_change(seeds, "project", 5)
        return [_sync_frame(seeds.docs["project"], [chunk], [], [wire.parse_change(chunk).hash])]

    def tampered(seeds: Seeds) -> list[bytes]:
        chunk, signature = _new_change(seeds, "project", 6)
        body = bytearray(inflated_body(chunk))
        body[-2] ^= 0x01
        tampered_chunk = wire.build_chunk("change", bytes(body))
        original = wire.parse_change(chunk).hash
        assert signature is not None
        return [_sync_frame(seeds.docs["project"], [tampered_chunk], [[original, signature]], [original])]

    def into_someone_elses_document(seeds: Seeds) -> list[bytes]:
        """Mallory signs a change of her own and sends it as part of Bob's participant document."""
        chunk, _ = _history(seeds, "mallory")[1]
        return [_signed_frame(seeds, "mallory", "bob", chunk)]

    def dependency_nobody_has(seeds: Seeds) -> list[bytes]:
        """A stranger's change whose dependency never comes, for a document nobody authorises."""
        body = bytearray(inflated_body(_history(seeds, "mallory")[2][0]))
        key = _stranger_key()
        actor = key.public_key().public_bytes_raw()
        from reliance.identity import encode_peer_id

        header_deps = 1 + 32  # one dependency, kept: it is one the victim lacks
        old_actor = seeds.public("mallory")
        at = body.index(old_actor, header_deps)
        body[at : at + 32] = actor
        chunk = wire.build_chunk("change", bytes(body))
        change_hash = wire.parse_change(chunk).hash
        return [
            _sync_frame(encode_peer_id(actor), [chunk], [[change_hash, key.sign(change_hash)]], [change_hash])
        ]

    def inflating_bomb(seeds: Seeds) -> list[bytes]:
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = deflater.compress(bytes(300 << 20)) + deflater.flush()
        bomb = wire.CHUNK_MAGIC + b"\0\0\0\0" + b"\x02" + wire.write_uleb128(len(body)) + body
        return [_sync_frame(seeds.docs["project"], [bomb], [], [])]

    def panicking_change(seeds: Seeds) -> list[bytes]:
        case = find_panic_change()
        return [
            _sync_frame(
                case.doc_id, [case.panic], [list(case.sign(case.panic))], [wire.parse_change(case.panic).hash]
            )
        ]

    def panic_base(seeds: Seeds) -> list[bytes]:
        case = find_panic_change()
        return [
            _sync_frame(
                case.doc_id,
                case.base,
                [list(case.sign(case.base[-1]))],
                [wire.parse_change(case.base[-1]).hash],
            )
        ]

    def non_canonical(seeds: Seeds) -> list[bytes]:
        """Mallory's own change with one byte of its operations changed, its checksum fixed, signed by
        her: the encoding automerge re-writes differently at the next save (found by tests/fuzz)."""
        chunk, _ = _history(seeds, "mallory")[2]
        body = bytearray(inflated_body(chunk))
        assert body[94] == 0x7F
        body[94] = 0x81
        return [_signed_frame(seeds, "mallory", "mallory", wire.build_chunk("change", bytes(body)))]

    def mallory_base(seeds: Seeds) -> list[bytes]:
        history = _history(seeds, "mallory")[:2]
        last, signature = wire.parse_change(history[-1][0]).hash, history[-1][1]
        assert signature is not None
        return [_sync_frame(seeds.docs["mallory"], [c for c, _ in history], [[last, signature]], [last])]

    def id_with_newline(seeds: Seeds) -> list[bytes]:
        frame = unpack(seeds.frames_to_victim[-1])
        frame["d"] += "\n"
        return [pack(frame)]

    def huge_counts(seeds: Seeds) -> list[bytes]:
        message = b"\x42" + wire.write_uleb128((1 << 63) - 1)  # heads: 2**63 - 1 hashes announced
        return [pack({"t": "sync", "d": seeds.docs["project"], "m": message, "s": []})]

    def many_signatures(seeds: Seeds) -> list[bytes]:
        frame = dict(sample_sync(seeds))
        frame["s"] = [[bytes(32), bytes(64)]] * 20_000
        return [pack(frame)]

    def odd_bloom(seeds: Seeds) -> list[bytes]:
        bloom = wire.write_uleb128(1) + wire.write_uleb128(0) + wire.write_uleb128(7)  # zero bits per entry
        message = bytes([0x42, 0, 0, 1, 0]) + wire.write_uleb128(len(bloom)) + bloom + b"\x00"
        return [pack({"t": "sync", "d": seeds.docs["project"], "m": message, "s": []})]

    def claims(seeds: Seeds) -> list[bytes]:
        """Heads and needs nobody has, a full Bloom filter: a peer lying about its state."""
        rng = random.Random("claims")
        lies = tuple(rng.randbytes(32) for _ in range(200))
        bloom = wire.write_uleb128(1000) + wire.write_uleb128(10) + wire.write_uleb128(7) + b"\xff" * 1250
        message = wire.SyncMessage(wire.MESSAGE_V2, lies, lies, (wire.Have(lies[:3], bloom),), ())
        return [
            pack({"t": "sync", "d": doc_id, "m": wire.encode_sync_message(message), "s": []})
            for doc_id in seeds.docs.values()
        ]

    return [
        Variant(t, Category.WRONG_TYPE, "forged-signature", forged),
        Variant(t, Category.MISSING_FIELD, "unsigned-change", unsigned),
        Variant(t, Category.WRONG_TYPE, "tampered-change-checksum-fixed", tampered),
        Variant(t, Category.WRONG_TYPE, "change-in-someone-elses-document", into_someone_elses_document),
        # Issue 9 item 6: nothing is stored for a document nothing authorises (nor refused: an honest peer
        # may send a change before its dependencies).
        Variant(t, Category.MISSING_FIELD, "dependency-nobody-has", dependency_nobody_has, Expect.HARMLESS),
        Variant(t, Category.OVERSIZE, "inflates-to-300MiB", inflating_bomb),  # issue 9 item 8
        Variant(t, Category.WRONG_TYPE, "panics-automerge", panicking_change, prelude=panic_base),
        Variant(  # issue 9 item 2
            t, Category.WRONG_TYPE, "non-canonical-change-re-signed", non_canonical, prelude=mallory_base
        ),
        Variant(t, Category.WRONG_TYPE, "document-id-with-newline", id_with_newline),  # issue 9 item 17
        Variant(t, Category.HUGE_COUNT, "heads-count-2^63", huge_counts),
        Variant(t, Category.HUGE_COUNT, "20000-signatures", many_signatures, Expect.HARMLESS),
        Variant(t, Category.WRONG_TYPE, "bloom-zero-bits", odd_bloom),
        Variant(t, Category.WRONG_TYPE, "lies-about-heads-needs-and-bloom", claims, Expect.HARMLESS),
    ]


def summary_extra() -> list[Variant]:
    t = "summary"

    def unknown_ids(count: int) -> Callable[[Seeds], list[bytes]]:
        def frames(seeds: Seeds) -> list[bytes]:
            return [pack({"t": t, "docs": [[f"pj{i:032x}", bytes(8)] for i in range(count)]})]

        return frames

    def empty_maps(seeds: Seeds) -> list[bytes]:
        return [b"\x82\xa1t\xa7summary\xa4docs\xdd" + (1 << 20).to_bytes(4, "big") + b"\x80" * (1 << 20)]

    def claimed_count(seeds: Seeds) -> list[bytes]:
        return [b"\x82\xa1t\xa7summary\xa4docs\xdd\xff\xff\xff\xff"]

    def bad_check_characters(seeds: Seeds) -> list[bytes]:
        return [pack({"t": t, "docs": [["rl" + "a" * 56, bytes(8)]]})]

    def id_with_newline(seeds: Seeds) -> list[bytes]:
        return [pack({"t": t, "docs": [[seeds.docs["project"] + "\n", bytes(8)]]})]

    def long_digests(seeds: Seeds) -> list[bytes]:
        return [pack({"t": t, "docs": [[doc_id, b"\x01" * (1 << 20)] for doc_id in seeds.docs.values()]})]

    return [
        # As many unknown ids as a summary may list, then one more (issue 9 item 9: none may stall the node).
        Variant(t, Category.HUGE_COUNT, "10000-unknown-ids", unknown_ids(10_000), Expect.HARMLESS),
        Variant(t, Category.HUGE_COUNT, "10001-unknown-ids", unknown_ids(10_001), Expect.HARMLESS),
        Variant(t, Category.HUGE_COUNT, "million-empty-maps", empty_maps),  # issue 9 item 7
        Variant(t, Category.HUGE_COUNT, "count-2^32-claimed", claimed_count),
        Variant(t, Category.WRONG_TYPE, "peer-id-check-characters", bad_check_characters),
        Variant(t, Category.WRONG_TYPE, "document-id-with-newline", id_with_newline),  # issue 9 item 17
        Variant(t, Category.OVERSIZE, "1MiB-heads-digests", long_digests, Expect.HARMLESS),
    ]


def reject_extra() -> list[Variant]:
    t = "reject"

    def escape_codes(seeds: Seeds) -> list[bytes]:
        return [pack({"t": t, "reason": "\x1b[2J\x1b]52;c;ZWNobyBoaQ==\x07refused"})]

    return [Variant(t, Category.WRONG_TYPE, "escape-codes", escape_codes, Expect.PEER_REFUSED)]


SPECS: dict[str, FrameSpec] = {
    spec.frame_type: spec
    for spec in (
        FrameSpec("digest", sample_digest, not_applicable={Category.HUGE_COUNT: "a digest holds no list"}),
        FrameSpec("summary", sample_summary, extra=summary_extra),
        FrameSpec("sync", sample_sync, extra=sync_extra),
        FrameSpec(
            "reject",
            sample_reject,
            on_bad_field=Expect.EITHER,
            not_applicable={Category.HUGE_COUNT: "a reject holds no list"},
            extra=reject_extra,
        ),
    )
}
