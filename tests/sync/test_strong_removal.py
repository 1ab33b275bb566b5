"""Strong removal: once a node knows that a member was removed or demoted, what that member signed that is
not causally before the removal changes nothing that needs the lost right, whatever order the changes
arrive in (docs/sync-protocol.md, "Strong removal").

Every scenario runs through real homes: each person writes on their own copy (as a hostile client would,
without the library's checks), and judges receive the signed changes through `accept_batch` in every order.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, Writer
from reliance.doc import project as pdoc
from reliance.errors import RelianceError
from reliance.limits import DEFAULT_LIMITS
from reliance.replication.auth import Rejected, accept_batch
from reliance.replication.visibility import readable_by
from reliance.store.repository import SignedChange

Batch = list[SignedChange]


@dataclass
class World:
    root: Path
    alice: Workspace  # creator, steward
    bob: Workspace  # steward
    carol: Workspace  # member
    mallory: Workspace  # not a member
    pid: str
    base: Batch  # every change all of them hold at the start

    def write(self, ws: Workspace, change: Callable[[Writer], None]) -> Batch:
        """A change `ws` writes on its own copy, unchecked, returned signed."""
        doc = ws.repo.open(self.pid)
        info = doc.local_change(ws.identity.sign, change)
        assert info is not None
        return [SignedChange(info, doc.known[info.hash])]

    def hand(self, batch: Batch, *to: Workspace) -> None:
        for ws in to:
            accept_batch(ws.repo, self.pid, batch)

    def judge(self, name: str, batches: Sequence[Batch]) -> Workspace:
        """A fresh home that receives the base, then each batch in turn, as from the network."""
        ws = Workspace.create(self.root / name, name)
        accept_batch(ws.repo, self.pid, self.base)
        for batch in batches:
            accept_batch(ws.repo, self.pid, batch)
        return ws


@pytest.fixture
def world(tmp_path: Path) -> World:
    alice, bob, carol, mallory = (
        Workspace.create(tmp_path / name, name) for name in ("alice", "bob", "carol", "mallory")
    )
    pid = projects.create_project(alice, "atelier")
    projects.add_member(alice, pid, bob.peer_id, "steward")
    projects.add_member(alice, pid, carol.peer_id, "member")
    base = alice.repo.open(pid).signed_changes()
    for ws in (bob, carol, mallory):
        accept_batch(ws.repo, pid, base)
    return World(tmp_path, alice, bob, carol, mallory, pid, base)


def remove(peer: Workspace) -> Callable[[Writer], None]:
    return lambda w: pdoc.remove_member(w, peer.peer_id)


def set_role(peer: Workspace, role: str, by: Workspace) -> Callable[[Writer], None]:
    return lambda w: pdoc.set_member(w, peer.peer_id, role, by.peer_id)


def contribution(author: Workspace, minutes: int = 30) -> Callable[[Writer], None]:
    data: dict[str, Any] = {
        "id": pdoc.new_record_id(author.peer_id),
        "kind": "contribution",
        "author": author.peer_id,
        "member": author.peer_id,
        "amount": minutes,
        "unit": "min",
        "at": "2026-06-01T10:00:00+00:00",
        "action": "work",
    }
    return lambda w: pdoc.add_entry(w, data)


def entry_id(batch: Batch, ws: Workspace, world: World) -> str:
    """The ledger entry the single change of `batch` created."""
    doc = ws.repo.open(world.pid)
    (change,) = batch
    ledger = doc.crdt.child(ROOT_ID, "ledger", [change.info.hash])
    before = doc.crdt.child(ROOT_ID, "ledger", list(change.info.deps))
    assert ledger is not None and before is not None
    new = set(doc.crdt.keys(ledger, [change.info.hash])) - set(doc.crdt.keys(before, list(change.info.deps)))
    (found,) = new
    return found


def roles(ws: Workspace, pid: str) -> dict[str, str]:
    return {peer: member.role for peer, member in projects.summary(ws, pid).members.items()}


def ledger_rows(ws: Workspace, pid: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in projects.ledger(ws, pid)}


def every_order(batches: Sequence[Batch]) -> list[tuple[Batch, ...]]:
    return list(itertools.permutations(batches))


def test_a_removed_steward_cannot_act_through_a_puppet_whatever_the_order(world: World) -> None:
    """Alice removes Bob. Bob, on the state before, makes Mallory a steward, who removes Alice and Carol.
    Bob's change is concurrent with his removal: it counts for nothing, so Mallory never was a steward
    and her removals count for nothing either."""
    removal = world.write(world.alice, remove(world.bob))
    puppet = world.write(world.bob, set_role(world.mallory, "steward", world.bob))
    world.hand(puppet, world.mallory)
    takeover = world.write(
        world.mallory,
        lambda w: (pdoc.remove_member(w, world.alice.peer_id), pdoc.remove_member(w, world.carol.peer_id)),
    )
    expected = {world.alice.peer_id: "steward", world.carol.peer_id: "member"}
    heads = set()
    for number, order in enumerate(every_order([removal, puppet, takeover])):
        judge = world.judge(f"judge-{number}", order)
        assert roles(judge, world.pid) == expected, order
        heads.add(tuple(judge.repo.open(world.pid).heads()))
    assert len(heads) == 1  # every judge holds every change: they stay in the document, counting nowhere


def test_a_removed_members_concurrent_entry_stays_but_counts_nowhere(world: World) -> None:
    removal = world.write(world.alice, remove(world.carol))
    concurrent = world.write(world.carol, contribution(world.carol, 45))
    carol_entry = entry_id(concurrent, world.carol, world)
    for number, order in enumerate(every_order([removal, concurrent])):
        judge = world.judge(f"judge-{number}", order)
        rows = ledger_rows(judge, world.pid)
        assert not rows[carol_entry]["counted"]
        assert "removed" in rows[carol_entry]["not_counted"]
        balances, _, view = projects.balances(judge, world.pid)
        assert world.carol.peer_id not in balances.get("min", {})
        assert carol_entry not in {e.id for e in view.entries}
        assert any(carol_entry in issue.describe("en") for issue in view.issues)
        assert world.carol.peer_id not in roles(judge, world.pid)


def test_an_entry_made_before_the_removal_still_counts(world: World) -> None:
    before = world.write(world.carol, contribution(world.carol, 20))
    world.hand(before, world.alice)
    world.write(world.alice, remove(world.carol))
    judge = world.judge("judge", [world.alice.repo.open(world.pid).signed_changes()])
    row = ledger_rows(judge, world.pid)[entry_id(before, world.carol, world)]
    assert row["counted"]
    balances, _, _ = projects.balances(judge, world.pid)
    assert balances["min"][world.carol.peer_id] == 20


def test_a_removal_signed_by_a_removed_steward_does_not_lock_the_member_out(world: World) -> None:
    """Bob, removed by Alice, removes Carol concurrently: that removal counts for nothing, and Carol, once
    she holds both, keeps writing, on her own node and on every other."""
    removal = world.write(world.alice, remove(world.bob))
    spite = world.write(world.bob, remove(world.carol))
    world.hand(removal + spite, world.carol)
    assert roles(world.carol, world.pid) == {world.alice.peer_id: "steward", world.carol.peer_id: "member"}
    projects.contribute(world.carol, world.pid, "time", 15, "min")
    later = world.carol.repo.open(world.pid).signed_changes(
        list((removal + spite)[i].info.hash for i in (0, 1))
    )
    judge = world.judge("judge", [removal, spite, later])
    balances, _, _ = projects.balances(judge, world.pid)
    assert balances["min"][world.carol.peer_id] == 15


def test_a_member_whose_removal_did_not_count_can_still_be_removed(world: World) -> None:
    """Carol's entry is gone from the map on every copy (a removed steward deleted it concurrently), yet
    she is a member: a steward's removal of her must still be a removal."""
    removal = world.write(world.alice, remove(world.bob))
    spite = world.write(world.bob, remove(world.carol))
    world.hand(spite, world.alice)
    assert world.carol.peer_id in roles(world.alice, world.pid)
    projects.remove_member(world.alice, world.pid, world.carol.peer_id)
    assert roles(world.alice, world.pid) == {world.alice.peer_id: "steward"}
    judge = world.judge("judge", [removal, spite, world.alice.repo.open(world.pid).signed_changes()])
    assert roles(judge, world.pid) == {world.alice.peer_id: "steward"}


