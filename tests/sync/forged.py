"""Changes a stranger can make without any right: well-formed headers, signed by a key of their own,
depending on changes nobody has, and as large (once inflated) as they like."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.automerge import wire
from reliance.automerge.crdt import ROOT_ID, CrdtDoc
from reliance.identity import encode_peer_id


@dataclass(frozen=True)
class Stranger:
    """Someone with a key and nothing else."""

    key: Ed25519PrivateKey

    @classmethod
    def new(cls, seed: int = 7) -> Stranger:
        return cls(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"stranger %d" % seed).digest()))

    @property
    def actor(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    @property
    def peer_id(self) -> str:
        return encode_peer_id(self.actor)

    def sign(self, chunk: bytes) -> tuple[bytes, bytes]:
        change_hash = wire.parse_change(chunk, max_inflated=1 << 40).hash
        return change_hash, self.key.sign(change_hash)

    def waiting_change(
        self, *, seq: int = 1, padding: int = 0, compressed: bool = False, deps: Sequence[bytes] | None = None
    ) -> bytes:
        """A change header depending on a change that does not exist, with `padding` bytes in its message
        (what the change weighs once inflated). Nobody can ever apply it: it can only wait."""
        fake = deps if deps is not None else (hashlib.sha256(b"nothing %d" % seq).digest(),)
        body = (
            wire.write_uleb128(len(fake))
            + b"".join(sorted(fake))
            + wire.write_uleb128(len(self.actor))
            + self.actor
            + wire.write_uleb128(seq)
            + wire.write_uleb128(1)  # start op
            + wire.write_sleb128(0)  # time
            + wire.write_uleb128(padding)
            + b"a" * padding
            + wire.write_uleb128(0)  # other actors
            + wire.write_uleb128(0)  # columns
        )
        return deflated(body) if compressed else wire.build_chunk("change", body)

    def own_document_change(self, value_bytes: int) -> bytes:
        """The genesis of the stranger's own participant document, holding one string of `value_bytes`
        (compressed by automerge, as every change over a few hundred bytes is)."""
        doc = CrdtDoc.new(self.actor)
        info = doc.change(lambda w: w.put(ROOT_ID, "blob", "\0" * value_bytes))
        assert info is not None
        return info.chunk


def deflated(body: bytes) -> bytes:
    """A deflated change chunk (type 2) around a change body, with the checksum of the plain chunk."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = compressor.compress(body) + compressor.flush()
    checksum = wire.chunk_hash("change", body)[:4]
    return wire.CHUNK_MAGIC + checksum + bytes([2]) + wire.write_uleb128(len(packed)) + packed


def frame(doc_id: str, chunks: Sequence[bytes], signatures: Sequence[tuple[bytes, bytes]]) -> bytes:
    """A `sync` frame carrying `chunks` (one per entry of a v1 message) with their signatures."""
    message = wire.SyncMessage(wire.MESSAGE_V1, (), (), (), tuple(chunks))
    packed: bytes = msgpack.packb(
        {
            "t": "sync",
            "d": doc_id,
            "m": wire.encode_sync_message(message),
            "s": [list(p) for p in signatures],
        },
        use_bin_type=True,
    )
    return packed
