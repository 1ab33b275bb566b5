"""Authentication and authorisation of batches, rule by rule, straight through `reliance.replication.auth`:
a refused batch leaves the document, its buffer and its log exactly as they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.automerge.crdt import ROOT_ID, CrdtDoc, Writer
from reliance.doc import participant
from reliance.doc import project as pdoc
from reliance.replication import canonical, project_rules
from reliance.replication.auth import (
    Rejected,
    accept_batch,
    authenticate,
    authorize_participant,
    authorize_project,
    check_batch,
)
from reliance.store.records import change_info
from reliance.store.repository import Repository, SignedChange, StoredDoc


@dataclass
class Cast:
    alice: Workspace  # steward of the project
    bob: Workspace  # member
    mallory: Workspace  # not a member
    judge: Repository  # a third home that checks what the others send
    pid: str


@pytest.fixture
def cast(tmp_path: Path) -> Cast:
    alice = Workspace.create(tmp_path / "alice", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    mallory = Workspace.create(tmp_path / "mallory", "Mallory")
    judge = Workspace.create(tmp_path / "judge", "Judge").repo
    pid = projects.create_project(alice, "atelier")
    projects.add_member(alice, pid, bob.peer_id)
    for other in (bob, mallory):
        give(alice, other.repo, pid)
    give(alice, judge, pid)
    return Cast(alice, bob, mallory, judge, pid)


def give(source: Workspace, target: Repository, doc_id: str) -> None:
    """Hand every change `target` lacks to it, checked like a network batch."""
    held = target.open(doc_id).heads() if target.exists(doc_id) else []
    accept_batch(target, doc_id, source.repo.open(doc_id).signed_changes(held))


def edit(ws: Workspace, doc_id: str, change: Callable[[Writer], None]) -> list[SignedChange]:
    """Write a change straight into the author's store (no library checks) and return it, signed."""
    doc = ws.repo.open(doc_id)
    info = doc.local_change(ws.identity.sign, change)
    assert info is not None
    return [SignedChange(info, doc.known[info.hash])]


def forge(ws: Workspace, base: StoredDoc, change: Callable[[Writer], None]) -> list[SignedChange]:
    """A change by `ws` made on top of `base`'s current state, signed, stored nowhere."""
    doc = CrdtDoc.load(base.crdt.save(), ws.identity.public_key)
    info = doc.change(change)
    assert info is not None
    return [SignedChange(info, ws.identity.sign(info.hash))]


def state(doc: StoredDoc) -> tuple[object, ...]:
    return (doc.heads(), dict(doc.known), dict(doc.pending), doc.log_path.stat().st_size, doc.crdt.read())


def refused(cast: Cast, batch: list[SignedChange], *words: str) -> None:
    doc = cast.judge.open(cast.pid)
    before = state(doc)
    with pytest.raises(Rejected) as caught:
        accept_batch(cast.judge, cast.pid, batch)
    for word in words:
        assert word in caught.value.reason, caught.value.reason
    assert state(cast.judge.open(cast.pid)) == before


def put_code(key: str, value: str | int) -> Callable[[Writer], None]:
    def write(w: Writer) -> None:
        code = w.child(ROOT_ID, "code")
        assert code is not None
        w.put(code, key, value)

    return write


def entry(
    author: Workspace, entry_id: str | None = None, named: str | None = None
) -> Callable[[Writer], None]:
    def write(w: Writer) -> None:
        ledger = w.child(ROOT_ID, "ledger")
        assert ledger is not None
        obj = w.put_map(ledger, entry_id or pdoc.new_record_id(author.peer_id))
        w.put(obj, "kind", "contribution")
        w.put(obj, "author", named or author.peer_id)
        w.put(obj, "member", author.peer_id)
        w.put(obj, "unit", "min")
        w.put(obj, "amount", 30)

    return write


# -- authentication ------------------------------------------------------------------------------------------


def test_signed_changes_authenticate(cast: Cast) -> None:
    batch = cast.alice.repo.open(cast.pid).signed_changes()
    assert all(c.signature is not None for c in batch)
    me = cast.alice.identity
    assert authenticate(batch) == {me.public_key: me.participant_key}  # whom each actor writes for