def test_a_demoted_steward_keeps_member_rights_but_loses_steward_rights_concurrently(world: World) -> None:
    demotion = world.write(world.alice, set_role(world.bob, "member", world.alice))
    policy = world.write(
        world.bob, lambda w: pdoc.set_policy(w, {"buckets": [], "weights": []}, 1, world.bob.peer_id)
    )
    promotion = world.write(world.bob, set_role(world.mallory, "member", world.bob))
    work = world.write(world.bob, contribution(world.bob, 60))
    for number, order in enumerate(every_order([demotion, policy + promotion + work])):
        judge = world.judge(f"judge-{number}", order)
        assert roles(judge, world.pid) == {
            world.alice.peer_id: "steward",
            world.bob.peer_id: "member",
            world.carol.peer_id: "member",
        }
        _, written = projects.show_policy(judge, world.pid)
        assert not written
        balances, _, _ = projects.balances(judge, world.pid)
        assert balances["min"][world.bob.peer_id] == 60


def test_a_removed_stewards_concurrent_settings_do_not_count(world: World) -> None:
    """Bob, removed concurrently, renames the project, makes it public and sets a credit limit: none of
    it counts, so the project is not sent to strangers and keeps its name."""
    removal = world.write(world.alice, remove(world.bob))

    def settings(w: Writer) -> None:
        meta = w.child(ROOT_ID, "meta")
        assert meta is not None
        w.put(meta, "name", "à moi")
        pdoc.set_visibility(w, "public")
        pdoc.set_limit(w, world.bob.peer_id, "min", -100_000)

    grab = world.write(world.bob, settings)
    for number, order in enumerate(every_order([removal, grab])):
        judge = world.judge(f"judge-{number}", order)
        doc = judge.repo.open(world.pid)
        assert projects.summary(judge, world.pid).name == "atelier"
        assert projects.project_visibility(doc) == "members"
        assert not readable_by(doc, world.mallory.peer_id)
        assert readable_by(doc, world.carol.peer_id)
        assert projects.ledger_view(doc).limits == []


