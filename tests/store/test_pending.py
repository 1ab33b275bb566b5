"""The buffer of changes waiting for their dependencies: nothing creates a document that nothing
authorises, the buffer is capped per document and per author (count and bytes), its changes expire,
and snapshots and bundles carry no more of it than the caps allow."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.limits import DEFAULT_LIMITS, KIB, Limits
from reliance.replication.bundle import export_bundle, import_bundle, read_bundle
from reliance.replication.protocol import BatchRefused, ChangesReceived, Session, SyncHost
from reliance.store.repository import Repository, StoredDoc, change_size
from tests.sync.forged import Stranger, frame
from tests.sync.memnet import pair, sync_once

SMALL = DEFAULT_LIMITS.replace(
    max_pending_changes=12,
    max_pending_bytes=64 * KIB,
    max_pending_changes_per_author=5,
    max_pending_bytes_per_author=16 * KIB,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def victim_home(
    home: Path, limits: Limits | None = None, clock: Clock | None = None
) -> tuple[Workspace, str]:
    ws = Workspace.create(home, "Alice")
    pid = projects.create_project(ws, "atelier")
    return reopen(home, limits, clock), pid


def reopen(home: Path, limits: Limits | None = None, clock: Clock | None = None) -> Workspace:
    """The home opened again, as by a new process (with these limits and clock, if given)."""
    ws = Workspace.open(home)
    if limits is not None or clock is not None:
        ws.repo = Repository(
            home, ws.identity.public_key, limits=limits or DEFAULT_LIMITS, clock=clock or Clock()
        )
    return ws


def send(ws: Workspace, doc_id: str, stranger: Stranger, chunks: list[bytes]) -> list[object]:
    session = Session(SyncHost(ws.repo), peer_key=secrets.token_bytes(32))
    replies = session.receive(frame(doc_id, chunks, [stranger.sign(c) for c in chunks]))
    events = session.pop_events()
    assert not [e for e in events if isinstance(e, BatchRefused)], events
    assert all(msgpack.unpackb(r)["t"] != "reject" for r in replies)
    return list(events)


def test_a_batch_that_can_only_wait_creates_no_document(home: Path, tmp_path: Path) -> None:
    """A stranger sends changes of their own document (which they may write) or of a project nobody has,
    all depending on changes that do not exist: nothing authorises them, so nothing is created."""
    ws, _ = victim_home(home)
    before = sorted(ws.repo.doc_ids())
    for n in range(3):
        stranger = Stranger.new(n)
        chunks = [stranger.waiting_change(seq=s, padding=200) for s in range(1, 4)]
        send(ws, stranger.peer_id, stranger, chunks)
        send(ws, "pj" + f"{n:032x}", stranger, chunks)
    assert sorted(ws.repo.doc_ids()) == before
    assert sorted(p.name for p in (home / "docs").iterdir()) == before
    # Nor by bundle.
    stranger = Stranger.new(9)
    stick = tmp_path / "waiting.bundle"
    chunk = stranger.waiting_change(padding=10)
    stick.write_bytes(
        msgpack.packb(
            {
                "format": "reliance-bundle/1",
                "created": "2026-01-01T00:00:00+00:00",
                "by": stranger.peer_id,
                "docs": [{"id": stranger.peer_id, "changes": [[chunk, stranger.sign(chunk)[1]]]}],
            },
            use_bin_type=True,
        )
    )
    import_bundle(ws.repo, stick)
    assert sorted(ws.repo.doc_ids()) == before


def test_waiting_changes_are_capped_per_author_and_per_document(home: Path) -> None:
    ws, pid = victim_home(home, SMALL)
    first = Stranger.new(1)
    events = send(ws, pid, first, [first.waiting_change(seq=s, padding=100) for s in range(1, 20)])
    doc = ws.repo.open(pid)
    assert len(doc.pending) == SMALL.max_pending_changes_per_author
    assert [(e.applied, e.pending) for e in events if isinstance(e, ChangesReceived)] == [(0, 5)]
    # Bytes per author: 3 changes of 6 KiB fill 16 KiB.
    second = Stranger.new(2)
    send(ws, pid, second, [second.waiting_change(seq=s, padding=6 * KIB) for s in range(1, 6)])
    assert sum(c.info.actor == second.actor for c in ws.repo.open(pid).pending.values()) == 2
    # The document's own cap, whatever the number of keys.
    for n in range(3, 9):
        stranger = Stranger.new(n)
        send(ws, pid, stranger, [stranger.waiting_change(seq=s, padding=100) for s in range(1, 4)])
    assert len(ws.repo.open(pid).pending) == SMALL.max_pending_changes
    # The same holds after a restart and a compaction, and in what the node exports.
    ws.repo.open(pid).compact()
    again = reopen(home, SMALL)
    assert len(again.repo.open(pid).pending) == SMALL.max_pending_changes
    snapshot = msgpack.unpackb(again.repo.open(pid).snapshot_path.read_bytes(), raw=False)
    assert len(snapshot["pending"]) == SMALL.max_pending_changes
    stick = home.parent / "export.bundle"
    export_bundle(again.repo, stick, [pid], again.peer_id)
    ((_, exported),) = read_bundle(stick)
    assert len(exported) == 1 + SMALL.max_pending_changes  # the genesis and the capped buffer


def test_pending_bytes_per_document_are_capped(home: Path) -> None:
    limits = SMALL.replace(max_pending_bytes=20 * KIB, max_pending_changes=100)
    ws, pid = victim_home(home, limits)
    for n in range(6):
        stranger = Stranger.new(n)
        send(ws, pid, stranger, [stranger.waiting_change(seq=s, padding=3 * KIB) for s in range(1, 4)])
    waiting = ws.repo.open(pid).pending.values()
    assert sum(len(c.info.chunk) for c in waiting) <= 20 * KIB
    assert len(waiting) == 6  # 3 KiB and a header each


def test_waiting_changes_expire(home: Path) -> None:
    clock = Clock()
    ws, pid = victim_home(home, DEFAULT_LIMITS, clock)
    stranger = Stranger.new()
    send(ws, pid, stranger, [stranger.waiting_change(seq=1)])
    clock.now += DEFAULT_LIMITS.pending_ttl_seconds / 2
    send(ws, pid, stranger, [stranger.waiting_change(seq=2)])
    assert len(ws.repo.open(pid).pending) == 2
    clock.now += DEFAULT_LIMITS.pending_ttl_seconds / 2 + 1
    # The first one expired: a restart no longer holds it, nor does the next snapshot or export.
    later = reopen(home, DEFAULT_LIMITS, clock)
    doc = later.repo.open(pid)
    assert set(doc.pending) == {stranger.sign(stranger.waiting_change(seq=2))[0]}
    doc.compact()
    snapshot = msgpack.unpackb(doc.snapshot_path.read_bytes(), raw=False)
    assert len(snapshot["pending"]) == 1
    # In a running node too: the next batch finds it gone, and room for a new one.
    clock.now += DEFAULT_LIMITS.pending_ttl_seconds
    send(later, pid, stranger, [stranger.waiting_change(seq=3)])
    assert set(later.repo.open(pid).pending) == {stranger.sign(stranger.waiting_change(seq=3))[0]}


@pytest.mark.parametrize("field", ["max_pending_changes_per_author", "max_pending_changes"])
def test_an_honest_peer_still_gets_through_when_the_buffer_is_full(tmp_path: Path, field: str) -> None:
    """A full buffer refuses only more waiting changes: a peer's changes that apply are never held back."""
    net, alice, bob = pair(tmp_path)
    bob.ws.repo = bob.host.repo = Repository(bob.ws.home, bob.key, limits=SMALL.replace(**{field: 1}))
    pid = projects.create_project(alice.ws, "atelier", visibility="public")
    sync_once(alice, bob, net)
    stranger = Stranger.new()
    send(bob.ws, pid, stranger, [stranger.waiting_change(seq=s) for s in range(1, 4)])
    assert len(bob.doc(pid).pending) == 1
    projects.contribute(alice.ws, pid, "time", 15, "min", note="after the flood")
    sync_once(alice, bob, net)
    assert [row["note"] for row in projects.ledger(bob.ws, pid)] == ["after the flood"]