def test_forged_signature_is_rejected(cast: Cast) -> None:
    (change,) = edit(cast.alice, cast.pid, put_code("x", "y"))
    forged = SignedChange(change.info, cast.mallory.identity.sign(change.info.hash))
    with pytest.raises(Rejected, match="forged signature"):
        authenticate([forged])
    refused(cast, [forged], "forged signature")


def test_unsigned_change_is_covered_by_a_later_signed_change_of_the_same_author(cast: Cast) -> None:
    first = edit(cast.alice, cast.pid, put_code("a", "1"))
    second = edit(cast.alice, cast.pid, put_code("b", "2"))
    batch = [SignedChange(first[0].info, None), second[0]]
    me = cast.alice.identity
    assert authenticate(batch) == {me.public_key: me.participant_key}  # whom each actor writes for
    outcome = accept_batch(cast.judge, cast.pid, batch)
    assert outcome.applied == [first[0].info.hash, second[0].info.hash]
    assert cast.judge.open(cast.pid).known[first[0].info.hash] is None  # stored as received


def test_unsigned_change_is_not_covered_by_another_authors_signature(cast: Cast) -> None:
    give(cast.alice, cast.bob.repo, cast.pid)
    mine = edit(cast.alice, cast.pid, put_code("a", "1"))
    give(cast.alice, cast.bob.repo, cast.pid)
    theirs = edit(cast.bob, cast.pid, put_code("b", "2"))
    assert mine[0].info.hash in theirs[0].info.deps
    with pytest.raises(Rejected, match="neither signed nor covered"):
        authenticate([SignedChange(mine[0].info, None), theirs[0]])


def test_change_without_a_device_key_as_actor_is_rejected() -> None:
    doc = CrdtDoc.new(b"\x01" * 16)
    info = doc.change(lambda w: w.put(ROOT_ID, "k", 1))
    assert info is not None
    with pytest.raises(Rejected, match="not a device key"):
        authenticate([SignedChange(info, bytes(64))])


# -- participant documents: only the owner writes ------------------------------------------------------------


def test_participant_document_accepts_only_its_owner(cast: Cast) -> None:
    cast.alice.set_code("valeurs", "entraide")
    owned = cast.alice.my_doc().signed_changes()
    authors = authenticate(owned)  # Alice's device, certified by her participant key
    authorize_participant(cast.alice.peer_id, owned, authors)
    with pytest.raises(Rejected, match="only its owner may write"):
        authorize_participant(cast.bob.peer_id, owned, authors)
    with pytest.raises(Rejected, match="only its owner may write"):
        check_batch(cast.judge, cast.bob.peer_id, owned)
    assert not cast.judge.exists(cast.bob.peer_id)


# -- project documents: causal authorisation -----------------------------------------------------------------


def test_members_write_the_code_and_the_ledger(cast: Cast) -> None:
    batch = edit(cast.bob, cast.pid, put_code("valeurs", "soin"))
    batch += edit(cast.bob, cast.pid, entry(cast.bob))
    outcome = accept_batch(cast.judge, cast.pid, batch)
    assert len(outcome.applied) == 2 and not outcome.pending


def test_change_by_a_non_member_is_rejected(cast: Cast) -> None:
    judged = cast.judge.open(cast.pid)
    refused(cast, forge(cast.mallory, judged, entry(cast.mallory)), "is not a member")
    refused(cast, forge(cast.mallory, judged, put_code("x", "y")), "not a member")


def test_only_stewards_change_membership_policy_and_meta(cast: Cast) -> None:
    judged = cast.judge.open(cast.pid)
    refused(
        cast,
        forge(
            cast.bob, judged, lambda w: pdoc.set_member(w, cast.mallory.peer_id, "member", cast.bob.peer_id)
        ),
        "'members'",
        "not a steward",
    )
    for key in ("policy", "limits", "meta", "distributions"):

        def write(w: Writer, key: str = key) -> None:
            container = w.child(ROOT_ID, key)
            assert container is not None
            w.put(container, "k", "v")

        refused(cast, forge(cast.bob, judged, write), f"'{key}'", "not a steward")
    # A steward may.
    steward = forge(cast.alice, judged, lambda w: pdoc.set_member(w, cast.mallory.peer_id, "member", "x"))
    accept_batch(cast.judge, cast.pid, steward)
    assert pdoc.role_of(cast.judge.open(cast.pid).crdt, cast.mallory.peer_id) == "member"


