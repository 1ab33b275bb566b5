"""Who receives a members-only project: whatever the order of edits, meetings and deliveries."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.doc import project as pdoc
from reliance.errors import ModelError
from reliance.replication.auth import accept_batch
from reliance.replication.protocol import SyncHost
from reliance.replication.visibility import readable_by
from tests.sync.memnet import MemNet
from tests.sync.test_quota import added_by_a_removed_steward

OPS = st.lists(
    st.tuples(
        st.sampled_from(["member", "contribute", "connect", "disconnect", "deliver", "publish"]),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(1, 12),
    ),
    min_size=4,
    max_size=24,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, seed=st.integers(0, 2**32 - 1), duplicate=st.sampled_from([0.0, 0.2]))
def test_a_members_project_reaches_members_only_in_any_order(
    ops: list[tuple[str, int, int, int]], seed: int, duplicate: float
) -> None:
    """Alice's project is for its members; Bob and Chloé come and go as members; Dana never is one, and
    relays between them all. Dana never holds the project, and once everyone meets Alice, every member
    holds what Alice holds."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        net = MemNet(Path(tmp))
        alice, bob, chloe, dana = nodes = [net.node(name) for name in ("Alice", "Bob", "Chloé", "Dana")]
        pid = projects.create_project(alice.ws, "caisse")
        for kind, i, j, n in ops:
            node = nodes[i]
            if kind == "member" and nodes[j] in (bob, chloe):
                target = nodes[j]
                if pdoc.role_of(alice.doc(pid).crdt, target.peer_id) is None:
                    projects.add_member(alice.ws, pid, target.peer_id)
                else:
                    projects.remove_member(alice.ws, pid, target.peer_id)
                alice.changed(pid)
            elif kind == "contribute" and node.holds(pid):
                try:
                    projects.contribute(node.ws, pid, "time", n, "min")
                except ModelError:  # not (or no longer) a member as far as this node knows
                    continue
                node.changed(pid)
            elif kind == "publish":  # something public moves at the same time
                node.ws.set_code("valeurs", f"{node.name} {n}")
                node.changed(node.peer_id)
            elif kind == "connect" and i != j:
                net.connect(nodes[i], nodes[j])
            elif kind == "disconnect" and net.links:
                net.disconnect(net.links[n % len(net.links)])
            elif kind == "deliver":
                net.pump(rng, duplicate=duplicate, steps=n)
            assert not dana.ws.repo.exists(pid)
        net.disconnect_all()
        for other in (bob, chloe, dana):
            net.connect(alice, other)
        net.pump(rng, duplicate=duplicate)
        assert not net.refusals(), net.refusals()
        assert not dana.ws.repo.exists(pid)
        members = pdoc.members(alice.doc(pid).crdt)
        for node in (bob, chloe):
            if node.peer_id in members:
                assert node.heads(pid) == alice.heads(pid)
            assert node.heads(node.peer_id) == alice.heads(node.peer_id)  # public documents went round
        assert dana.heads(alice.peer_id) == alice.heads(alice.peer_id)


def test_who_may_read_has_one_definition_the_effective_members(tmp_path: Path) -> None:
    """Dan is in the raw members map of a members-only project, put there by a steward concurrently
    with the steward's removal: that change counts for nothing, so Dan may not read the project, and no
    other definition of "who may read" (one from the raw members) is left to disagree."""
    ana, dan, project_id, changes = added_by_a_removed_steward(tmp_path, visibility="members")
    assert not hasattr(pdoc, "readable_by")
    stored = ana.repo.open(project_id)
    assert not readable_by(stored, dan.peer_id)
    assert readable_by(stored, ana.peer_id)
    assert project_id not in SyncHost(ana.repo).holdings(dan.identity.public_key)
    accept_batch(dan.repo, project_id, changes)  # Dan's own node holds it, relayed to it
    assert project_id not in SyncHost(dan.repo).holdings(dan.identity.public_key)