def test_mutual_concurrent_removals_remove_both(world: World) -> None:
    """Alice and Bob remove each other concurrently: both are removed (Carol, a steward too, stays), and
    what each did concurrently with the removal of themselves counts nowhere."""
    promote = world.write(world.alice, set_role(world.carol, "steward", world.alice))
    world.hand(promote, world.bob, world.carol)
    world.base = world.base + promote
    by_alice = world.write(world.alice, remove(world.bob)) + world.write(
        world.alice, contribution(world.alice)
    )
    by_bob = world.write(world.bob, remove(world.alice)) + world.write(world.bob, contribution(world.bob))
    for number, order in enumerate(every_order([by_alice, by_bob])):
        judge = world.judge(f"judge-{number}", order)
        assert roles(judge, world.pid) == {world.carol.peer_id: "steward"}
        rows = ledger_rows(judge, world.pid)
        assert rows and not any(row["counted"] for row in rows.values())


def test_a_member_readded_after_removal_counts_again_from_then_on(world: World) -> None:
    removal = world.write(world.alice, remove(world.carol))
    concurrent = world.write(world.carol, contribution(world.carol, 10))
    readd = world.write(world.alice, set_role(world.carol, "member", world.alice))
    world.hand(removal + readd, world.carol)
    after = world.write(world.carol, contribution(world.carol, 25))
    for number, order in enumerate(every_order([removal + readd, concurrent, after])):
        try:
            judge = world.judge(f"judge-{number}", order)
        except Rejected as exc:  # never: a change waits for its dependencies, it is not refused
            raise AssertionError(exc.reason) from None
        rows = ledger_rows(judge, world.pid)
        assert not rows[entry_id(concurrent, world.carol, world)]["counted"]
        assert rows[entry_id(after, world.carol, world)]["counted"]
        assert roles(judge, world.pid)[world.carol.peer_id] == "member"


def test_a_concurrent_readd_does_not_undo_a_removal(world: World) -> None:
    """Alice removes Carol while Bob, who has not seen it, makes her a steward: the removal wins."""
    removal = world.write(world.alice, remove(world.carol))
    readd = world.write(world.bob, set_role(world.carol, "steward", world.bob))
    for number, order in enumerate(every_order([removal, readd])):
        judge = world.judge(f"judge-{number}", order)
        assert world.carol.peer_id not in roles(judge, world.pid)


def test_a_ring_of_concurrent_removals_takes_no_effect(world: World) -> None:
    """Alice removes Bob, Bob removes Carol, Carol removes Alice, all concurrently: no removal can be
    decided before the others, so none counts, and all three remain stewards."""
    promote = world.write(world.alice, set_role(world.carol, "steward", world.alice))
    world.hand(promote, world.bob, world.carol)
    world.base = world.base + promote
    ring = [
        world.write(world.alice, remove(world.bob)),
        world.write(world.bob, remove(world.carol)),
        world.write(world.carol, remove(world.alice)),
    ]
    judge = world.judge("judge", ring)
    assert roles(judge, world.pid) == dict.fromkeys(
        (world.alice.peer_id, world.bob.peer_id, world.carol.peer_id), "steward"
    )