def test_root_and_unknown_parts_are_never_written_after_genesis(cast: Cast) -> None:
    judged = cast.judge.open(cast.pid)
    refused(cast, forge(cast.alice, judged, lambda w: w.put(ROOT_ID, "schema", "other")), "rewrites the root")
    refused(cast, forge(cast.alice, judged, lambda w: w.put_map(ROOT_ID, "ledger")), "rewrites the root")


def test_ledger_entries_are_append_only(cast: Cast) -> None:
    entry_id = pdoc.new_record_id(cast.bob.peer_id)
    accept_batch(cast.judge, cast.pid, edit(cast.bob, cast.pid, entry(cast.bob, entry_id)))

    def modify(w: Writer) -> None:
        ledger = w.child(ROOT_ID, "ledger")
        assert ledger is not None
        obj = w.child(ledger, entry_id)
        assert obj is not None
        w.put(obj, "amount", 3000)

    refused(
        cast,
        forge(cast.bob, cast.judge.open(cast.pid), modify),
        f"modifies existing 'ledger' record {entry_id}",
    )


def test_ledger_entries_cannot_be_deleted(cast: Cast) -> None:
    entry_id = pdoc.new_record_id(cast.bob.peer_id)
    accept_batch(cast.judge, cast.pid, edit(cast.bob, cast.pid, entry(cast.bob, entry_id)))

    def delete_entry(w: Writer) -> None:
        ledger = w.child(ROOT_ID, "ledger")
        assert ledger is not None
        w.delete(ledger, entry_id)

    refused(
        cast,
        forge(cast.bob, cast.judge.open(cast.pid), delete_entry),
        "append-only",
    )


def test_ledger_entries_are_written_under_their_authors_id_and_name(cast: Cast) -> None:
    judged = cast.judge.open(cast.pid)
    alice_tag = pdoc.new_record_id(cast.alice.peer_id)
    refused(cast, forge(cast.bob, judged, entry(cast.bob, entry_id=alice_tag)), "under another author's id")
    refused(
        cast, forge(cast.bob, judged, entry(cast.bob, named=cast.alice.peer_id)), "does not name its author"
    )


def test_counters_are_refused(cast: Cast) -> None:
    # The binding cannot write a Counter (and panics reading one): turn an integer put into a counter
    # put by changing its value type (4 -> 8) in the change's value column, as another client could.
    (plain,) = forge(cast.alice, cast.judge.open(cast.pid), put_code("n", 1))
    body = bytearray(wire.split_chunks(plain.info.chunk)[0].change_body)
    at = body.rindex(b"\x7f\x14") + 1  # one value, 1 byte long, of type 4 (signed integer)
    body[at] = 0x18  # ... now of type 8: a counter
    counter = change_info(wire.build_chunk("change", bytes(body)))
    refused(cast, [SignedChange(counter, cast.alice.identity.sign(counter.hash))], "counter")


def test_a_second_history_or_a_false_creation_is_refused(cast: Cast) -> None:
    # Mallory writes a genesis of her own under Alice's project id: a change without dependencies.
    fake = cast.mallory.repo.scratch(cast.pid)
    info = fake.crdt.change(
        lambda w: pdoc.genesis(w, project_id=cast.pid, name="fake", creator=cast.mallory.peer_id, nonce=b"x")
    )
    assert info is not None
    batch = [SignedChange(info, cast.mallory.identity.sign(info.hash))]
    refused(cast, batch, "starts a second history")
    # And as the first history a node hears of, it is not a valid creation of that id either.
    fresh = Workspace.create(cast.judge.home.parent / "fresh", "Fresh")
    with pytest.raises(Rejected, match="not a valid creation"):
        accept_batch(fresh.repo, cast.pid, batch)
    assert not fresh.repo.exists(cast.pid)


