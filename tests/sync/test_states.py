"""The session's states as a table (`sync.states`): every (state, event) pair, the table in
docs/sync-protocol.md, and real sessions walking through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.automerge.crdt import ROOT_ID
from reliance.doc import participant
from reliance.identity import Identity
from reliance.replication.docstore import MemoryStore
from reliance.replication.protocol import InSync, Session, SyncHost
from reliance.replication.states import TRANSITIONS, Event, SessionStateError, State, next_state
from tests.sync.sessions import pack

S, E = State, Event
TALKING = (S.IDLE, S.DIGEST_SENT, S.SUMMARY_SENT, S.SYNCING, S.IN_SYNC)

# Every pair that may happen, and where it leads; any other pair is a bug of the session.
EXPECTED: dict[tuple[State, Event], State] = {
    (S.IDLE, E.START): S.DIGEST_SENT,
    **{(s, E.DIGESTS_EQUAL): S.IN_SYNC for s in TALKING},
    **{(s, E.DIGESTS_DIFFER): S.SUMMARY_SENT for s in TALKING},
    **{(s, E.SUMMARY_ALL_SAME): S.IN_SYNC for s in TALKING},
    **{(s, E.SUMMARY_SOME_DIFFER): S.SYNCING for s in TALKING},
    **{(s, E.SYNC): s for s in TALKING},
    **{(s, E.LOCAL_CHANGE): s for s in TALKING},
    (S.SYNCING, E.ALL_SETTLED): S.IN_SYNC,
    **{(s, E.BREACH): S.REFUSED for s in (*TALKING, S.REFUSED_BY_PEER, S.REFUSED)},
    **{(s, E.REJECT): S.REFUSED_BY_PEER for s in TALKING},
    **{(S.REFUSED_BY_PEER, e): S.REFUSED_BY_PEER for e in Event if e not in (E.START, E.BREACH)},
}


@pytest.mark.parametrize(("state", "event"), [(s, e) for s in State for e in Event])
def test_every_state_and_event(state: State, event: Event) -> None:
    if (state, event) in EXPECTED:
        assert next_state(state, event) is EXPECTED[state, event]
    else:
        with pytest.raises(SessionStateError):
            next_state(state, event)


def test_once_refused_nothing_but_a_breach_is_expected() -> None:
    assert [e for (s, e) in TRANSITIONS if s is S.REFUSED] == [E.BREACH]


def test_the_table_in_the_protocol_document_is_the_sessions() -> None:
    text = (Path(__file__).parents[2] / "docs" / "sync-protocol.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- session-states: begin -->\n(.*?)<!-- session-states: end -->", text, re.S)
    assert block is not None
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block[1].splitlines()]
    header, rows = rows[0], rows[2:]
    assert header[1:] == [e.value for e in Event]
    shown: dict[tuple[State, Event], State] = {}
    for row in rows:
        state = State(row[0].strip("*"))
        for event, cell in zip(Event, row[1:], strict=True):
            if cell != "—":
                shown[state, event] = state if cell == "=" else State(cell)
    assert [State(r[0].strip("*")) for r in rows] == list(State)
    assert shown == TRANSITIONS


# -- real sessions (documents in memory) ---------------------------------------------------------------------


def person(name: str) -> Identity:
    return Identity(Ed25519PrivateKey.generate(), name, "2026-01-01T00:00:00Z")


def node(who: Identity, edits: int = 0) -> SyncHost:
    store = MemoryStore(who.public_key)
    doc = store.open(who.peer_id, create=True)
    doc.local_change(who.sign, lambda w: participant.genesis(w, who.peer_id, who.name))
    for i in range(edits):
        doc.local_change(who.sign, lambda w, i=i: w.put(ROOT_ID, f"k{i}", i))
    return SyncHost(store)


def exchange(a: Session, b: Session, frames_to_b: list[bytes], trace: list[tuple[State, State]]) -> None:
    """Deliver frames (in order, both ways) until quiet; record both states after each delivery."""
    to_a: list[bytes] = []
    to_b = list(frames_to_b)
    while to_a or to_b:
        if to_b:
            to_a += b.receive(to_b.pop(0))
        else:
            to_b += a.receive(to_a.pop(0))
        trace.append((a.state, b.state))


def test_two_sessions_with_different_documents_walk_digest_summary_syncing_in_sync() -> None:
    alice, bob = person("Alice"), person("Bob")
    a = Session(node(alice, 3), peer_key=bob.public_key)
    b = Session(node(bob), peer_key=alice.public_key)
    assert a.state is b.state is S.IDLE
    to_b = a.start()
    to_a = b.start()
    assert a.state is b.state is S.DIGEST_SENT
    summaries = a.receive(to_a[0])
    assert a.state is S.SUMMARY_SENT
    trace: list[tuple[State, State]] = []
    exchange(a, b, to_b + summaries, trace)
    seen = {state for pair in trace for state in pair}
    assert {S.SUMMARY_SENT, S.SYNCING, S.IN_SYNC} <= seen
    assert a.state is b.state is S.IN_SYNC and a.settled and b.settled
    assert any(isinstance(e, InSync) for e in a.pop_events())
    # Live changes keep the state.
    a.host.repo.open(alice.peer_id).local_change(alice.sign, lambda w: w.put(ROOT_ID, "late", 1))
    exchange(a, b, a.local_change(alice.peer_id), trace)
    assert a.state is b.state is S.IN_SYNC
    assert a.host.repo.open(alice.peer_id).heads() == b.host.repo.open(alice.peer_id).heads()


def test_equal_digests_end_in_sync_at_once() -> None:
    alice, bob = person("Alice"), person("Bob")
    a = Session(node(alice), peer_key=bob.public_key)
    b = Session(SyncHost(MemoryStore(bob.public_key)), peer_key=alice.public_key)
    # The same documents on both sides (Bob holds only Alice's): nothing but the digests.
    b.host.repo.open(alice.peer_id, create=True).add_verified(
        a.host.repo.open(alice.peer_id).signed_changes()
    )
    to_b, to_a = a.start(), b.start()
    assert b.receive(to_b[0]) == [] and a.receive(to_a[0]) == []
    assert a.state is b.state is S.IN_SYNC


def test_a_malformed_frame_refuses_the_peer_and_a_reject_silences_us() -> None:
    alice, bob = person("Alice"), person("Bob")
    a = Session(node(alice, 1), peer_key=bob.public_key)
    b = Session(node(bob), peer_key=alice.public_key)
    reject = a.receive(pack({"t": "digest", "d": b"short"}))
    assert a.state is S.REFUSED and a.refused
    assert a.receive(pack({"t": "digest", "d": b"\0" * 32})) == []  # ignored from now on
    b.start()
    b.receive(reject[0])
    assert b.state is S.REFUSED_BY_PEER and b.refused_by_peer
    assert b.local_change(bob.peer_id) == []  # nothing more is offered