def test_authority_granted_concurrently_cannot_undo_a_removal(world: World) -> None:
    """Alice removes Bob. Bob, before seeing it, promotes Carol, and Carol (now a steward on his branch)
    removes Alice: Carol's authority comes from a change that does not count, so Alice stays."""
    removal = world.write(world.alice, remove(world.bob))
    promotion = world.write(world.bob, set_role(world.carol, "steward", world.bob))
    world.hand(promotion, world.carol)
    counter = world.write(world.carol, remove(world.alice))
    for number, order in enumerate(every_order([removal, promotion, counter])):
        judge = world.judge(f"judge-{number}", order)
        assert roles(judge, world.pid) == {world.alice.peer_id: "steward", world.carol.peer_id: "member"}


def test_concurrent_removals_beyond_the_limit_are_refused_with_a_reason(world: World) -> None:
    """Weighing concurrent removals against each other costs more than linear time in their number (a
    ring of 1,280 stewards removing each other: about a second per view), so a project takes at most
    `project_concurrent_revocations` at once; the next is refused at the door, with the limit named. A
    removal made after seeing the others is not concurrent with them and is taken."""
    stewards = [Workspace.create(world.root / f"s{i}", f"s{i}") for i in range(4)]
    for steward in stewards:
        projects.add_member(world.alice, world.pid, steward.peer_id, "steward")
    base = world.alice.repo.open(world.pid).signed_changes()
    for steward in stewards:
        accept_batch(steward.repo, world.pid, base)
    ring = [world.write(s, remove(stewards[(i + 1) % 4])) for i, s in enumerate(stewards)]
    judge_home = Workspace.create(world.root / "judge", "judge")
    judge = Workspace(
        judge_home.home, judge_home.identity, DEFAULT_LIMITS.replace(project_concurrent_revocations=3)
    )
    accept_batch(judge.repo, world.pid, base)
    for removal in ring[:3]:
        accept_batch(judge.repo, world.pid, removal)
    with pytest.raises(Rejected, match=r"concurrently with 3 other removals .* at most 3"):
        accept_batch(judge.repo, world.pid, ring[3])
    assert not judge.repo.open(world.pid).has(ring[3][0].info.hash)
    for removal in ring[:3]:
        world.hand(removal, world.alice)
    after = world.write(world.alice, remove(world.carol))  # on the three it knows: not concurrent
    accept_batch(judge.repo, world.pid, after)
    assert world.carol.peer_id not in roles(judge, world.pid)


def test_a_change_the_removed_member_makes_after_seeing_the_removal_is_refused(world: World) -> None:
    removal = world.write(world.alice, remove(world.carol))
    world.hand(removal, world.carol)
    late = world.write(world.carol, contribution(world.carol))
    judge = world.judge("judge", [removal])
    with pytest.raises(Rejected, match="not a member"):
        accept_batch(judge.repo, world.pid, late)


# -- any delivery order: the same members, ledger and balances everywhere ------------------------------------

PEOPLE = ("alice", "bob", "carol", "dave")  # alice and bob stewards, carol member, dave outside

ANYONE = st.sampled_from([0, 1, 2, 2, 3])  # carol (member) most often, dave (outside) least
STEWARD = st.sampled_from([0, 0, 1, 2, 3])  # stewards most often; others try too (puppets, hostile clients)
ACTION = st.one_of(
    st.tuples(st.just("entry"), ANYONE),
    st.tuples(st.just("entry"), ANYONE),
    st.tuples(st.just("remove"), STEWARD, ANYONE),
    st.tuples(st.just("role"), STEWARD, ANYONE, st.sampled_from(["member", "steward"])),
    st.tuples(st.just("policy"), ANYONE),
)
SHARE = st.tuples(st.just("share"), ANYONE, ANYONE)
# Rounds of work on diverging copies, each followed by some sharing: concurrency is the point.
SCRIPT = st.lists(
    st.tuples(st.lists(ACTION, min_size=2, max_size=5), st.lists(SHARE, max_size=3)), min_size=1, max_size=3
).map(lambda rounds: [step for actions, shares in rounds for step in (*actions, *shares)])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("template")
    people = {name: Workspace.create(root / name, name) for name in PEOPLE}
    Workspace.create(root / "judge", "judge")
    pid = projects.create_project(people["alice"], "commun")
    projects.add_member(people["alice"], pid, people["bob"].peer_id, "steward")
    projects.add_member(people["alice"], pid, people["carol"].peer_id, "member")
    base = people["alice"].repo.open(pid).signed_changes()
    for name in PEOPLE[1:]:
        accept_batch(people[name].repo, pid, base)
    return root, pid