def test_blocked_authors_are_dropped_not_rejected(cast: Cast) -> None:
    batch = edit(cast.bob, cast.pid, entry(cast.bob))
    outcome = accept_batch(cast.judge, cast.pid, batch, blocked={cast.bob.identity.participant_key})
    assert outcome.blocked == 1 and not outcome.applied
    assert batch[0].info.hash not in cast.judge.open(cast.pid).known
    # A blocked participant's own document is not even opened.
    owned = cast.bob.my_doc().signed_changes()
    outcome = accept_batch(cast.judge, cast.bob.peer_id, owned, blocked={cast.bob.identity.participant_key})
    assert outcome.blocked == len(owned) and not cast.judge.exists(cast.bob.peer_id)


def test_duplicates_are_counted_and_not_stored_twice(cast: Cast) -> None:
    doc = cast.judge.open(cast.pid)
    size = doc.log_path.stat().st_size
    batch = cast.alice.repo.open(cast.pid).signed_changes()
    outcome = accept_batch(cast.judge, cast.pid, batch)
    assert outcome.duplicate == len(batch) and not outcome.applied
    assert doc.log_path.stat().st_size == size


def test_missing_dependencies_are_buffered_checked_later_and_kept_on_restart(cast: Cast) -> None:
    first = edit(cast.bob, cast.pid, entry(cast.bob))
    second = edit(cast.bob, cast.pid, entry(cast.bob))
    outcome = accept_batch(cast.judge, cast.pid, second)
    assert outcome.pending == [second[0].info.hash] and not outcome.applied
    judge = Workspace.open(cast.judge.home).repo  # a restart
    assert set(judge.open(cast.pid).pending) == {second[0].info.hash}
    outcome = accept_batch(judge, cast.pid, first)
    assert outcome.applied == [first[0].info.hash, second[0].info.hash]
    assert not judge.open(cast.pid).pending


def test_a_buffered_change_is_authorised_when_its_dependencies_arrive(cast: Cast) -> None:
    """A change that waits for its dependencies cannot be checked yet: it is checked when they come.
    If it then breaks a rule, it is dropped (from disk too); the batch that completed it is not at
    fault and is accepted. Otherwise anyone could freeze a project on a node by sending a dangling
    forbidden change on top of changes the node has not seen yet."""
    first = edit(cast.bob, cast.pid, entry(cast.bob))
    promote = cast.bob.peer_id
    bad = edit(cast.bob, cast.pid, lambda w: pdoc.set_member(w, promote, "steward", promote))
    after_bad = edit(cast.bob, cast.pid, put_code("valeurs", "waits on the bad one"))
    for batch in (bad, after_bad):
        assert accept_batch(cast.judge, cast.pid, batch).pending == [batch[0].info.hash]
    outcome = accept_batch(cast.judge, cast.pid, first)
    assert outcome.applied == [first[0].info.hash]
    assert set(outcome.dropped) == {bad[0].info.hash, after_bad[0].info.hash}
    doc = cast.judge.open(cast.pid)
    assert not doc.pending and bad[0].info.hash not in doc.known
    assert pdoc.role_of(doc.crdt, cast.bob.peer_id) == "member"
    reopened = Workspace.open(cast.judge.home).repo.open(cast.pid)  # dropped on disk too
    assert not reopened.pending and reopened.heads() == doc.heads()
    # Sent again, now that it can be checked at once, it is refused with its sender.
    refused(cast, bad, "not a steward")


def test_member_removed_concurrently_is_authorised_at_the_changes_dependencies(
    cast: Cast, tmp_path: Path
) -> None:
    """Causal authorisation: a change is judged in the state at its dependencies. Bob's entry and
    Alice's removal of Bob are concurrent: whatever order a node receives them in, the entry is
    accepted, and Bob is not a member afterwards. A change Bob makes after seeing his removal is not."""
    judged = cast.judge.open(cast.pid)
    removal = forge(cast.alice, judged, lambda w: pdoc.remove_member(w, cast.bob.peer_id))
    concurrent = forge(cast.bob, judged, entry(cast.bob))
    assert removal[0].info.deps == concurrent[0].info.deps  # both made on the same state
    base = judged.signed_changes()
    for number, order in enumerate(((removal, concurrent), (concurrent, removal))):
        judge = Workspace.create(tmp_path / f"judge-{number}", "Judge").repo
        accept_batch(judge, cast.pid, base)
        for batch in order:
            accept_batch(judge, cast.pid, batch)
        doc = judge.open(cast.pid)
        assert concurrent[0].info.hash in doc.known
        assert pdoc.role_of(doc.crdt, cast.bob.peer_id) is None
        assert list(pdoc.entries(doc.crdt))
    # Bob hears of his removal; anything he writes afterwards is refused.
    accept_batch(cast.judge, cast.pid, removal + concurrent)
    late = forge(cast.bob, cast.judge.open(cast.pid), entry(cast.bob))
    refused(cast, late, "is not a member")


