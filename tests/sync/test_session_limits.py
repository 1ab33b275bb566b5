"""What one peer can make a session do: summaries, documents the node does not hold, work per turn.
Documents in memory, real frames, the sans-IO session driven directly (the node-level fairness is in
tests/net/test_limits.py)."""

from __future__ import annotations

import random
import secrets
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.limits import DEFAULT_LIMITS
from reliance.replication.protocol import BatchRefused, Session, SyncHost
from tests.sync.memnet import memory_workspace
from tests.sync.sessions import opened_by_peer, pack, pump, session_of


def with_projects(home: Path, name: str, count: int) -> tuple[Workspace, list[str]]:
    ws = memory_workspace(home, name)
    # public: these peers are not members, and every document must reach the other side
    return ws, [projects.create_project(ws, f"p{i}", visibility="public") for i in range(count)]


def project_ids(count: int) -> list[str]:
    return [f"pj{i:032x}" for i in range(count)]


def test_a_summary_over_the_limit_is_refused_before_any_work(tmp_path: Path) -> None:
    ws = memory_workspace(tmp_path / "a", "Ana")
    session = session_of(ws, DEFAULT_LIMITS.replace(summary_max_documents=100))
    opened_by_peer(session)
    reply = session.receive(pack({"t": "summary", "docs": [[d, b"\x01" * 8] for d in project_ids(101)]}))
    assert [msgpack.unpackb(f)["t"] for f in reply] == ["reject"]
    assert "array of 101 items (at most 100: summary_max_documents)" in msgpack.unpackb(reply[0])["reason"]
    assert session.unknown_documents == 0 and not session.pending_work
    assert session.receive(pack({"t": "summary", "docs": []})) == []  # refused: nothing more


def test_a_summary_over_the_limit_is_refused_from_its_header_before_its_entries_are_read(
    tmp_path: Path,
) -> None:
    """The count is checked while the frame is still bytes: a header announcing 100,000 entries, followed
    by bytes that are no msgpack at all, is refused for its count (the entries were never walked nor
    decoded), however long the frame."""
    ws = Workspace.create(tmp_path / "a", "Ana")
    session = session_of(ws)
    opened_by_peer(session)
    header = b"\x82\xa1t\xa7summary\xa4docs\xdd" + (100_000).to_bytes(4, "big")
    reply = session.receive(header + b"\xc1" * 1_000_000)
    assert [msgpack.unpackb(f)["t"] for f in reply] == ["reject"]
    reason = msgpack.unpackb(reply[0])["reason"]
    assert "array of 100000 items (at most 10000: summary_max_documents)" in reason
    assert session.unknown_documents == 0 and not session.pending_work


def test_a_summary_at_the_limit_is_taken() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = memory_workspace(Path(tmp) / "a", "Ana")
        session = session_of(ws, DEFAULT_LIMITS.replace(summary_max_documents=100))
        opened_by_peer(session)
        reply = session.receive(pack({"t": "summary", "docs": [[d, b"\x01" * 8] for d in project_ids(100)]}))
        kinds = [msgpack.unpackb(f)["t"] for f in reply]
        assert kinds.count("sync") == 101  # its 100, and our own document the peer lacks


@pytest.mark.parametrize("opener", ["the side that cut", "the other side"])
def test_our_own_summary_is_cut_to_the_limit_and_everything_still_syncs(tmp_path: Path, opener: str) -> None:
    limits = DEFAULT_LIMITS.replace(summary_max_documents=4)
    ana, held = with_projects(tmp_path / "a", "Ana", 9)
    ben = memory_workspace(tmp_path / "b", "Ben")
    a, b = session_of(ana, limits), session_of(ben, limits)
    a.start()
    summary = msgpack.unpackb(a.receive(pack({"t": "digest", "d": b"\x00" * 32}))[0])
    assert summary["t"] == "summary"
    assert len(summary["docs"]) == 4
    assert summary["docs"][0][0] == ana.peer_id  # our own document is always offered
    a, b = session_of(ana, limits), session_of(ben, limits)
    pump(a, b, opener=a if opener == "the side that cut" else b)
    assert set(ben.repo.doc_ids()) == set(ana.repo.doc_ids()) == {ana.peer_id, ben.peer_id, *held}


def test_work_goes_in_turns_and_the_turns_give_what_one_call_gives(tmp_path: Path) -> None:
    ws = memory_workspace(tmp_path / "a", "Ana")
    summary = pack({"t": "summary", "docs": [[d, b"\x01" * 8] for d in project_ids(3000)]})
    whole = session_of(ws)
    opened_by_peer(whole)
    everything = whole.receive(summary)

    turns = session_of(ws, DEFAULT_LIMITS.replace(session_turn_ms=1))
    opened_by_peer(turns)
    produced = turns.receive(summary, one_turn=True)
    assert turns.pending_work  # 3,000 entries and syncs never fit in one millisecond
    rounds = 1
    while turns.pending_work:
        produced += turns.work()
        rounds += 1
    assert rounds > 2
    assert [msgpack.unpackb(f)["d"] for f in produced] == [msgpack.unpackb(f)["d"] for f in everything]
    assert turns.bytes_out == whole.bytes_out


