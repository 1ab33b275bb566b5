"""The sans-IO sync session between real homes over in-memory channels: convergence, relaying,
blocking, live propagation, and every attack of the threat list (rejected, nothing applied, node
still working)."""

from __future__ import annotations

import random
import secrets
import tempfile
import zlib
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.automerge import wire
from reliance.automerge.crdt import ROOT_ID, ChangeInfo, Writer
from reliance.doc import project as pdoc
from reliance.errors import ModelError
from reliance.limits import DEFAULT_LIMITS
from reliance.model.catalogue import Item, ItemKind
from reliance.replication import canonical
from reliance.replication.protocol import (
    BatchRefused,
    ChangesReceived,
    InSync,
    RefusedByPeer,
    Session,
)
from reliance.replication.syncmessages import _plain_change_headers, needed_signatures
from reliance.store.repository import SignedChange
from tests.sync.hostile import (
    find_panic_change,
    forge_sync_frame,
    hand_made_entry,
    project_with_member,
    raw_edit,
    snapshot,
    sync_frame,
    tamper,
)
from tests.sync.memnet import MemNet, Node, pair, sync_once


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=f"about {title}")


def content(node: Node, doc_id: str) -> object:
    return node.doc(doc_id).crdt.read()


def assert_same(nodes: list[Node], doc_ids: list[str] | None = None) -> None:
    first = nodes[0]
    ids = doc_ids if doc_ids is not None else first.ws.repo.doc_ids()
    for doc_id in ids:
        for other in nodes[1:]:
            assert other.holds(doc_id), f"{other.name} lacks {doc_id}"
            assert other.heads(doc_id) == first.heads(doc_id), f"{other.name} differs on {doc_id}"
            assert content(other, doc_id) == content(first, doc_id)
            assert not other.doc(doc_id).pending


# -- convergence ---------------------------------------------------------------------------------------------