def play(homes: dict[str, Workspace], pid: str, script: Sequence[tuple[Any, ...]]) -> None:
    """Each person writes on their own copy without the library's checks, as a hostile client may."""
    people = [homes[name] for name in PEOPLE]
    for step in script:
        kind, who = step[0], people[step[1]]
        edit: Callable[[Writer], object]
        if kind == "share":
            source, target = people[step[1]].repo.open(pid), people[step[2]].repo.open(pid)
            missing = [c for c in source.signed_changes() if not target.has(c.info.hash)]
            target.add_verified(missing)  # unchecked: a hostile client builds on anything
            continue
        if kind == "remove":
            edit = remove(people[step[2]])
        elif kind == "role":
            edit = set_role(people[step[2]], step[3], who)
        elif kind == "entry":
            edit = contribution(who, 10 + step[1])
        else:
            edit = lambda w, who=who: pdoc.set_policy(w, {"buckets": [], "weights": []}, 1, who.peer_id)  # noqa: E731
        doc = who.repo.open(pid)
        try:
            doc.local_change(who.identity.sign, edit)
        except RelianceError:
            continue  # e.g. removing someone absent from this copy


def outcome(ws: Workspace, pid: str) -> tuple[object, ...]:
    doc = ws.repo.open(pid)
    balances, _, _ = projects.balances(ws, pid)
    rows = sorted((row["id"], row["counted"]) for row in projects.ledger(ws, pid))
    policy, written = projects.show_policy(ws, pid)
    # Not the buffer: which descendants of a refused change wait there depends on when they came.
    return (doc.heads(), roles(ws, pid), rows, balances, written, policy)


ORDER = st.lists(st.integers(0, 10_000), min_size=64, max_size=64)  # sort keys for the delivery


def deliver_in_every_order(
    template: tuple[Path, str], root: Path, script: list[tuple[Any, ...]], orders: list[list[int]]
) -> None:
    """Play `script`, then hand every signed change to judges one at a time, each in its own order:
    they must hold the same changes and show the same members, ledger, balances and policy."""
    source, pid = template
    for name in (*PEOPLE, "judge"):
        shutil.copytree(source / name, root / name)
    homes = {name: Workspace.open(root / name) for name in PEOPLE}
    play(homes, pid, script)
    everything: dict[bytes, SignedChange] = {}
    for ws in homes.values():
        for change in ws.repo.open(pid).signed_changes():
            everything.setdefault(change.info.hash, change)
    rank = {ws.identity.public_key: number for number, ws in enumerate(homes.values())}
    # In the same order on every run of an example (hashes differ: records get random ids).
    canonical = sorted(everything.values(), key=lambda c: (rank[c.info.actor], c.info.seq))
    results = []
    for number, keys in enumerate(orders):
        judge_home = root / f"judge-{number}"
        shutil.copytree(root / "judge", judge_home)
        judge = Workspace.open(judge_home)
        delivery = [
            c for _, c in sorted(enumerate(canonical), key=lambda ic: (keys[ic[0] % len(keys)], ic[0]))
        ]
        # One at a time (a refused change takes nothing else with it), and again, as peers send again
        # what a node turned away (a change that cannot wait for its dependencies).
        progress = True
        while progress:
            before = judge.repo.open(pid).heads() if judge.repo.exists(pid) else []
            for change in delivery:
                with contextlib.suppress(Rejected):
                    accept_batch(judge.repo, pid, [change])
            progress = judge.repo.exists(pid) and judge.repo.open(pid).heads() != before
        results.append(outcome(judge, pid))
        # A node that reopens its home computes the same (nothing depends on the order in memory).
        results.append(outcome(Workspace.open(judge_home), pid))
    assert all(result == results[0] for result in results), script


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=SCRIPT, orders=st.lists(ORDER, min_size=2, max_size=2))
def test_every_delivery_order_gives_the_same_members_ledger_and_balances(
    template: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
    script: list[tuple[Any, ...]],
    orders: list[list[int]],
) -> None:
    deliver_in_every_order(template, tmp_path_factory.mktemp("play"), script, orders)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=SCRIPT, orders=st.lists(ORDER, min_size=3, max_size=3))
def test_every_delivery_order_gives_the_same_state_long_run(
    template: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
    script: list[tuple[Any, ...]],
    orders: list[list[int]],
) -> None:
    deliver_in_every_order(template, tmp_path_factory.mktemp("play"), script, orders)
