"""The replication core over the `DocStore` protocol: sessions and rules on a store in memory (no disk at
all), the store in memory and the one on disk agreeing, and no fsync under `Session.receive`."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.automerge.crdt import ROOT_ID
from reliance.doc import participant
from reliance.identity import Identity
from reliance.replication.auth import accept_batch
from reliance.replication.docstore import DocStore, MemoryStore
from reliance.replication.protocol import ChangesReceived, Session, SyncHost
from reliance.store.repository import Repository, SignedChange
from tests.sync.hostile import sync_frame
from tests.sync.sessions import pump


def person(name: str) -> Identity:
    return Identity(Ed25519PrivateKey.generate(), name, "2026-01-01T00:00:00Z")


def own_document(store: DocStore, who: Identity, edits: int) -> list[SignedChange]:
    """`who`'s participant document in `store`, with `edits` changes after its first; all its changes."""
    doc = store.open(who.peer_id, create=True)
    doc.local_change(who.sign, lambda w: participant.genesis(w, who.peer_id, who.name))
    for i in range(edits):
        doc.local_change(who.sign, lambda w, i=i: w.put(ROOT_ID, f"k{i}", i))
    return doc.signed_changes()


def test_two_sessions_over_stores_in_memory_converge_without_a_disk() -> None:
    alice, bob = person("Alice"), person("Bob")
    stores = {who.peer_id: MemoryStore(who.public_key) for who in (alice, bob)}
    own_document(stores[alice.peer_id], alice, 30)
    own_document(stores[bob.peer_id], bob, 5)
    a = Session(SyncHost(stores[alice.peer_id]), peer_key=bob.public_key)
    b = Session(SyncHost(stores[bob.peer_id]), peer_key=alice.public_key)
    events_a, events_b = pump(a, b)
    for doc_id in (alice.peer_id, bob.peer_id):
        assert stores[alice.peer_id].open(doc_id).heads() == stores[bob.peer_id].open(doc_id).heads()
        assert a.in_sync(doc_id) and b.in_sync(doc_id)
    assert [e.applied for e in events_b if isinstance(e, ChangesReceived)] == [31]
    assert [e.applied for e in events_a if isinstance(e, ChangesReceived)] == [6]


def test_no_fsync_under_session_receive_and_flush_makes_the_batch_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = person("Alice"), person("Bob")
    changes = own_document(MemoryStore(alice.public_key), alice, 10)
    repo = Repository(tmp_path, bob.public_key)
    session = Session(SyncHost(repo), peer_key=alice.public_key)
    session.start()
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd) or real_fsync(fd))

    frame = sync_frame(
        alice.peer_id, [c.info.chunk for c in changes], [(changes[-1].info.hash, changes[-1].signature)]
    )
    session.receive(frame)
    assert [e.applied for e in session.pop_events() if isinstance(e, ChangesReceived)] == [11]
    created = len(fsyncs)  # the new document's folder and its log header: made once, durably
    repo.flush()
    assert len(fsyncs) == created + 1  # one fsync for the whole batch, outside `receive`
    repo.flush()
    assert len(fsyncs) == created + 1  # nothing left to make durable

    monkeypatch.undo()
    assert Repository(tmp_path, bob.public_key).open(alice.peer_id).heads() == [changes[-1].info.hash]


def test_a_receive_into_a_held_document_makes_no_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = person("Alice"), person("Bob")
    changes = own_document(MemoryStore(alice.public_key), alice, 10)
    repo = Repository(tmp_path, bob.public_key)
    accept_batch(repo, alice.peer_id, changes[:5])
    session = Session(SyncHost(repo), peer_key=alice.public_key)
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd) or real_fsync(fd))
    session.receive(
        sync_frame(
            alice.peer_id,
            [c.info.chunk for c in changes[5:]],
            [(changes[-1].info.hash, changes[-1].signature)],
        )
    )
    assert [e.applied for e in session.pop_events() if isinstance(e, ChangesReceived)] == [6]
    assert fsyncs == []
    repo.flush()
    assert len(fsyncs) == 1


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.integers(1, 4))
def test_the_store_in_memory_and_the_home_agree_in_any_delivery_order(
    tmp_path_factory: pytest.TempPathFactory, seed: int, cut: int
) -> None:
    """The same batches, in the same shuffled order (changes waiting for others, replays), leave both
    stores with the same heads and the same waiting changes, and read back the same."""
    alice, bob = person("Alice"), person("Bob")
    changes = own_document(MemoryStore(alice.public_key), alice, 9)
    rng = random.Random(seed)
    in_order = [changes[i : i + cut] for i in range(0, len(changes), cut)]
    shuffled = in_order + rng.sample(in_order, 2)  # and replays
    rng.shuffle(shuffled)
    home = Repository(tmp_path_factory.mktemp("home"), bob.public_key)
    memory = MemoryStore(bob.public_key)
    stores: list[DocStore] = [home, memory]

    def deliver(batch: list[SignedChange]) -> None:
        # Signed by its last change: a chain of one author's changes is covered by that signature.
        signed = [SignedChange(c.info, c.signature if c is batch[-1] else None) for c in batch]
        outcomes = [accept_batch(store, alice.peer_id, signed) for store in stores]
        assert outcomes[0] == outcomes[1]

    for batch in shuffled:
        deliver(batch)
    if home.exists(alice.peer_id):
        held = [store.open(alice.peer_id) for store in stores]
        assert held[0].heads() == held[1].heads() and held[0].pending.keys() == held[1].pending.keys()
    for batch in in_order:  # what was turned away (nothing to wait in yet) comes again
        deliver(batch)
    held = [store.open(alice.peer_id) for store in stores]
    assert held[0].heads() == held[1].heads() == [changes[-1].info.hash]
    assert held[0].pending == held[1].pending == {}
    reread = [Repository(home.home, bob.public_key).open(alice.peer_id), memory.reload(alice.peer_id)]
    assert reread[0].heads() == reread[1].heads() == held[0].heads()
    assert set(reread[0].known) == set(reread[1].known) == {c.info.hash for c in changes}
