"""Tools to build hostile input from real automerge changes: forged frames, tampered chunks with
recomputed checksums, and a change that makes the automerge binding panic."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgpack
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.automerge.crdt import ROOT_ID, CrdtDoc, CrdtError, CrdtPanic, Writer
from reliance.doc import project as pdoc
from reliance.identity import encode_peer_id
from reliance.store.repository import StoredDoc
from tests.sync.memnet import MemNet, Node, sync_once

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PANIC_FIXTURE = FIXTURES / "sync_protocol_panic_change.msgpack"


def sync_frame(
    doc_id: str,
    chunks: Sequence[bytes],
    signatures: Sequence[tuple[bytes, bytes]] = (),
    heads: Sequence[bytes] | None = None,
) -> bytes:
    """A `sync` frame carrying `chunks` (one per entry, as a v1 message) and the given signatures."""
    if heads is None:
        heads = sorted(wire.parse_change(c).hash for c in chunks)
    message = wire.SyncMessage(wire.MESSAGE_V1, tuple(heads), (), (), tuple(chunks))
    return msgpack.packb(
        {
            "t": "sync",
            "d": doc_id,
            "m": wire.encode_sync_message(message),
            "s": [list(p) for p in signatures],
        },
        use_bin_type=True,
    )


def forge_sync_frame(doc_id: str, chunk: bytes, signature: bytes) -> bytes:
    return sync_frame(doc_id, [chunk], [(wire.parse_change(chunk).hash, signature)])


def tamper(chunk: bytes, *, at_end: int = 2, delta: int = 1) -> bytes:
    """The same change with one byte of its operations changed and its checksum recomputed."""
    raw = wire.split_chunks(chunk)[0]
    body = bytearray(raw.change_body)
    body[len(body) - at_end] = (body[len(body) - at_end] + delta) % 256
    tampered = wire.build_chunk("change", bytes(body))
    header = wire.parse_change(tampered)  # still a well-formed change, by the same author
    assert header.actor == wire.parse_change(chunk).actor
    return tampered


@dataclass
class Snapshot:
    heads: list[bytes]
    known: set[bytes]
    pending: set[bytes]
    stored_size: int  # what its log and snapshot (or its records in memory) weigh
    content: object


def snapshot(node: Node, doc_id: str) -> Snapshot:
    doc = node.doc(doc_id)
    return Snapshot(doc.heads(), set(doc.known), set(doc.pending), doc.size_on_disk(), doc.crdt.read())


@dataclass
class ProjectCast:
    net: MemNet
    alice: Node  # steward
    bob: Node  # member
    mallory: Node  # holds a copy, is not a member
    pid: str


def project_with_member(root: Path, *, on_disk: bool = False) -> ProjectCast:
    net = MemNet(root)
    alice, bob, mallory = (net.node(name, on_disk=on_disk) for name in ("Alice", "Bob", "Mallory"))
    pid = projects.create_project(alice.ws, "atelier", visibility="public")  # Mallory may hold a copy
    projects.add_member(alice.ws, pid, bob.peer_id)
    sync_once(alice, bob, net)
    sync_once(bob, mallory, net)  # gossip: anyone may hold a copy of the project
    return ProjectCast(net, alice, bob, mallory, pid)


def raw_edit(ws: Workspace, doc_id: str, edit: Callable[[Writer], None]) -> bytes:
    """Make and sign a change directly in the store, bypassing the library's own checks."""
    doc: StoredDoc = ws.repo.open(doc_id)
    info = doc.local_change(ws.identity.sign, edit)
    assert info is not None
    return info.hash


# -- a change that makes the binding panic ------------------------------------------------------------------


@dataclass(frozen=True)
class PanicCase:
    key: Ed25519PrivateKey
    base: list[bytes]  # a participant document's history, by `key`
    panic: bytes  # a change by `key` on top of `base`, valid checksum, that panics automerge

    @property
    def doc_id(self) -> str:
        return encode_peer_id(self.public_key)

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def sign(self, chunk: bytes) -> tuple[bytes, bytes]:
        change_hash = wire.parse_change(chunk).hash
        return change_hash, self.key.sign(change_hash)


def _panics(base: list[bytes], candidate: bytes, actor: bytes) -> bool:
    sandbox = CrdtDoc.new(actor)
    sandbox.apply(base)
    try:
        sandbox.apply([candidate])
    except CrdtPanic:
        return True
    except CrdtError:
        return False
    return False


def search_panic_change(
    seed: bytes = b"\x07" * 32, attempts: int = 20_000, rng_seed: int = 20240611
) -> PanicCase:
    """Mutate the operations of a real change (checksum recomputed) until automerge panics on it."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    case = PanicCase(key, [], b"")
    actor = case.public_key
    doc = CrdtDoc.new(actor)

    def genesis(w: Writer) -> None:
        w.put(ROOT_ID, "schema", "reliance/participant")
        w.put_map(ROOT_ID, "items")

    def rich(w: Writer) -> None:
        items = w.child(ROOT_ID, "items")
        assert items is not None
        item = w.put_map(items, "x1")
        w.put_text(item, "title", "pain")
        w.put_list(item, "tags", ["a", "b", 3])
        w.put(item, "n", 12)
        w.delete(items, "x1")

    base_info = doc.change(genesis)
    target = doc.change(rich)
    assert base_info is not None and target is not None
    base = [base_info.chunk]
    body = wire.split_chunks(target.chunk)[0].change_body
    header_len = len(body) - 60 if len(body) > 80 else len(body) // 2
    rng = random.Random(rng_seed)
    for _ in range(attempts):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 3)):
            mutated[rng.randrange(header_len, len(body))] = rng.randrange(256)
        candidate = wire.build_chunk("change", bytes(mutated))
        try:
            header = wire.parse_change(candidate)
        except wire.WireError:
            continue
        if header.actor != actor or header.deps != (base_info.hash,):
            continue
        if _panics(base, candidate, actor):
            return PanicCase(key, base, candidate)
    raise AssertionError("no panicking mutation found")


def find_panic_change() -> PanicCase:
    """The stored panic case (regenerated by `search_panic_change` if the file is missing)."""
    if PANIC_FIXTURE.exists():
        data = msgpack.unpackb(PANIC_FIXTURE.read_bytes(), raw=False)
        return PanicCase(
            Ed25519PrivateKey.from_private_bytes(data["seed"]), list(data["base"]), data["panic"]
        )
    case = search_panic_change()
    seed = case.key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    FIXTURES.mkdir(parents=True, exist_ok=True)
    PANIC_FIXTURE.write_bytes(msgpack.packb({"seed": seed, "base": case.base, "panic": case.panic}))
    return case


def hand_made_entry(ws: Workspace, pid: str, amount: int) -> str:
    """A ledger entry written by hand (no library checks), as a hostile or confused client would."""
    entry_id = pdoc.new_record_id(ws.peer_id)

    def edit(w: Writer) -> None:
        ledger = w.child(ROOT_ID, "ledger")
        assert ledger is not None
        obj = w.put_map(ledger, entry_id)
        for key, value in (
            ("kind", "contribution"),
            ("author", ws.peer_id),
            ("member", ws.peer_id),
            ("unit", "min"),
            ("at", "2026-01-01T00:00:00+00:00"),
            ("action", "work"),
        ):
            w.put(obj, key, value)
        w.put(obj, "amount", amount)
        w.put_map(obj, "dimensions")

    raw_edit(ws, pid, edit)
    return entry_id