def test_tampered_change_with_recomputed_checksum_is_not_authenticated(cast: Cast) -> None:
    (change,) = edit(cast.alice, cast.pid, put_code("a", "bonjour"))
    raw = wire.split_chunks(change.info.chunk)[0]
    body = bytearray(raw.change_body)
    body[-3] ^= 0x01
    tampered_chunk = wire.build_chunk("change", bytes(body))
    tampered = change_info(tampered_chunk)
    assert tampered.hash != change.info.hash and tampered.actor == change.info.actor
    refused(cast, [SignedChange(tampered, change.signature)], "forged signature")
    refused(cast, [SignedChange(tampered, None)], "neither signed nor covered")


# -- the operations reader agrees with automerge's diff ----------------------------------------------------

ACTIONS = st.sampled_from(
    [
        "code-put",
        "code-text",
        "code-nested",
        "history-insert",
        "policy-put",
        "members-put",
        "members-delete",
        "meta-put",
        "ledger-own",
        "ledger-other-tag",
        "ledger-wrong-author",
        "ledger-scalar",
        "ledger-modify",
        "ledger-delete",
        "ledger-dims",
        "ack-own",
        "distribution-own",
        "root-put",
        "code-delete",
    ]
)


def scripted(action: str, author: Workspace, others: list[Workspace]) -> Callable[[Writer], None]:
    def write(w: Writer) -> None:
        def container(key: str) -> bytes:
            found = w.child(ROOT_ID, key)
            assert found is not None
            return found

        mine = pdoc.new_record_id(author.peer_id)
        if action == "code-put":
            w.put(container("code"), "valeurs", "x")
        elif action == "code-text":
            w.put_text(container("code"), "histoire", "ab")
        elif action == "code-nested":
            w.put(w.put_map(container("code"), "nested"), "k", 1)
        elif action == "history-insert":
            w.put(w.append_map(container("code_history")), "by", author.peer_id)
        elif action == "policy-put":
            w.put(container("policy"), "version", 2)
        elif action == "members-put":
            w.put(w.put_map(container("members"), others[0].peer_id), "role", "member")
        elif action == "members-delete":
            for key in w.keys(container("members"))[:1]:
                w.delete(container("members"), key)
        elif action == "meta-put":
            w.put(container("meta"), "name", "renamed")
        elif action.startswith("ledger-") and action not in ("ledger-modify", "ledger-delete"):
            if action == "ledger-scalar":
                w.put(container("ledger"), mine, 5)
                return
            record = pdoc.new_record_id(others[0].peer_id) if action == "ledger-other-tag" else mine
            obj = w.put_map(container("ledger"), record)
            w.put(obj, "author", others[0].peer_id if action == "ledger-wrong-author" else author.peer_id)
            w.put(obj, "amount", 1)
            if action == "ledger-dims":
                w.put(w.put_map(obj, "dimensions"), "joy", 3)
        elif action in ("ledger-modify", "ledger-delete"):
            for key in w.keys(container("ledger"))[:1]:
                if action == "ledger-delete":
                    w.delete(container("ledger"), key)
                else:
                    entry = w.child(container("ledger"), key)
                    if entry is not None:
                        w.put(entry, "amount", 99)
        elif action == "ack-own":
            w.put(w.put_map(container("acks"), mine), "by", author.peer_id)
        elif action == "distribution-own":
            w.put(w.put_map(container("distributions"), mine), "by", author.peer_id)
        elif action == "root-put":
            w.put(ROOT_ID, "extra", 1)
        elif action == "code-delete":
            for key in w.keys(container("code"))[:1]:
                w.delete(container("code"), key)

    return write