def test_two_sessions_converge_and_know_it(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    alice.ws.add_item(offer("bread"))
    bob.ws.add_item(offer("repairs"))
    bob.ws.set_code("valeurs", "entraide")
    pid = projects.create_project(alice.ws, "four")
    projects.add_member(alice.ws, pid, bob.peer_id)
    link = net.connect(alice, bob)
    net.pump()
    assert not link.refusals()
    assert_same([alice, bob], [alice.peer_id, bob.peer_id, pid])
    assert {i.title for i in bob.ws.items()} == {"bread", "repairs"}
    for doc_id in (alice.peer_id, bob.peer_id, pid):
        assert link.sa.in_sync(doc_id), doc_id
        assert link.sb.in_sync(doc_id), doc_id
    received = [e for e in link.events_b if isinstance(e, ChangesReceived)]
    assert {e.doc_id for e in received} == {alice.peer_id, pid}
    assert all(e.created for e in received)
    # Each side reports the end of the round.
    assert isinstance(link.events_a[-1], InSync) and isinstance(link.events_b[-1], InSync)


def test_a_second_meeting_costs_only_the_digests(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    alice.ws.add_item(offer("bread"))
    sync_once(alice, bob, net)
    link = net.connect(alice, bob)
    assert net.pump() == 2
    assert isinstance(link.events_a[0], InSync) and isinstance(link.events_b[0], InSync)
    assert link.sa.bytes_out < 100 and link.sb.bytes_out < 100
    assert all(link.sa.in_sync(d) and link.sb.in_sync(d) for d in (alice.peer_id, bob.peer_id))


def test_each_change_crosses_the_wire_once(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    sync_once(alice, bob, net)
    doc = alice.ws.my_doc()
    for i in range(200):
        doc.local_change(alice.ws.identity.sign, lambda w, i=i: w.put(ROOT_ID, f"k{i}", i))
    changes_bytes = sum(len(c.info.chunk) for c in doc.signed_changes(bob.heads(alice.peer_id)))
    link = net.connect(alice, bob)
    net.pump()
    assert link.sb.received_changes == 200
    assert link.sa.sent_changes + link.sb.sent_changes == 200
    assert link.sa.bytes_out + link.sb.bytes_out < 1.2 * changes_bytes
    assert_same([alice, bob], [alice.peer_id])


def test_three_sessions_converge(tmp_path: Path) -> None:
    net = MemNet(tmp_path)
    nodes = [net.node(name) for name in ("Alice", "Bob", "Chloé")]
    pid = projects.create_project(nodes[0].ws, "jardin")
    for other in nodes[1:]:
        projects.add_member(nodes[0].ws, pid, other.peer_id)
    for node in nodes:
        node.ws.add_item(offer(f"seeds from {node.name}"))
    net.connect(nodes[0], nodes[1])
    net.connect(nodes[1], nodes[2])
    net.connect(nodes[2], nodes[0])
    net.pump()
    assert not net.refusals()
    for node in nodes[1:]:
        projects.contribute(node.ws, pid, "time", 30, "min", note=node.name)
        node.changed(pid)
    net.pump()
    assert not net.refusals()
    assert_same(nodes)
    assert len(projects.ledger(nodes[0].ws, pid)) == 2


def test_a_third_partys_document_reaches_a_node_through_a_relay(tmp_path: Path) -> None:
    net = MemNet(tmp_path)
    alice, relay, chloe = net.node("Alice"), net.node("Relay"), net.node("Chloé")
    alice.ws.add_item(offer("bread"))
    sync_once(alice, relay, net)  # Alice goes home; she never meets Chloé
    link = net.connect(relay, chloe)
    net.pump()
    assert not link.refusals()
    assert_same([alice, relay, chloe], [alice.peer_id])
    assert [i.title for i in chloe.ws.items() if i.author == alice.peer_id] == ["bread"]


def test_live_change_reaches_a_connected_peer_and_its_peers(tmp_path: Path) -> None:
    net = MemNet(tmp_path)
    alice, bob, chloe = net.node("Alice"), net.node("Bob"), net.node("Chloé")
    ab = net.connect(alice, bob)
    bc = net.connect(bob, chloe)
    net.pump()
    assert ab.sa.in_sync(alice.peer_id) and bc.sb.in_sync(alice.peer_id)
    alice.ws.add_item(offer("a bike pump"))
    assert not ab.sa.in_sync(alice.peer_id)
    alice.changed(alice.peer_id)  # what the node does after a local edit
    assert net.pump() > 0
    assert [i.title for i in chloe.ws.items() if i.author == alice.peer_id] == ["a bike pump"]
    assert ab.sa.in_sync(alice.peer_id) and ab.sb.in_sync(alice.peer_id)
    assert bc.sa.in_sync(alice.peer_id) and bc.sb.in_sync(alice.peer_id)
    assert not net.refusals()


def test_in_sync_is_true_on_both_sides_after_a_completed_exchange(tmp_path: Path) -> None:
    # Regression: the receiver fed automerge the peer's heads after applying the changes itself, so
    # automerge believed the peer already knew its new heads and never said so: the sender's
    # in_sync stayed False forever.
    net, alice, bob = pair(tmp_path)
    pid = projects.create_project(alice.ws, "p", visibility="public")
    link = net.connect(alice, bob)
    net.pump()
    for doc_id in (alice.peer_id, bob.peer_id, pid):
        assert link.sa.in_sync(doc_id) and link.sb.in_sync(doc_id), doc_id
    assert link.sa.peer_heads[pid] == tuple(bob.heads(pid))


def test_summary_opening_is_decided_by_one_side_only(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    alice.ws.add_item(offer("x"))
    link = net.connect(alice, bob)
    net.pump(steps=2)  # the two digests
    net.pump(steps=2)  # the two summaries
    opened = [f for f in list(link.to_a) + list(link.to_b) if msgpack.unpackb(f)["t"] == "sync"]
    # Two documents differ (each side's own); one side opens both, the other waits.
    assert len(opened) == 2
    assert not (link.to_a and link.to_b)
    net.pump()
    assert_same([alice, bob])


# -- property: random operations, delivery, duplication and reconnection -------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["item", "code", "contribute", "member", "connect", "disconnect", "deliver"]),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(1, 12),
    ),
    min_size=4,
    max_size=22,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, seed=st.integers(0, 2**32 - 1), duplicate=st.sampled_from([0.0, 0.2]))
def test_random_operations_and_deliveries_converge(
    ops: list[tuple[str, int, int, int]], seed: int, duplicate: float
) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        net = MemNet(Path(tmp))
        nodes = [net.node(name) for name in ("Alice", "Bob", "Chloé")]
        steward = nodes[0]
        pid = projects.create_project(steward.ws, "commun", visibility="public")  # every node holds it
        projects.add_member(steward.ws, pid, nodes[1].peer_id)
        for kind, i, j, n in ops:
            node = nodes[i]
            if kind == "item":
                node.ws.add_item(offer(f"{node.name} {n}"))
                node.changed(node.peer_id)
            elif kind == "code":
                node.ws.set_code("valeurs", f"{node.name} says {n}")
                node.changed(node.peer_id)
            elif kind == "contribute" and node.holds(pid):
                try:
                    projects.contribute(node.ws, pid, "time", n, "min")
                except ModelError:  # not (or no longer) a member as far as this node knows
                    continue
                node.changed(pid)
            elif kind == "member":
                target = nodes[j]
                if target is steward:
                    continue
                role = pdoc.role_of(steward.doc(pid).crdt, target.peer_id)
                if role is None:
                    projects.add_member(steward.ws, pid, target.peer_id)
                else:
                    projects.remove_member(steward.ws, pid, target.peer_id)
                steward.changed(pid)
            elif kind == "connect" and i != j:
                net.connect(nodes[i], nodes[j])
            elif kind == "disconnect" and net.links:
                net.disconnect(net.links[n % len(net.links)])
            elif kind == "deliver":
                net.pump(rng, duplicate=duplicate, steps=n)
        assert not net.refusals(), net.refusals()
        # Heal: everyone reconnects (a chain is enough to carry everything) and talks until quiet.
        net.disconnect_all()
        order = nodes[:]
        rng.shuffle(order)
        net.connect(order[0], order[1])
        net.connect(order[1], order[2])
        net.pump(rng, duplicate=duplicate)
        assert not net.refusals(), net.refusals()
        assert_same(nodes)
        assert_same(nodes[::-1])
        for link in net.links:
            for doc_id in nodes[0].ws.repo.doc_ids():
                assert link.sa.in_sync(doc_id) and link.sb.in_sync(doc_id)


# -- blocking ------------------------------------------------------------------------------------------------


def test_blocked_keys_are_neither_accepted_nor_relayed(tmp_path: Path) -> None:
    net = MemNet(tmp_path)
    mallory, relay, chloe = net.node("Mallory"), net.node("Relay"), net.node("Chloé")
    mallory.ws.add_item(offer("spam"))
    relay.blocked.add(mallory.key)
    link = net.connect(mallory, relay)
    net.pump()
    assert not relay.holds(mallory.peer_id)
    assert not link.refusals()  # blocking is silent: nothing accepted, nobody blamed
    net.disconnect(link)
    # The relay already held Mallory's document before blocking her: it does not pass it on.
    relay.blocked.clear()
    sync_once(mallory, relay, net)
    assert relay.holds(mallory.peer_id)
    relay.blocked.add(mallory.key)
    sync_once(relay, chloe, net)
    assert not chloe.holds(mallory.peer_id)
    assert chloe.holds(relay.peer_id)


def test_blocked_members_changes_are_dropped_from_a_shared_project_even_through_a_relay(
    tmp_path: Path,
) -> None:
    net = MemNet(tmp_path)
    alice, mallory, relay, chloe = (net.node(n) for n in ("Alice", "Mallory", "Relay", "Chloé"))
    pid = projects.create_project(alice.ws, "p", visibility="public")  # the relay and Chloé hold it too
    projects.add_member(alice.ws, pid, mallory.peer_id)
    sync_once(alice, mallory, net)
    projects.contribute(mallory.ws, pid, "time", 5, "min", note="from mallory")
    sync_once(alice, mallory, net)  # Alice now holds Mallory's entry
    projects.contribute(alice.ws, pid, "time", 7, "min", note="independent")
    # Chloé blocks Mallory and hears of the project only through a relay that does not.
    chloe.blocked.add(mallory.key)
    sync_once(alice, relay, net)
    assert len(projects.ledger(relay.ws, pid)) == 2
    sync_once(relay, chloe, net)
    notes = {row["note"] for row in projects.ledger(chloe.ws, pid)}
    assert "from mallory" not in notes
    # And a relay that blocks Mallory does not pass her changes on.
    relay2 = net.node("Relay2")
    relay2.blocked.add(mallory.key)
    sync_once(alice, relay2, net)
    assert "from mallory" not in {row["note"] for row in projects.ledger(relay2.ws, pid)}
    dana = net.node("Dana")
    sync_once(relay2, dana, net)
    assert dana.holds(pid)
    assert "from mallory" not in {row["note"] for row in projects.ledger(dana.ws, pid)}
    for node in (chloe, relay2, dana):
        mallory_changes = [c for c in node.doc(pid).signed_changes() if c.info.actor == mallory.key]
        assert not mallory_changes


# -- attacks: each is refused, nothing of it is applied, the node keeps working ------------------------------


def attack(victim: Node, frames: list[bytes]) -> tuple[list[bytes], list[object]]:
    """Deliver hostile frames on a fresh connection; return what the victim answered and reported."""
    session = Session(victim.host, peer_key=secrets.token_bytes(32))  # a stranger
    replies: list[bytes] = []
    for frame in frames:
        replies.extend(session.receive(frame))
    return replies, session.pop_events()


def assert_refused(replies: list[bytes], events: list[object], *words: str) -> str:
    refusals = [e for e in events if isinstance(e, BatchRefused)]
    assert len(refusals) == 1, events
    assert [msgpack.unpackb(r)["t"] for r in replies] == ["reject"]
    reason = refusals[0].reason
    for word in words:
        assert word in reason, reason
    assert not [e for e in events if isinstance(e, ChangesReceived)]
    return reason


def assert_still_working(victim: Node, net: MemNet, doc_id: str) -> None:
    """An honest peer still syncs with the victim, and the victim can still write."""
    victim.ws.add_item(offer(f"after the attack on {victim.name}"))
    honest = net.node(f"honest-{len(net.nodes)}")
    sync_once(victim, honest, net)
    assert_same([victim, honest], [victim.peer_id, doc_id])


def test_forged_signature_is_refused(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    sync_once(alice, bob, net)
    alice.ws.add_item(offer("genuine"))
    change = alice.doc(alice.peer_id).signed_changes(bob.heads(alice.peer_id))[0]
    before = snapshot(bob, alice.peer_id)
    mallory_key = net.node("Mallory").ws.identity
    for signature in (mallory_key.sign(change.info.hash), bytes(64), alice.ws.identity.sign(b"other")):
        replies, events = attack(bob, [forge_sync_frame(alice.peer_id, change.info.chunk, signature)])
        assert_refused(replies, events, "forged signature")
        assert snapshot(bob, alice.peer_id) == before
    # Without any signature, the change is not authenticated either.
    replies, events = attack(bob, [sync_frame(alice.peer_id, [change.info.chunk])])
    assert_refused(replies, events, "neither signed nor covered")
    assert snapshot(bob, alice.peer_id) == before
    assert_still_working(bob, net, alice.peer_id)


def test_change_by_a_non_member_is_refused(tmp_path: Path) -> None:
    cast = project_with_member(tmp_path)
    hand_made_entry(cast.mallory.ws, cast.pid, 600)
    before = snapshot(cast.alice, cast.pid)
    link = cast.net.connect(cast.mallory, cast.alice)
    cast.net.pump()
    refusals = [e for e in link.events_b if isinstance(e, BatchRefused)]
    assert len(refusals) == 1 and "is not a member" in refusals[0].reason
    assert any(isinstance(e, RefusedByPeer) for e in link.events_a)  # the sender is told
    assert snapshot(cast.alice, cast.pid) == before
    cast.net.disconnect(link)
    assert_still_working(cast.alice, cast.net, cast.pid)


def test_member_changing_membership_is_refused(tmp_path: Path) -> None:
    cast = project_with_member(tmp_path)
    raw_edit(
        cast.bob.ws, cast.pid, lambda w: pdoc.set_member(w, cast.mallory.peer_id, "steward", cast.bob.peer_id)
    )
    before = snapshot(cast.alice, cast.pid)
    frames = [
        sync_frame(cast.pid, [c.info.chunk], [(c.info.hash, c.signature)])
        for c in _new(cast.bob, cast.alice, cast.pid)
    ]
    replies, events = attack(cast.alice, frames)
    assert_refused(replies, events, "'members'", "not a steward")
    assert snapshot(cast.alice, cast.pid) == before
    assert pdoc.role_of(cast.alice.doc(cast.pid).crdt, cast.mallory.peer_id) is None
    assert_still_working(cast.alice, cast.net, cast.pid)


def test_edit_of_an_existing_ledger_entry_is_refused(tmp_path: Path) -> None:
    cast = project_with_member(tmp_path)
    entry_id = projects.contribute(cast.bob.ws, cast.pid, "time", 60, "min", note="one hour")
    sync_once(cast.bob, cast.alice, cast.net)

    def inflate(w: Writer) -> None:
        ledger = w.child(ROOT_ID, "ledger")
        assert ledger is not None
        obj = w.child(ledger, entry_id)
        assert obj is not None
        w.put(obj, "amount", 6000)

    raw_edit(cast.bob.ws, cast.pid, inflate)
    before = snapshot(cast.alice, cast.pid)
    link = cast.net.connect(cast.bob, cast.alice)
    cast.net.pump()
    refusals = [e for e in link.events_b if isinstance(e, BatchRefused)]
    assert len(refusals) == 1 and f"modifies existing 'ledger' record {entry_id}" in refusals[0].reason
    assert snapshot(cast.alice, cast.pid) == before
    assert [row["amount"] for row in projects.ledger(cast.alice.ws, cast.pid)] == [60]
    cast.net.disconnect(link)
    assert_still_working(cast.alice, cast.net, cast.pid)


def test_tampered_change_with_recomputed_checksum_is_refused(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    sync_once(alice, bob, net)
    alice.ws.add_item(offer("ten loaves"))
    change = alice.doc(alice.peer_id).signed_changes(bob.heads(alice.peer_id))[0]
    tampered = tamper(change.info.chunk)
    assert wire.parse_change(tampered).hash != change.info.hash
    before = snapshot(bob, alice.peer_id)
    # With the original signature presented for the new hash, and with no signature at all.
    frames = [
        sync_frame(alice.peer_id, [tampered], [(wire.parse_change(tampered).hash, change.signature)]),
    ]
    replies, events = attack(bob, frames)
    assert_refused(replies, events, "forged signature")
    replies, events = attack(
        bob, [sync_frame(alice.peer_id, [tampered], [(change.info.hash, change.signature)])]
    )
    assert_refused(replies, events, "neither signed nor covered")
    assert snapshot(bob, alice.peer_id) == before
    assert_still_working(bob, net, alice.peer_id)


def test_tampered_ancestor_is_not_covered_by_a_genuine_descendant(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    sync_once(alice, bob, net)
    alice.ws.add_item(offer("one"))
    alice.ws.add_item(offer("two"))
    first, second = alice.doc(alice.peer_id).signed_changes(bob.heads(alice.peer_id))
    # The genuine second change depends on the genuine first one, not on a tampered copy of it.
    frame = sync_frame(
        alice.peer_id, [tamper(first.info.chunk), second.info.chunk], [(second.info.hash, second.signature)]
    )
    before = snapshot(bob, alice.peer_id)
    replies, events = attack(bob, [frame])
    assert_refused(replies, events, "neither signed nor covered")
    assert snapshot(bob, alice.peer_id) == before


def test_replayed_batch_applies_nothing_twice(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path)
    sync_once(alice, bob, net)
    alice.ws.add_item(offer("bread"))
    recorded: list[bytes] = []
    link = net.connect(alice, bob)
    while link.to_a or link.to_b:
        if link.to_b:
            recorded.append(link.to_b[0])
            link.deliver(to_a=False)
        else:
            link.deliver(to_a=True)
    net.disconnect(link)
    carrying = [
        f
        for f in recorded
        if msgpack.unpackb(f)["t"] == "sync" and wire.decode_sync_message(msgpack.unpackb(f)["m"]).changes
    ]
    assert carrying
    before = snapshot(bob, alice.peer_id)
    replies, events = attack(bob, recorded)
    assert not [e for e in events if isinstance(e, BatchRefused | ChangesReceived)]
    assert snapshot(bob, alice.peer_id) == before  # not even a duplicate record in the log
    # Replaying Alice's signed change into someone else's document is refused outright.
    change = alice.doc(alice.peer_id).signed_changes()[-1]
    replies, events = attack(bob, [forge_sync_frame(bob.peer_id, change.info.chunk, change.signature)])
    assert_refused(replies, events, "only its owner may write")
    assert_still_working(bob, net, alice.peer_id)


def test_change_whose_dependencies_never_arrive_is_buffered_and_kept(tmp_path: Path) -> None:
    net, alice, bob = pair(tmp_path, on_disk=True)  # a restart reads the buffer back from disk
    sync_once(alice, bob, net)
    alice.ws.add_item(offer("first"))
    alice.ws.add_item(offer("second"))
    first, second = alice.doc(alice.peer_id).signed_changes(bob.heads(alice.peer_id))
    before = snapshot(bob, alice.peer_id)
    _replies, events = attack(bob, [forge_sync_frame(alice.peer_id, second.info.chunk, second.signature)])
    assert not [e for e in events if isinstance(e, BatchRefused)]
    assert [(e.applied, e.pending) for e in events if isinstance(e, ChangesReceived)] == [(0, 1)]
    doc = bob.doc(alice.peer_id)
    assert doc.heads() == before.heads and doc.crdt.read() == before.content  # not applied
    assert set(doc.pending) == {second.info.hash}
    assert not any(i.title == "second" for i in bob.ws.items())
    # A restart (a new process opening the same home) still has it waiting.
    from reliance.app.workspace import Workspace

    reopened = Workspace.open(bob.ws.home)
    assert set(reopened.repo.open(alice.peer_id).pending) == {second.info.hash}
    assert reopened.repo.open(alice.peer_id).heads() == before.heads
    # When the missing change finally comes, both apply, in order.
    _, events = attack(bob, [forge_sync_frame(alice.peer_id, first.info.chunk, first.signature)])
    assert [(e.applied, e.pending) for e in events if isinstance(e, ChangesReceived)] == [(2, 0)]
    assert bob.heads(alice.peer_id) == alice.heads(alice.peer_id)
    assert not bob.doc(alice.peer_id).pending
    assert {"first", "second"} <= {i.title for i in bob.ws.items()}
    assert_still_working(bob, net, alice.peer_id)


def test_change_that_panics_automerge_is_refused_before_automerge_reads_it(tmp_path: Path) -> None:
    """The panicking change of the fixture is not automerge's own encoding of itself: the door refuses
    it, and the document is never poisoned."""
    case = find_panic_change()
    net = MemNet(tmp_path)
    bob = net.node("Bob")
    attack(bob, [sync_frame(case.doc_id, case.base, [case.sign(case.base[-1])])])
    held = bob.doc(case.doc_id)
    replies, events = attack(bob, [sync_frame(case.doc_id, [case.panic], [case.sign(case.panic)])])
    assert_refused(replies, events, "automerge's encoding")
    assert bob.doc(case.doc_id) is held and not held.crdt.poisoned


def test_change_that_panics_automerge_reloads_the_document_and_reports_the_peer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should automerge panic on a change that passes every check, the document is reloaded from disk
    and the peer reported. No such change is known: the check that refuses the fixture is switched off."""
    monkeypatch.setattr(canonical, "check", lambda stored, fresh, **_: canonical.Verdict(None, {}))
    case = find_panic_change()
    net = MemNet(tmp_path)
    bob = net.node("Bob")
    doc_id = case.doc_id
    base = [sync_frame(doc_id, case.base, [case.sign(case.base[-1])])]
    replies, events = attack(bob, base)
    assert [e.applied for e in events if isinstance(e, ChangesReceived)] == [len(case.base)]
    before = snapshot(bob, doc_id)
    stale = bob.doc(doc_id)
    replies, events = attack(bob, [sync_frame(doc_id, [case.panic], [case.sign(case.panic)])])
    reason = assert_refused(replies, events, "reloaded from disk")
    assert "automerge" in reason
    fresh = bob.doc(doc_id)
    assert fresh is not stale and not fresh.crdt.poisoned  # the poisoned copy was dropped
    assert snapshot(bob, doc_id) == before
    assert bob.doc(doc_id).crdt.read() == before.content
    # The node keeps working, on that very document too.
    assert_still_working(bob, net, bob.peer_id)
    other = net.node("Chloé")
    sync_once(bob, other, net)
    assert other.heads(doc_id) == before.heads


def test_message_over_the_size_limit_is_refused_before_any_decompression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net, alice, bob = pair(tmp_path)
    bomb_body = zlib.compressobj(9, zlib.DEFLATED, -15).compress(bytes(50_000_000))
    bomb = wire.CHUNK_MAGIC + b"\0\0\0\0" + bytes([2]) + wire.write_uleb128(len(bomb_body)) + bomb_body
    frame = sync_frame(alice.peer_id, [bomb], heads=[])
    assert len(frame) > 4096
    calls: list[str] = []
    real_unpackb = msgpack.unpackb

    def spy_unpackb(*args: object, **kwargs: object) -> object:
        calls.append("unpackb")
        return real_unpackb(*args, **kwargs)

    def no_inflate(*args: object, **kwargs: object) -> object:
        raise AssertionError("decompression attempted")

    monkeypatch.setattr(msgpack, "unpackb", spy_unpackb)
    monkeypatch.setattr(zlib, "decompressobj", no_inflate)
    session = Session(
        bob.host, peer_key=secrets.token_bytes(32), limits=DEFAULT_LIMITS.replace(max_frame=4096)
    )
    replies = session.receive(frame)
    assert calls == []
    (refused,) = session.pop_events()
    assert isinstance(refused, BatchRefused) and "limit" in refused.reason
    monkeypatch.undo()
    assert [msgpack.unpackb(r)["t"] for r in replies] == ["reject"]
    assert session.receive(frame) == []  # the connection is done
    assert_still_working(bob, net, bob.peer_id)


def test_compressed_change_is_inflated_only_up_to_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, alice, bob = pair(tmp_path)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb_body = compressor.compress(bytes(5_000_000)) + compressor.flush()
    bomb = wire.CHUNK_MAGIC + b"\0\0\0\0" + bytes([2]) + wire.write_uleb128(len(bomb_body)) + bomb_body
    inflated: list[int] = []
    real_decompressobj = zlib.decompressobj

    def spy_decompressobj(*args: object, **kwargs: object) -> object:
        inflater = real_decompressobj(*args, **kwargs)  # type: ignore[arg-type]

        class Spy:
            def __getattr__(self, name: str) -> object:
                return getattr(inflater, name)

            def decompress(self, data: bytes, max_length: int = 0) -> bytes:
                out = inflater.decompress(data, max_length)
                inflated.append(len(out))
                return out

        return Spy()

    monkeypatch.setattr(zlib, "decompressobj", spy_decompressobj)
    limits = DEFAULT_LIMITS.replace(max_change_bytes=64 * 1024)
    session = Session(bob.host, peer_key=secrets.token_bytes(32), limits=limits)
    replies = session.receive(sync_frame(alice.peer_id, [bomb], heads=[]))
    assert_refused(replies, session.pop_events(), "inflates beyond")
    assert inflated and max(inflated) <= 64 * 1024 + 1
    assert not bob.holds(alice.peer_id)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\xc1",
        msgpack.packb([1, 2, 3]),
        msgpack.packb({"t": "sync", "d": "not a doc", "m": b"", "s": []}),
        msgpack.packb({"t": "sync", "d": "pj" + "0" * 32, "m": b"\x42\x05", "s": []}),
        msgpack.packb({"t": "sync", "d": "pj" + "0" * 32, "m": b"\x42\x00\x00\x00\x00", "s": [[b"x", b"y"]]}),
        msgpack.packb({"t": "summary", "docs": [["pj" + "0" * 32]]}),
        msgpack.packb({"t": "summary", "docs": [["rl" + "a" * 56, bytes(8)]]}),
        msgpack.packb({"t": "digest", "d": b"short"}),
    ],
    ids=[
        "empty",
        "reserved-byte",
        "not-a-map",
        "bad-doc-id",
        "truncated-message",
        "bad-signatures",
        "bad-summary",
        "summary-peer-id-typo",
        "bad-digest",
    ],
)
def test_malformed_frames_are_refused_and_nothing_breaks(tmp_path: Path, frame: bytes) -> None:
    net, _, bob = pair(tmp_path)
    replies, events = attack(bob, [frame])
    assert_refused(replies, events)
    assert_still_working(bob, net, bob.peer_id)


def test_unknown_frame_types_are_ignored(tmp_path: Path) -> None:
    _, _, bob = pair(tmp_path)
    replies, events = attack(bob, [msgpack.packb({"t": "future-feature", "x": 1})])
    assert replies == [] and events == []


# -- causal authorisation under concurrency ------------------------------------------------------------------


def test_member_removed_concurrently_with_their_own_change_is_accepted_everywhere(tmp_path: Path) -> None:
    """Authorisation looks at the state at the change's dependencies: Bob's entry was made while he
    was a member as far as its history goes, so every node accepts it, whatever the order in which
    they learn of the removal; and every node shows it as not counted (strong removal). Once Bob has
    seen his removal, his new changes are refused."""
    cast = project_with_member(tmp_path)
    alice, bob, pid = cast.alice, cast.bob, cast.pid
    projects.remove_member(alice.ws, pid, bob.peer_id)  # Alice removes Bob...
    entry = projects.contribute(
        bob.ws, pid, "time", 90, "min", note="concurrent"
    )  # ...while Bob works offline
    chloe = cast.net.node("Chloé")
    sync_once(alice, chloe, cast.net)  # Chloé learns of the removal first,
    sync_once(bob, chloe, cast.net)  # then receives Bob's concurrent entry: accepted
    sync_once(chloe, alice, cast.net)
    sync_once(chloe, bob, cast.net)
    for node in (alice, bob, chloe):
        ledger = projects.ledger(node.ws, pid)
        assert [row["id"] for row in ledger] == [entry]
        assert not ledger[0]["counted"] and "removed" in ledger[0]["not_counted"]
        assert projects.balances(node.ws, pid)[0] == {}
        assert pdoc.role_of(node.doc(pid).crdt, bob.peer_id) is None
    assert_same([alice, bob, chloe], [pid])
    # Bob now knows he was removed: the library refuses, and a hand-made change is refused by peers.
    with pytest.raises(ModelError):
        projects.contribute(bob.ws, pid, "time", 10, "min")
    hand_made_entry(bob.ws, pid, 10)
    link = cast.net.connect(bob, alice)
    cast.net.pump()
    assert any(isinstance(e, BatchRefused) and "is not a member" in e.reason for e in link.events_b)
    assert [row["id"] for row in projects.ledger(alice.ws, pid)] == [entry]


def test_a_removed_stewards_puppet_travels_between_honest_nodes_and_changes_nothing(tmp_path: Path) -> None:
    """Bob, a steward, is removed by Alice. His node, on the state before, makes Mallory a steward, and
    Mallory removes Alice. Their changes are signed and authorised at their dependencies: honest nodes
    relay them without refusing anyone, and every node shows Alice as the only steward."""
    cast = project_with_member(tmp_path)
    alice, bob, mallory, pid, net = cast.alice, cast.bob, cast.mallory, cast.pid, cast.net
    projects.add_member(alice.ws, pid, bob.peer_id, "steward")
    sync_once(alice, bob, net)
    sync_once(bob, mallory, net)
    projects.remove_member(alice.ws, pid, bob.peer_id)
    raw_edit(bob.ws, pid, lambda w: pdoc.set_member(w, mallory.peer_id, "steward", bob.peer_id))
    sync_once(bob, mallory, net)
    raw_edit(mallory.ws, pid, lambda w: pdoc.remove_member(w, alice.peer_id))
    chloe = net.node("Chloé")
    sync_once(mallory, chloe, net)  # Chloé hears of the takeover first,
    sync_once(alice, chloe, net)  # then of the removal
    sync_once(chloe, alice, net)
    sync_once(chloe, bob, net)
    for node in (alice, bob, chloe):
        assert {p: m.role for p, m in projects.members(node.doc(pid)).items()} == {alice.peer_id: "steward"}
    assert_same([alice, bob, chloe], [pid])
    # Alice is still a steward everywhere: her next change is accepted by all.
    projects.add_member(alice.ws, pid, chloe.peer_id)
    sync_once(alice, chloe, net)
    assert projects.role_of(chloe.doc(pid), chloe.peer_id) == "member"


# -- the fast header reader agrees with the strict one -------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fast_change_header_reader_never_disagrees_with_wire(data: st.DataObject) -> None:
    chunks = _sample_chunks()
    parts = []
    for _ in range(data.draw(st.integers(1, 3))):
        chunk = data.draw(st.sampled_from(chunks))
        raw = wire.split_chunks(chunk)[0]
        body = bytearray(raw.change_body)
        for _ in range(data.draw(st.integers(0, 3))):
            where = data.draw(st.integers(0, len(body) - 1))
            body[where] = data.draw(st.integers(0, 255))
        if data.draw(st.booleans()):
            cut = data.draw(st.integers(0, len(body)))
            body = body[:cut]
        parts.append(wire.build_chunk("change", bytes(body)) if body else b"")
    entry = b"".join(parts)
    fast = _plain_change_headers(entry)
    try:
        strict = [wire.parse_change(c) for c in wire.split_chunks(entry)]
    except wire.WireError:
        strict = None
    if fast is not None:
        assert strict is not None
        assert [(i.hash, i.chunk, i.deps, i.actor, i.seq) for i in fast] == [
            (h.hash, h.chunk, h.deps, h.actor, h.seq) for h in strict
        ]


def test_fast_change_header_reader_reads_what_automerge_writes() -> None:
    """Else the property above would hold with a reader that always gives up."""
    chunks = _sample_chunks()
    fast = _plain_change_headers(b"".join(chunks))
    assert fast is not None
    assert [(i.hash, i.chunk) for i in fast] == [(wire.parse_change(c).hash, c) for c in chunks]


_CHUNKS: list[bytes] = []


def _sample_chunks() -> list[bytes]:
    if not _CHUNKS:
        from reliance.automerge.crdt import CrdtDoc

        doc = CrdtDoc.new(b"\x05" * 32)
        for i in range(140):  # seq and start op past one LEB128 byte
            doc.change(lambda w, i=i: w.put(ROOT_ID, f"k{i}", "é" * (i % 5)))
        other = CrdtDoc.new(b"\x06" * 32)
        other.apply([c.chunk for c in doc.changes_since([])])
        other.change(lambda w: w.put(ROOT_ID, "merge", 1))
        _CHUNKS.extend(c.chunk for c in doc.changes_since([])[-5:])
        _CHUNKS.append(doc.changes_since([])[0].chunk)
        _CHUNKS.extend(c.chunk for c in other.changes_since(doc.heads()))
    return _CHUNKS


def test_needed_signatures_is_one_per_author_for_linear_histories() -> None:
    infos = [
        ChangeInfo(bytes([i]) * 32, b"", (bytes([i - 1]) * 32,) if i > 1 else (), b"a" * 32, i)
        for i in range(1, 6)
    ]
    infos += [ChangeInfo(bytes([100 + i]) * 32, b"", (bytes([5]) * 32,), b"b" * 32, i) for i in range(1, 3)]
    infos[-1] = ChangeInfo(infos[-1].hash, b"", (infos[-2].hash,), b"b" * 32, 2)
    assert set(needed_signatures(infos)) == {bytes([5]) * 32, bytes([102]) * 32}
    # A change cut off from its author's later change needs its own signature.
    cut = [infos[0], ChangeInfo(b"z" * 32, b"", (b"q" * 32,), b"a" * 32, 9)]
    assert set(needed_signatures(cut)) == {infos[0].hash, b"z" * 32}


def _new(source: Node, target: Node, doc_id: str) -> list[SignedChange]:
    return source.doc(doc_id).signed_changes(target.heads(doc_id))


def test_a_dangling_forbidden_change_cannot_freeze_a_project(tmp_path: Path) -> None:
    """Mallory, not a member, writes into the project on top of a change the victim has not seen yet
    and sends only her change: it waits in the victim's buffer. When the honest missing change
    arrives, Mallory's change is checked, dropped, and the honest peer's batch is accepted."""
    cast = project_with_member(tmp_path)
    victim = cast.net.node("Victim")
    sync_once(cast.alice, victim, cast.net)
    projects.contribute(cast.alice.ws, cast.pid, "time", 15, "min", note="honest, not yet at the victim")
    sync_once(cast.alice, cast.mallory, cast.net)
    hand_made_entry(cast.mallory.ws, cast.pid, 9999)
    (dangling,) = cast.mallory.doc(cast.pid).signed_changes(cast.alice.heads(cast.pid))
    _, events = attack(victim, [forge_sync_frame(cast.pid, dangling.info.chunk, dangling.signature)])
    assert [(e.applied, e.pending) for e in events if isinstance(e, ChangesReceived)] == [(0, 1)]
    link = cast.net.connect(cast.alice, victim)
    cast.net.pump()
    assert not link.refusals()
    assert victim.heads(cast.pid) == cast.alice.heads(cast.pid)
    assert not victim.doc(cast.pid).pending
    assert [row["note"] for row in projects.ledger(victim.ws, cast.pid)] == ["honest, not yet at the victim"]
