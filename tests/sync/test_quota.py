"""Quotas on other people's documents: real homes, real sessions, real batches (the node-level test,
with relaying and `reliance doctor`, is in tests/net/test_limits.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.doc import project as pdoc
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.model.catalogue import Item, ItemKind
from reliance.net.doctor import quota_findings
from reliance.replication.auth import accept_batch
from reliance.replication.protocol import ChangesReceived, Declined, SyncHost
from reliance.replication.quota import AuthorUsage, OverQuota, Quotas, QuotaUsage
from reliance.store.repository import SignedChange
from tests.sync.sessions import pump, session_of

KIB = 1024
PEER_ID_LETTERS = "abcdefghijklmnopqrstuvwxyz234567"


def offer(ws: Workspace, title: str, size: int = 0) -> None:
    """An offer with about `size` bytes of description that do not compress (hex text: about half)."""
    for part in range(0, size, 19_000):
        text = secrets.token_hex(min(19_000, size - part) // 2)  # two characters a byte
        ws.add_item(Item(id="", kind=ItemKind.OFFER, title=f"{title} {part}", author="", description=text))
    if not size:
        ws.add_item(Item(id="", kind=ItemKind.OFFER, title=title, author=""))


def meet(node: Workspace, peer: Workspace, limits: Limits) -> list[Declined]:
    """`peer` syncs with `node`, whose session has quotas; the batches `node` declined."""
    events, _ = pump(session_of(node, limits, quotas=True, peer=peer), session_of(peer, peer=node))
    return [e for e in events if isinstance(e, Declined)]


def usage_of(ws: Workspace, limits: Limits) -> QuotaUsage:
    return Quotas(ws.repo, ws.peer_id, limits).usage()


def test_a_growing_document_stops_at_its_authors_byte_quota(tmp_path: Path) -> None:
    ana, ben = Workspace.create(tmp_path / "a", "Ana"), Workspace.create(tmp_path / "b", "Ben")
    limits = DEFAULT_LIMITS.replace(author_max_bytes=16 * KIB)
    offer(ben, "small")
    assert meet(ana, ben, limits) == []
    kept = ana.repo.open(ben.peer_id).heads()

    offer(ben, "large", size=40 * KIB)  # takes Ben over 16 KiB
    declined = meet(ana, ben, limits)
    assert [d.doc_id for d in declined] == [ben.peer_id]
    assert "per author" in declined[0].reason
    assert ana.repo.open(ben.peer_id).heads() == kept  # nothing of the batch was stored
    assert usage_of(ana, limits).bytes <= 16 * KIB

    roomier = DEFAULT_LIMITS.replace(author_max_bytes=256 * KIB)
    assert meet(ana, ben, roomier) == []
    assert ana.repo.open(ben.peer_id).heads() == ben.repo.open(ben.peer_id).heads()


def test_the_total_byte_quota_holds_across_authors(tmp_path: Path) -> None:
    ana = Workspace.create(tmp_path / "a", "Ana")
    limits = DEFAULT_LIMITS.replace(others_max_bytes=24 * KIB)
    for i in range(4):
        author = Workspace.create(tmp_path / f"p{i}", f"P{i}")
        offer(author, f"offer {i}", size=16 * KIB)
        meet(ana, author, limits)
    usage = usage_of(ana, limits)
    assert usage.bytes <= 24 * KIB
    assert usage.documents < 4


def test_the_owners_own_projects_are_never_counted_nor_refused(tmp_path: Path) -> None:
    ana, ben = Workspace.create(tmp_path / "a", "Ana"), Workspace.create(tmp_path / "b", "Ben")
    limits = DEFAULT_LIMITS.replace(author_max_documents=1)
    ours = projects.create_project(ben, "ours")
    projects.add_member(ben, ours, ana.peer_id)
    not_ours = [projects.create_project(ben, f"theirs {i}", visibility="public") for i in range(3)]
    meet(ana, ben, limits)
    held = set(ana.repo.doc_ids())
    assert ours in held
    assert len(held & ({ben.peer_id} | set(not_ours))) == 1  # Ben's quota: one document
    own = projects.create_project(ana, "mine")  # and Ana's own never count
    usage = usage_of(ana, limits)
    assert usage.documents == 1
    assert own in ana.repo.doc_ids()


def test_a_project_declined_is_taken_once_it_makes_the_owner_a_member(tmp_path: Path) -> None:
    ana, ben = Workspace.create(tmp_path / "a", "Ana"), Workspace.create(tmp_path / "b", "Ben")
    limits = DEFAULT_LIMITS.replace(author_max_documents=1)
    offer(ben, "fills Ben's quota")
    meet(ana, ben, limits)
    project_id = projects.create_project(ben, "later ours", visibility="public")
    assert [d.doc_id for d in meet(ana, ben, limits)] == [project_id]
    assert set(ana.repo.doc_ids()) == {ana.peer_id, ben.peer_id}

    projects.add_member(ben, project_id, ana.peer_id)
    events, _ = pump(session_of(ana, limits, quotas=True, peer=ben), session_of(ben, peer=ana))
    assert project_id in ana.repo.doc_ids()
    assert any(isinstance(e, ChangesReceived) and e.doc_id == project_id for e in events)
    assert usage_of(ana, limits).documents == 1  # still only Ben's participant document


def test_a_node_over_quota_still_relays_what_it_keeps_and_serves_the_owners_documents(
    tmp_path: Path,
) -> None:
    ana, ben, cleo = (Workspace.create(tmp_path / n, n) for n in ("Ana", "Ben", "Cleo"))
    limits = DEFAULT_LIMITS.replace(others_max_documents=1)
    offer(ben, "from Ben")
    offer(cleo, "from Cleo")
    meet(ana, ben, limits)
    meet(ana, cleo, limits)  # the quota is full: Cleo's document is not asked for, or declined
    assert cleo.peer_id not in ana.repo.doc_ids()
    offer(ana, "from Ana")
    pump(session_of(cleo, peer=ana), session_of(ana, limits, quotas=True, peer=cleo))
    assert set(cleo.repo.doc_ids()) == {ana.peer_id, ben.peer_id, cleo.peer_id}
    assert set(ana.repo.doc_ids()) == {ana.peer_id, ben.peer_id}


def added_by_a_removed_steward(
    tmp_path: Path, visibility: str = "public"
) -> tuple[Workspace, Workspace, str, list[SignedChange]]:
    """Ana removes Ben, a steward; Ben, on the state before, adds Dan as a member. Dan is in the project's
    members map, but Ben's change is concurrent with his removal and counts for nothing (strong removal):
    Dan is not a member. Returns Ana, Dan, the project and every change of it (in causal order)."""
    ana, ben, dan = (Workspace.create(tmp_path / n, n) for n in ("Ana", "Ben", "Dan"))
    project_id = projects.create_project(ana, "atelier", visibility=visibility)
    projects.add_member(ana, project_id, ben.peer_id, "steward")
    accept_batch(ben.repo, project_id, ana.repo.open(project_id).signed_changes())
    removal = ana.repo.open(project_id).local_change(
        ana.identity.sign, lambda w: pdoc.remove_member(w, ben.peer_id)
    )
    ben_copy = ben.repo.open(project_id)
    puppet = ben_copy.local_change(
        ben.identity.sign, lambda w: pdoc.set_member(w, dan.peer_id, "member", ben.peer_id)
    )
    assert removal is not None and puppet is not None
    accept_batch(ana.repo, project_id, [SignedChange(puppet, ben_copy.known[puppet.hash])])
    everything = ana.repo.open(project_id).signed_changes()
    assert pdoc.role_of(ana.repo.open(project_id).crdt, dan.peer_id) == "member"  # in the raw document
    assert projects.role_of(ana.repo.open(project_id), dan.peer_id) is None  # not in effect
    return ana, dan, project_id, everything


def test_a_project_that_does_not_effectively_make_the_owner_a_member_is_counted(tmp_path: Path) -> None:
    ana, dan, project_id, changes = added_by_a_removed_steward(tmp_path)
    accept_batch(dan.repo, project_id, changes)
    usage = usage_of(dan, DEFAULT_LIMITS)
    assert (usage.documents, [a.author for a in usage.largest]) == (1, [ana.peer_id])


def test_a_removed_stewards_addition_of_the_owner_does_not_lift_the_quota(tmp_path: Path) -> None:
    _, dan, project_id, changes = added_by_a_removed_steward(tmp_path)
    limits = DEFAULT_LIMITS.replace(author_max_bytes=KIB)  # the project is larger: it may not be kept
    host = SyncHost(dan.repo, limits=limits, quotas=Quotas(dan.repo, dan.peer_id, limits))
    try:
        host.accept(project_id, changes)
    except OverQuota as exc:
        assert "per author" in exc.reason
    else:
        raise AssertionError("a project that only a void change makes ours was taken over the quota")
    assert project_id not in dan.repo.doc_ids()


@given(
    documents=st.integers(min_value=0, max_value=10**6),
    size=st.integers(min_value=0, max_value=2**40),
    declined=st.integers(min_value=0, max_value=10**6),
    authors=st.lists(
        st.tuples(st.text(PEER_ID_LETTERS, max_size=60), st.integers(0, 99), st.integers(0, 2**30)),
        max_size=5,
    ),
)
def test_usage_reads_back_from_json_and_gives_findings_in_both_languages(
    documents: int, size: int, declined: int, authors: list[tuple[str, int, int]]
) -> None:
    listed = tuple(AuthorUsage(*a) for a in authors)
    usage = QuotaUsage(documents, size, 5000, 512 << 20, 32, 32 << 20, listed, listed, declined, "why")
    assert QuotaUsage.from_json(usage.to_json()) == usage
    findings = quota_findings(usage)
    assert findings[0].code == "quota" and findings[0].level == "ok"
    assert ("quota_full" in {f.code for f in findings}) == usage.full
    for finding in findings:
        assert (
            finding.message("en") and finding.message("fr") and finding.message("en") != finding.message("fr")
        )
        assert "{" not in finding.message("en") + finding.message("fr") + finding.advice(
            "en"
        ) + finding.advice("fr")
        if finding.level != "ok":
            assert finding.advice("en") and finding.advice("fr")