def test_ordinary_changes_are_judged_from_their_own_operations(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else the property below would hold with an operations reader that never accepts anything."""

    def no_diff(*args: object) -> bool:
        raise AssertionError("judged through automerge's diff")

    def no_second_reading(*args: object) -> None:
        raise AssertionError("columns read again: the door has the canonical check's reading")

    monkeypatch.setattr(project_rules, "_check_project_change", no_diff)
    monkeypatch.setattr(project_rules, "_change_ops", no_second_reading)
    batch = edit(cast.bob, cast.pid, put_code("valeurs", "soin"))
    batch += edit(cast.bob, cast.pid, entry(cast.bob))
    assert len(accept_batch(cast.judge, cast.pid, batch).applied) == 2


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Workspace], StoredDoc]:
    root = tmp_path_factory.mktemp("arena")
    alice, bob, mallory = (Workspace.create(root / n, n) for n in ("alice", "bob", "mallory"))
    pid = projects.create_project(alice, "arena")
    projects.add_member(alice, pid, bob.peer_id)
    doc = alice.repo.open(pid)
    existing = pdoc.new_record_id(bob.peer_id)
    judge = Workspace.create(root / "judge", "judge").repo
    accept_batch(judge, pid, doc.signed_changes())
    accept_batch(judge, pid, forge(bob, judge.open(pid), entry(bob, existing)))
    return [alice, bob, mallory], judge.open(pid)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    script=st.lists(
        st.tuples(st.integers(0, 2), st.lists(ACTIONS, min_size=1, max_size=3)), min_size=1, max_size=4
    )
)
def test_reading_operations_gives_the_same_verdict_as_the_diff(
    arena: tuple[list[Workspace], StoredDoc],
    script: list[tuple[int, list[str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, stored = arena
    doc = CrdtDoc.load(stored.crdt.save(), people[0].identity.public_key)
    batch: list[SignedChange] = []
    for who, actions in script:
        author = people[who]
        doc = CrdtDoc.load(doc.save(), author.identity.public_key)
        others = [p for p in people if p is not author]
        for action in actions:
            info = doc.change(scripted(action, author, others))
            if info is not None:
                batch.append(SignedChange(info, author.identity.sign(info.hash)))
    if not batch:
        return
    checked = canonical.check(stored, batch).operations  # the door's reading of the operations
    verdicts = []
    for fast, decoded in ((True, checked), (True, None), (False, None)):
        monkeypatch.setattr(project_rules, "FAST_PATH", fast)
        try:
            authorize_project(stored, stored.plan(batch), decoded)
            verdicts.append("accepted")
        except Rejected:
            verdicts.append("rejected")
    assert verdicts[0] == verdicts[1] == verdicts[2], (script, verdicts)


# -- authorship: a participant document's author is the owner its id names ----------------------------------


def spoofing_document(author: Workspace, named: str) -> StoredDoc:
    """`author`'s own document as a hostile client writes it: its `owner` field names someone else."""
    doc = author.repo.open(author.peer_id)
    doc.local_change(author.identity.sign, lambda w: w.put(ROOT_ID, "owner", named))
    return doc


def test_a_participant_document_naming_another_owner_is_refused(cast: Cast) -> None:
    # At its creation: a genesis whose `owner` is not the document's id.
    fresh = cast.mallory.repo.scratch(cast.mallory.peer_id)
    info = fresh.crdt.change(lambda w: participant.genesis(w, cast.alice.peer_id, "Alice"))
    assert info is not None
    genesis = [SignedChange(info, cast.mallory.identity.sign(info.hash))]
    with pytest.raises(Rejected, match="owner"):
        accept_batch(cast.judge, cast.mallory.peer_id, genesis)
    assert not cast.judge.exists(cast.mallory.peer_id)
    # Later: a change that rewrites the field.
    accept_batch(cast.judge, cast.mallory.peer_id, cast.mallory.my_doc().signed_changes())
    held = cast.judge.open(cast.mallory.peer_id).heads()
    rewrite = spoofing_document(cast.mallory, cast.alice.peer_id).signed_changes(held)
    with pytest.raises(Rejected, match="owner"):
        accept_batch(cast.judge, cast.mallory.peer_id, rewrite)
    assert cast.judge.open(cast.mallory.peer_id).heads() == held


def test_items_and_answers_are_authored_by_the_owner_the_document_id_names(cast: Cast) -> None:
    """Mallory's own copy of her document says Alice owns it: her items and answers stay hers."""
    from reliance.model.catalogue import Item, ItemKind

    offer = cast.alice.add_item(Item(id="", kind=ItemKind.OFFER, title="Soupe", author=""))
    accept_batch(cast.mallory.repo, cast.alice.peer_id, cast.alice.my_doc().signed_changes())
    spoofing_document(cast.mallory, cast.alice.peer_id)
    mine = cast.mallory.add_item(Item(id="", kind=ItemKind.NEED, title="Vélo", author=""))
    answer = cast.mallory.answer(offer.id, "interested", "moi")
    found = {item.id: item.author for item in cast.mallory.items()}
    assert found[mine.id] == cast.mallory.peer_id
    assert found[offer.id] == cast.alice.peer_id
    item = cast.mallory.find_item(mine.id)
    assert item is not None and item.author == cast.mallory.peer_id
    assert [a.author for a in cast.mallory.answers_to(offer.id)] == [cast.mallory.peer_id]
    assert answer.author == cast.mallory.peer_id


# -- each author's history is linear -------------------------------------------------------------------------


def renumbered(chunk: bytes, deps: list[bytes], seq: int) -> bytes:
    """The same change with other dependencies and sequence number (its hash changes: its author signs
    it again), as a hostile client may write it."""
    body = wire.split_chunks(chunk)[0].change_body
    n_deps, pos = wire.read_uleb128(body, 0)
    pos += 32 * n_deps
    actor_len, after_actor = wire.read_uleb128(body, pos)
    after_actor += actor_len
    _, after_seq = wire.read_uleb128(body, after_actor)
    head = wire.write_uleb128(len(deps)) + b"".join(sorted(deps)) + body[pos:after_actor]
    return wire.build_chunk("change", head + wire.write_uleb128(seq) + body[after_seq:])


def fork_of_own_history(
    ws: Workspace, base: StoredDoc, upto: bytes, seq: int, write: Callable[[Writer], None]
) -> list[SignedChange]:
    """A change by `ws` that depends on `upto` only, numbered `seq`: it leaves out the author's changes
    after `upto` (made on the whole document, so its operation counters are fresh)."""
    whole = CrdtDoc.load(base.crdt.save(), ws.identity.public_key)
    info = whole.change(write)
    assert info is not None
    forked = change_info(renumbered(info.chunk, [upto], seq))
    return [SignedChange(forked, ws.identity.sign(forked.hash))]


def test_an_author_cannot_fork_their_own_history_to_rewrite_a_ledger_entry(cast: Cast) -> None:
    """Bob records an entry; then he signs, on the state before it, a change that makes the same entry
    again with another amount. Accepted, it would merge as a conflict on the entry: a rewrite."""
    entry_id = pdoc.new_record_id(cast.bob.peer_id)
    first = edit(cast.bob, cast.pid, put_code("valeurs", "soin"))
    recorded = edit(cast.bob, cast.pid, entry(cast.bob, entry_id))
    accept_batch(cast.judge, cast.pid, first + recorded)
    bob_doc = cast.bob.repo.open(cast.pid)

    def rewrite(w: Writer) -> None:
        entry(cast.bob, entry_id)(w)
        ledger = w.child(ROOT_ID, "ledger")
        assert ledger is not None
        obj = w.child(ledger, entry_id)
        assert obj is not None
        w.put(obj, "amount", 3000)

    forked = fork_of_own_history(cast.bob, bob_doc, first[0].info.hash, recorded[0].info.seq + 1, rewrite)
    assert recorded[0].info.hash not in forked[0].info.deps
    refused(cast, forked, "previous change")
    (kept,) = [e for e in pdoc.entries(cast.judge.open(cast.pid).crdt) if e["id"] == entry_id]
    assert kept["amount"] == 30


def test_a_participant_document_refuses_a_fork_of_its_owners_history(cast: Cast) -> None:
    cast.alice.set_code("valeurs", "entraide")
    cast.alice.set_code("valeurs", "entraide et soin")
    accept_batch(cast.judge, cast.alice.peer_id, cast.alice.my_doc().signed_changes())
    doc = cast.alice.my_doc()
    changes = doc.signed_changes()
    genesis, last = changes[0].info, changes[-1].info
    forked = fork_of_own_history(
        cast.alice, doc, genesis.hash, last.seq + 1, lambda w: w.put(ROOT_ID, "x", 1)
    )
    held = cast.judge.open(cast.alice.peer_id).heads()
    with pytest.raises(Rejected, match="previous change"):
        accept_batch(cast.judge, cast.alice.peer_id, forked)
    assert cast.judge.open(cast.alice.peer_id).heads() == held


def test_a_fork_hidden_in_a_batch_out_of_causal_order_is_refused(cast: Cast) -> None:
    cast.alice.set_code("valeurs", "entraide")
    cast.alice.set_code("valeurs", "entraide et soin")
    doc = cast.alice.my_doc()
    genesis, *later = doc.signed_changes()
    accept_batch(cast.judge, cast.alice.peer_id, [genesis])
    forked = fork_of_own_history(cast.alice, doc, genesis.info.hash, later[-1].info.seq + 1, put_root("x"))
    # (Judged in the order it would apply, the fork comes right after the creation: numbered as the
    # author's fourth change there, it is refused by the canonical check as well.)
    with pytest.raises(Rejected, match=r"previous change|numbered"):
        accept_batch(cast.judge, cast.alice.peer_id, list(reversed([*later, *forked])))
    assert cast.judge.open(cast.alice.peer_id).heads() == [genesis.info.hash]


def put_root(key: str) -> Callable[[Writer], None]:
    return lambda w: w.put(ROOT_ID, key, 1)


# -- the project's first change passes the per-record rules -------------------------------------------------


def test_the_first_change_cannot_write_records_by_other_members(cast: Cast, tmp_path: Path) -> None:
    """Alice creates a project whose first change already holds a ledger entry and an acknowledgement
    "by" Bob: the creation is refused like any other change that writes records under another name."""
    nonce = pdoc.new_nonce()
    pid = pdoc.project_id_for(cast.alice.identity.public_key, nonce)
    bob_tag_entry = pdoc.new_record_id(cast.bob.peer_id)
    alice_tag_entry = pdoc.new_record_id(cast.alice.peer_id)

    def genesis_with(extra: Callable[[Writer], None]) -> list[SignedChange]:
        doc = cast.alice.repo.scratch(pid)

        def write(w: Writer) -> None:
            pdoc.genesis(w, project_id=pid, name="piège", creator=cast.alice.peer_id, nonce=nonce)
            extra(w)

        info = doc.crdt.change(write)
        assert info is not None
        return [SignedChange(info, cast.alice.identity.sign(info.hash))]

    def ack_by_bob(w: Writer) -> None:
        acks = w.child(ROOT_ID, "acks")
        assert acks is not None
        obj = w.put_map(acks, pdoc.new_record_id(cast.alice.peer_id))
        w.put(obj, "entry", alice_tag_entry)
        w.put(obj, "by", cast.bob.peer_id)

    judge = Workspace.create(tmp_path / "first", "First").repo
    for extra, words in (
        (entry(cast.bob, bob_tag_entry), "under another author's id"),
        (entry(cast.alice, alice_tag_entry, named=cast.bob.peer_id), "does not name its author"),
        (ack_by_bob, "does not name its author"),
        (lambda w: w.put(ROOT_ID, "extra", 1), "unknown part"),
    ):
        with pytest.raises(Rejected, match=words):
            accept_batch(judge, pid, genesis_with(extra))
        assert not judge.exists(pid)
    # The same creation with Alice's own entry is fine.
    accept_batch(judge, pid, genesis_with(entry(cast.alice, alice_tag_entry)))
    assert [e["id"] for e in pdoc.entries(judge.open(pid).crdt)] == [alice_tag_entry]