def assert_within(doc: StoredDoc, limits: Limits) -> None:
    waiting = list(doc.pending.values())
    assert len(waiting) <= limits.max_pending_changes
    assert sum(change_size(c.info, limits) for c in waiting) <= limits.max_pending_bytes
    for actor in {c.info.actor for c in waiting}:
        mine = [c for c in waiting if c.info.actor == actor]
        assert len(mine) <= limits.max_pending_changes_per_author
        assert sum(change_size(c.info, limits) for c in mine) <= limits.max_pending_bytes_per_author


batches = st.lists(
    st.tuples(st.integers(0, 4), st.integers(1, 8), st.integers(0, 5 * KIB), st.booleans()),
    min_size=1,
    max_size=8,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=batches)
def test_the_buffer_stays_within_its_caps_whatever_comes(batches: list[tuple[int, int, int, bool]]) -> None:
    """Any sequence of batches of waiting changes (several keys, counts, sizes, some deflated, some
    chained on each other): the caps hold after each, after a restart and in the snapshot."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ws, pid = victim_home(home, SMALL)
        seqs: dict[int, int] = {}
        for who, count, padding, compressed in batches:
            stranger = Stranger.new(who)
            chunks = []
            for _ in range(count):
                seqs[who] = seqs.get(who, 0) + 1
                deps = [wire.parse_change(chunks[-1]).hash] if chunks and seqs[who] % 2 else None
                chunks.append(
                    stranger.waiting_change(seq=seqs[who], padding=padding, compressed=compressed, deps=deps)
                )
            send(ws, pid, stranger, chunks)
            assert_within(ws.repo.open(pid), SMALL)
        ws.repo.open(pid).compact()
        assert_within(reopen(home, SMALL).repo.open(pid), SMALL)