def test_a_malformed_entry_late_in_a_summary_refuses_the_peer_in_its_turn(tmp_path: Path) -> None:
    ws = memory_workspace(tmp_path / "a", "Ana")
    session = session_of(ws, DEFAULT_LIMITS.replace(session_turn_ms=1))
    opened_by_peer(session)
    docs: list[Any] = [[d, b"\x01" * 8] for d in project_ids(3000)]
    docs[-1] = ["pj" + "z" * 32, b"\x01" * 8]
    session.receive(pack({"t": "summary", "docs": docs}), one_turn=True)
    produced: list[bytes] = []
    while session.pending_work:
        produced += session.work()
    assert [msgpack.unpackb(f)["t"] for f in produced] == ["reject"]
    assert session.refused
    assert [e.reason for e in session.pop_events() if isinstance(e, BatchRefused)] == [
        "malformed summary entry"
    ]


def test_documents_a_peer_talks_about_that_we_do_not_hold_are_bounded(tmp_path: Path) -> None:
    """A peer sends sync frames for 500 documents nobody has: the session keeps at most the limit."""
    ws = memory_workspace(tmp_path / "a", "Ana")
    peer_home = memory_workspace(tmp_path / "m", "Mallory")
    limits = DEFAULT_LIMITS.replace(session_max_unknown_documents=16)
    session = session_of(ws, limits)
    session.start()
    mallory = session_of(peer_home)
    mallory.start()
    for doc_id in project_ids(500):
        for frame in mallory.local_change(doc_id):  # a real opening sync message for a document it lacks
            session.receive(frame)
        assert session.unknown_documents <= 16
        assert len(session.states) <= 16 + 2  # plus the two documents the node holds
    assert not session.refused


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cap=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    ana_opens=st.booleans(),
)
def test_sync_completes_whatever_the_bound_on_unknown_documents(
    cap: int, seed: int, ana_opens: bool, tmp_path_factory: Any
) -> None:
    """Forgetting the sync state of a document not held yet costs a round trip, never the document."""
    root = tmp_path_factory.mktemp("bound")
    ana, held_a = with_projects(root / "a", "Ana", 6)
    ben, held_b = with_projects(root / "b", "Ben", 3)
    limits = DEFAULT_LIMITS.replace(session_max_unknown_documents=cap)
    a, b = session_of(ana, limits), session_of(ben, limits)
    first, second = (a, b) if ana_opens else (b, a)

    def bounded() -> None:
        assert a.unknown_documents <= cap and b.unknown_documents <= cap

    pump(first, second, random.Random(seed), watch=bounded)
    everything = {ana.peer_id, ben.peer_id, *held_a, *held_b}
    assert set(ana.repo.doc_ids()) == set(ben.repo.doc_ids()) == everything
    for doc_id in everything:
        assert ana.repo.open(doc_id).heads() == ben.repo.open(doc_id).heads()


def test_comparing_a_summary_with_what_is_held_goes_in_turns_too(tmp_path: Path) -> None:
    """The side that does not open the syncs compares every entry with what it holds and sends nothing:
    that comparison too is cut into turns (seen from the order of the work, not from its time)."""
    ws = Workspace.create(tmp_path / "a", "Ana")
    asked_in_turn: list[int] = []
    turn = [0]

    class CountingHost(SyncHost):
        def wants(self, doc_id: str) -> bool:
            asked_in_turn.append(turn[0])
            return super().wants(doc_id)

    limits = DEFAULT_LIMITS.replace(session_turn_ms=0)  # every turn ends at its first chance
    session = Session(CountingHost(ws.repo, limits=limits), peer_key=secrets.token_bytes(32))
    session.start()
    session.receive(pack({"t": "digest", "d": b"\x00" * 32}))  # the peer's is smaller: it opens
    produced = session.receive(
        pack({"t": "summary", "docs": [[d, b"\x01" * 8] for d in project_ids(3000)]}), one_turn=True
    )
    while session.pending_work:
        turn[0] += 1
        produced += session.work()
    assert produced == []  # not the opener: nothing to send
    assert len(asked_in_turn) == 3000  # every entry is a document we lack: each was weighed
    per_turn = Counter(asked_in_turn)
    assert max(per_turn.values()) <= 64, f"one turn compared {max(per_turn.values())} entries"
    assert session.settled is False and not session.pending_work
