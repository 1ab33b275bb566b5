"""Every hostile variant of every frame type (frames.py) against a real session on a real store.

For each variant, against a session whose host is made as the node makes it (quotas included): no
exception escapes `Session.receive`; each frame is handled in turns of bounded time, in bounded memory;
the outcome is the one the variant expects (a refusal with its reason sent back, a peer's refusal
reported, or nothing); no document changed (a batch is refused whole); every document still reopens,
compacts and reopens with the same heads; and the node then syncs with an honest peer.
"""

from __future__ import annotations

import shutil
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import msgpack
import pytest

from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.replication.protocol import BatchRefused, Declined, Event, RefusedByPeer, Session, SyncHost
from reliance.replication.quota import Quotas
from reliance.store.repository import Repository
from tests.fuzz import seeds as fuzz_seeds
from tests.fuzz.targets import check_reads_back, check_untouched, repo_state
from tests.hostile.frames import (
    MAX_CPU_SECONDS,
    MAX_REPORTED_REASON,
    MEMORY_FACTOR,
    MEMORY_SLACK,
    SPECS,
    Expect,
    Variant,
    variants,
)


def all_variants() -> list[Variant]:
    seeds = fuzz_seeds.load()
    return [variant for spec in SPECS.values() for variant in variants(spec, seeds)]


def as_param(variant: Variant) -> object:
    marks = [pytest.mark.xfail(reason=variant.known, strict=False)] if variant.known else []
    return pytest.param(variant, id=variant.id, marks=marks)


@dataclass(frozen=True)
class Homes:
    victim: Path  # Bob's node, holding the seeds' victim prefix
    full: Path  # a node holding every document of the seeds


@pytest.fixture(scope="session")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Homes:
    seeds = fuzz_seeds.load()
    root = tmp_path_factory.mktemp("hostile-homes")
    victim = Repository(root / "victim", seeds.public("bob"))
    fuzz_seeds.fill(victim, seeds, seeds.victim)
    check_reads_back(root / "victim", seeds.public("bob"), repo_state(victim))
    shutil.rmtree(root / "victim")  # (the check compacted it: make it again as the seeds say)
    fuzz_seeds.fill(Repository(root / "victim", seeds.public("bob")), seeds, seeds.victim)
    everything = {doc_id: len(history) for doc_id, history in seeds.histories.items()}
    fuzz_seeds.fill(Repository(root / "full", seeds.public("alice")), seeds, everything)
    return Homes(root / "victim", root / "full")


def node_host(repo: Repository, owner: bytes, limits: Limits = DEFAULT_LIMITS) -> SyncHost:
    """A host as the node makes it: with its limits and the quotas on other people's documents."""
    return SyncHost(repo, limits=limits, quotas=Quotas(repo, encode_peer_id(owner), limits))


def files(home: Path) -> dict[str, bytes]:
    """Every file of a home's documents (locks aside), by path."""
    docs = home / "docs"
    return {
        str(path.relative_to(docs)): path.read_bytes()
        for path in sorted(docs.rglob("*"))
        if path.is_file() and path.name != "lock"
    }


def deliver(session: Session, frame: bytes) -> tuple[list[bytes], list[Event]]:
    """One frame, as the node handles it: in turns (other peers' frames go in between), each one of
    bounded CPU time, and in bounded traced memory (memory the Rust side allocates is not traced)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        started = time.process_time()
        replies = session.receive(frame, one_turn=True)
        longest = time.process_time() - started
        while session.pending_work:
            started = time.process_time()
            replies += session.work()
            longest = max(longest, time.process_time() - started)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert longest < MAX_CPU_SECONDS, f"one turn held the sync thread {longest:.2f} s"
    allowed = MEMORY_FACTOR * len(frame) + MEMORY_SLACK
    assert peak - before <= allowed, f"a {len(frame)}-byte frame cost {(peak - before) >> 20} MiB"
    return replies, session.pop_events()


@pytest.mark.parametrize("variant", [as_param(v) for v in all_variants()])
def test_hostile_frame(variant: Variant, homes: Homes, fast_tmp: Path) -> None:
    seeds = fuzz_seeds.load()
    victim_home = fast_tmp / "victim"
    shutil.copytree(homes.victim, victim_home)
    actor = seeds.public("bob")
    repo = Repository(victim_home, actor)
    hostile = seeds.public("mallory")  # a member of the project, turned hostile
    limits = DEFAULT_LIMITS.replace(max_frame=variant.max_frame) if variant.max_frame else DEFAULT_LIMITS
    session = Session(
        node_host(repo, seeds.participant("bob"), limits),
        peer_key=hostile,
        limits=limits,
        reader=seeds.participant("mallory"),  # as her device's certificate says in the handshake
    )
    session.start()
    for frame in variant.prelude(seeds):
        session.receive(frame)
    session.pop_events()
    before = repo_state(repo)
    replies: list[bytes] = []
    events: list[Event] = []
    for frame in variant.frames(seeds):
        out, happened = deliver(session, frame)
        replies += out
        events += happened
    after = repo_state(repo)

    refusals = [e for e in events if isinstance(e, BatchRefused)]
    assert all(e.reason for e in events if isinstance(e, Declined)), "declined without a reason"
    expect = variant.expect
    if expect == Expect.EITHER:
        expect = Expect.REFUSED if refusals else Expect.PEER_REFUSED
    if expect == Expect.REFUSED:
        assert refusals, f"not refused; events: {events}"
        sent = [msgpack.unpackb(r) for r in replies]
        rejects = [f["reason"] for f in sent if f.get("t") == "reject"]
        assert rejects == [refusals[0].reason] and rejects[0], (rejects, refusals)
    elif expect == Expect.PEER_REFUSED:
        reported = [e.reason for e in events if isinstance(e, RefusedByPeer)]
        assert reported and all(reported), events
        assert all(len(reason) <= MAX_REPORTED_REASON for reason in reported), "a peer's reason is kept whole"
        assert not refusals
    check_untouched(before, after, variant.id)
    assert after == {doc_id: state for doc_id, state in before.items() if doc_id in after}
    assert sorted(p.name for p in (victim_home / "docs").iterdir()) == sorted(before)
    if files(victim_home) != files(homes.victim):  # (the pristine home reads back: see `homes`)
        check_reads_back(victim_home, actor, after)

    # The node still syncs with an honest peer, and ends up with everything it holds.
    full_home = fast_tmp / "full"
    shutil.copytree(homes.full, full_home)
    full = Repository(full_home, seeds.public("alice"))
    honest = Session(
        node_host(full, seeds.participant("alice")), peer_key=actor, reader=seeds.participant("bob")
    )
    mine = Session(  # the node's store, in memory
        node_host(repo, seeds.participant("bob")),
        peer_key=seeds.public("alice"),
        reader=seeds.participant("alice"),
    )
    fuzz_seeds.exchange(honest, mine)
    assert not [e for e in honest.pop_events() + mine.pop_events() if isinstance(e, BatchRefused)]
    for doc_id in seeds.histories:
        assert mine.host.repo.open(doc_id).heads() == full.open(doc_id).heads()
