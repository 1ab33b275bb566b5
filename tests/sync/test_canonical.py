"""A change automerge would not give back as it came is refused at the door, whatever brings it; a
snapshot is never replaced by one that does not load with the same heads.

The forged changes here say exactly what a real change says, in other bytes (or say something automerge
would store otherwise), signed by their real author: a member, or a stranger in their own documents.
Accepted, they make the next compaction write a document that no longer loads, on every node."""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import changecheck, wire
from reliance.automerge import changecodec as codec
from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, CrdtError, CrdtPanic, Writer
from reliance.doc import project as pdoc
from reliance.replication import canonical
from reliance.replication.auth import Rejected, accept_batch
from reliance.replication.bundle import BundleError, export_bundle, import_bundle
from reliance.replication.protocol import BatchRefused
from reliance.store.records import change_info
from reliance.store.repository import Repository, SignedChange, StoredDoc
from tests.sync.hostile import project_with_member
from tests.sync.memnet import MemNet
from tests.sync.noncanonical import forge_change, single_as_run, with_empty_column

# -- the hazard --------------------------------------------------------------------------------------------


def loads_back(doc: CrdtDoc) -> bool:
    try:
        return CrdtDoc.load(doc.save(), doc.actor).heads() == doc.heads()
    except (CrdtError, CrdtPanic):
        return False


def code_edit(author: str, heads: list[bytes]) -> Callable[[Writer], None]:
    return lambda w: pdoc.set_code_section(w, "values", "we share tools", author, heads)


def test_automerge_applies_a_re_encoded_change_and_then_cannot_load_its_own_save(tmp_path: Path) -> None:
    """Why the door must refuse these changes: automerge takes them, and its own save() breaks."""
    cast = project_with_member(tmp_path)
    bob = cast.bob
    stored = bob.doc(cast.pid)
    for rewrite in (single_as_run, with_empty_column):
        bad = forge_change(bob.ws.identity, stored, code_edit(bob.peer_id, stored.heads()), rewrite)
        doc = stored.crdt.fork()
        doc.apply([bad.info.chunk])
        assert bad.info.hash in doc.heads()
        assert not loads_back(doc)


# -- through a session, a bundle, gossip -------------------------------------------------------------------


def assert_still_loads(ws: Workspace, doc_id: str, heads: list[bytes]) -> None:
    """Compact, then open the home again from disk: same heads, and the project is listed."""
    ws.repo.open(doc_id).compact()
    again = Workspace.open(ws.home)
    assert again.repo.open(doc_id).heads() == heads
    if doc_id.startswith("pj"):
        assert doc_id in [p.id for p in projects.list_projects(again)]


def test_a_members_re_encoded_change_sent_over_a_session_is_refused(tmp_path: Path) -> None:
    cast = project_with_member(tmp_path, on_disk=True)
    alice, bob, pid = cast.alice, cast.bob, cast.pid
    stored = bob.doc(pid)
    bad = forge_change(bob.ws.identity, stored, code_edit(bob.peer_id, stored.heads()), single_as_run)
    stored.add_verified([bad])  # Bob's own node is hostile: it keeps and sends what it likes
    before = alice.doc(pid).heads()

    link = cast.net.connect(alice, bob)
    cast.net.pump()

    refused = [e for e in link.events_a if isinstance(e, BatchRefused) and e.doc_id == pid]
    assert refused and "automerge's encoding" in refused[0].reason, link.events_a
    assert bad.info.hash not in alice.doc(pid).known and bad.info.hash not in alice.doc(pid).pending
    assert_still_loads(alice.ws, pid, before)


def test_a_members_re_encoded_change_in_a_bundle_is_refused(tmp_path: Path) -> None:
    cast = project_with_member(tmp_path, on_disk=True)
    alice, bob, pid = cast.alice, cast.bob, cast.pid
    stored = bob.doc(pid)
    bad = forge_change(bob.ws.identity, stored, code_edit(bob.peer_id, stored.heads()), with_empty_column)
    stored.add_verified([bad])
    path = tmp_path / "bob.bundle"
    export_bundle(bob.ws.repo, path, [pid], bob.peer_id)
    before = alice.doc(pid).heads()

    with pytest.raises(BundleError, match=r"nothing imported.*automerge's encoding"):
        import_bundle(alice.ws.repo, path)

    assert alice.doc(pid).heads() == before
    assert_still_loads(alice.ws, pid, before)


def test_a_strangers_re_encoded_document_travels_no_further_than_its_first_hop(tmp_path: Path) -> None:
    """A stranger writes a bad change into their own participant document (theirs to write) and hands it
    to Bob; Alice, who never met the stranger, must never receive it through Bob."""
    net = MemNet(tmp_path)
    alice, bob, stranger = net.node("Alice"), net.node("Bob"), net.node("Stranger")
    doc_id = stranger.peer_id
    stranger.ws.set_code("values", "hello")
    own = stranger.doc(doc_id)
    bad = forge_change(stranger.ws.identity, own, lambda w: w.put(ROOT_ID, "motto", "hi"), single_as_run)
    own.add_verified([bad])

    first = net.connect(stranger, bob)
    net.pump()
    relay = net.connect(bob, alice)
    net.pump()

    # Bob refuses it: as a change that is not automerge's encoding of itself or, when the stranger's node
    # opens with its whole document (its own save(), which cannot be read back), as an unreadable document.
    refused = [
        e for e in first.events_a + first.events_b if isinstance(e, BatchRefused) and e.doc_id == doc_id
    ]
    assert refused, (first.events_a, first.events_b)
    assert any("automerge's encoding" in e.reason or "mismatching heads" in e.reason for e in refused), (
        refused
    )
    for node in (bob, alice):
        assert not node.holds(doc_id) or bad.info.hash not in node.doc(doc_id).known
    assert not relay.refusals()
    if bob.holds(doc_id):
        assert_still_loads(bob.ws, doc_id, bob.doc(doc_id).heads())


# -- other ways automerge would store a change differently from what it says -----------------------------

Rewrite = Callable[[codec.DecodedChange, int], codec.DecodedChange]


class Scene:
    """An author's participant document, held by a judge; `start` is the first counter of the author's
    change that made a map `m` (start), a list `l` (start + 1) holding one element (start + 2), and
    `m["k"]` (start + 3)."""

    def __init__(self, root: Path) -> None:
        self.author = Workspace.create(root / "author", "Author")
        self.judge = Workspace.create(root / "judge", "Judge").repo
        self.doc_id = self.author.peer_id
        self.doc = self.author.repo.open(self.doc_id, create=True)

        def base(w: Writer) -> None:
            m = w.put_map(ROOT_ID, "m")
            w.put_list(ROOT_ID, "l", [1])
            w.put(m, "k", 0)

        info = self.doc.local_change(self.author.identity.sign, base)
        assert info is not None
        self.start = changecheck.check_change(codec.change_body(info.chunk)).start_op
        accept_batch(self.judge, self.doc_id, self.doc.signed_changes())

    def forge(self, rewrite: Rewrite) -> SignedChange:
        """The author's next change (`m["x"] = 1`, `m["y"] = 2`), rewritten, encoded the canonical way."""
        doc = self.doc.crdt.fork()

        def edit(w: Writer) -> None:
            m = w.child(ROOT_ID, "m")
            assert m is not None
            w.put(m, "x", 1)
            w.put(m, "y", 2)

        made = doc.change(edit)
        assert made is not None
        decoded = changecheck.check_change(codec.change_body(made.chunk))
        info = change_info(wire.build_chunk("change", codec.encode_change(rewrite(decoded, self.start))))
        return SignedChange(info, self.author.identity.sign(info.hash))


def first_op(change: codec.DecodedChange, **fields: object) -> codec.DecodedChange:
    return change._replace(ops=[change.ops[0]._replace(**fields), *change.ops[1:]])


# name: (the rewrite, words of the reason, whether automerge's save() then fails to load)
SEMANTIC_CASES: dict[str, tuple[Rewrite, str, bool]] = {
    "a predecessor on another key": (
        lambda c, s: first_op(c, pred=((s + 3, 0),)),
        "not on the same key",
        True,
    ),
    "a predecessor that never existed": (
        lambda c, s: first_op(c, pred=((s + 3, 1),))._replace(others=(b"\x00" * 32,)),
        "not on the same key",
        True,
    ),
    "a predecessor later than itself": (
        lambda c, s: first_op(c, pred=((c.start_op + 1, 0),)),
        "not smaller",
        True,
    ),
    "a write into an object made after it": (
        lambda c, s: c._replace(
            ops=[
                c.ops[0]._replace(obj=(c.start_op + 1, 0)),
                c.ops[1]._replace(action=codec.MAKE_MAP, value=(0, b"")),
            ]
        ),
        "not smaller",
        True,
    ),
    "a deletion of nothing": (
        lambda c, s: first_op(c, action=codec.DELETE, value=(0, b"")),
        "deletes nothing",
        True,
    ),
    "a write into no object": (
        lambda c, s: first_op(c, obj=(s + 2, 1))._replace(others=(b"\x00" * 32,)),
        "object the document does not hold",
        True,
    ),
    "an insertion after no element": (
        lambda c, s: first_op(c, obj=(s + 1, 0), key=(s + 2, 1), insert=True)._replace(
            others=(b"\x00" * 32,)
        ),
        "element the list does not hold",
        False,  # automerge puts it somewhere; where depends on what arrives later: refused all the same
    ),
    "an insertion overwriting something": (
        lambda c, s: first_op(c, obj=(s + 1, 0), key=(s + 2, 0), insert=True, pred=((s + 2, 0),)),
        "not on the same key",
        True,
    ),
    "a gap in its author's numbering": (lambda c, s: c._replace(seq=c.seq + 2), "numbered", True),
    "counters its author used before": (lambda c, s: c._replace(start_op=s + 1), "reuse counters", True),
}


@pytest.mark.parametrize("case", sorted(SEMANTIC_CASES))
def test_a_change_automerge_would_store_otherwise_is_refused(tmp_path: Path, case: str) -> None:
    rewrite, words, bricks = SEMANTIC_CASES[case]
    scene = Scene(tmp_path)
    honest = scene.forge(lambda c, s: c)
    forged = scene.forge(rewrite)
    held = scene.judge.open(scene.doc_id)

    # Without the check automerge applies it, and the document no longer loads from its own save().
    doc = held.crdt.fork()
    doc.apply([forged.info.chunk])
    assert forged.info.hash in doc.heads() and loads_back(doc) is not bricks

    before = held.heads()
    with pytest.raises(Rejected, match=words) as refused:
        accept_batch(scene.judge, scene.doc_id, [forged])
    assert refused.value.change == forged.info.hash
    assert held.heads() == before
    accept_batch(scene.judge, scene.doc_id, [honest])  # the honest one, the same but for the forgery, passes
    assert honest.info.hash in held.known


# -- compaction ----------------------------------------------------------------------------------------------


def test_compaction_keeps_a_snapshot_that_loads_when_the_document_holds_a_bad_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A document that took a re-encoded change before changes were checked: compacting it must not
    write a snapshot that does not load, and must say which document."""
    ws = Workspace.create(tmp_path / "home", "Ann")
    pid = projects.create_project(ws, "atelier")
    stored = ws.repo.open(pid)
    stored.compact()
    bad = forge_change(ws.identity, stored, code_edit(ws.peer_id, stored.heads()), single_as_run)
    stored.add_verified([bad])  # unchecked, as an older node did
    heads = stored.heads()

    with caplog.at_level(logging.WARNING):
        stored.compact()

    assert any(pid in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert saved_form(stored) == "changes"  # load() applies them as they came
    again = Workspace.open(ws.home)
    assert again.repo.open(pid).heads() == heads
    again.repo.open(pid).compact()  # and again, from what was read back
    assert Workspace.open(ws.home).repo.open(pid).heads() == heads


def test_a_write_into_a_concurrent_object_with_a_higher_counter_is_refused(tmp_path: Path) -> None:
    """Found by the property below: B writes into a map A made concurrently, whose counter is higher
    than B's own. Automerge applies it, but `load()` reads B's map before the one it sits in."""
    a, b = CrdtDoc.new(ACTORS[0]), CrdtDoc.new(ACTORS[1])
    genesis = a.change(lambda w: w.put_map(ROOT_ID, "m"))
    assert genesis is not None
    b.apply([genesis.chunk])

    def nested(w: Writer) -> None:
        m = w.child(ROOT_ID, "m")
        assert m is not None
        for key in "abcdef":
            w.put(m, key, 1)
        w.put_map(m, "inner")

    concurrent = a.change(nested)  # its map "inner" has counter 8

    def own(w: Writer) -> None:  # counters 2 and 3, on top of the genesis only
        x = w.put_map(ROOT_ID, "x")
        w.put(x, "v", 1)

    mine = b.change(own)
    assert concurrent is not None and mine is not None
    decoded = changecheck.check_change(codec.change_body(mine.chunk))
    into_inner = decoded._replace(
        others=(ACTORS[0],), ops=[decoded.ops[0]._replace(obj=(8, 1)), decoded.ops[1]]
    )
    forged = change_info(wire.build_chunk("change", codec.encode_change(into_inner)))
    stored = fresh_store(tmp_path, [genesis, concurrent])
    doc = stored.crdt.fork()
    doc.apply([forged.chunk])
    assert forged.hash in doc.heads() and not loads_back(doc)
    refusal = canonical.refusal(stored, [SignedChange(forged, None)])
    assert refusal is not None and "not smaller" in refusal.reason


def saved_form(stored: StoredDoc) -> str:
    """What the snapshot on disk holds: automerge's save() (a document chunk) or the changes as they are."""
    saved = msgpack.unpackb(stored.snapshot_path.read_bytes(), raw=False)["am"]
    return "document" if saved[8] == 0 else "changes"


def test_compaction_of_a_sound_document_writes_automerges_save(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "home", "Ann")
    pid = projects.create_project(ws, "atelier")
    stored = ws.repo.open(pid)
    stored.local_change(ws.identity.sign, code_edit(ws.peer_id, stored.heads()))
    stored.compact()
    assert saved_form(stored) == "document" and not stored.warnings


def test_when_nothing_loads_back_the_old_snapshot_and_the_log_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.create(tmp_path / "home", "Ann")
    pid = projects.create_project(ws, "atelier")
    stored = ws.repo.open(pid)
    stored.compact()
    snapshot = stored.snapshot_path.read_bytes()
    stored.local_change(ws.identity.sign, code_edit(ws.peer_id, stored.heads()))
    heads = stored.heads()
    monkeypatch.setattr(StoredDoc, "_loads_back", lambda self, data, heads: False)  # automerge fails
    stored.compact()
    assert stored.snapshot_path.read_bytes() == snapshot
    assert any("not replaced" in w for w in stored.warnings)
    monkeypatch.undo()
    assert Workspace.open(ws.home).repo.open(pid).heads() == heads  # the old snapshot and the log


# -- properties: every real change passes; a mutated one is refused or survives saving ---------------------

ACTORS = [bytes([i]) * 32 for i in (1, 2, 3)]


@st.composite
def histories(draw: st.DrawFn) -> list[ChangeInfo]:
    """The changes of a document edited by up to three actors, with merges: maps (the root map too),
    lists, text, deletes, overwrites and conflicts; in the order automerge applied them on the last actor
    to merge all."""
    docs = [CrdtDoc.new(actor) for actor in ACTORS]

    def genesis(w: Writer) -> None:
        w.put_map(ROOT_ID, "m")
        w.put_list(ROOT_ID, "l", ["a"])
        w.put_text(ROOT_ID, "t", "hi")

    first = docs[0].change(genesis)
    assert first is not None
    for doc in docs[1:]:
        doc.apply([first.chunk])
    for _ in range(draw(st.integers(1, 14))):
        who = draw(st.integers(0, 2))
        doc = docs[who]
        what = draw(
            st.sampled_from(
                ["put", "map", "del", "list", "ldel", "text", "tdel", "merge", "multi", "root", "rootdel"]
            )
        )
        if what == "merge":
            other = docs[draw(st.integers(0, 2))]
            missing = other.changes_since(
                [h for h in doc.heads() if h in {c.hash for c in other.changes_since([])}]
            )
            doc.apply([c.chunk for c in missing if c.hash not in {x.hash for x in doc.changes_since([])}])
            continue
        key = draw(st.sampled_from(["a", "b", "c"]))
        value = draw(
            st.one_of(
                st.integers(-300, 300),
                st.text(max_size=3),
                st.booleans(),
                st.none(),
                st.floats(allow_nan=False),
            )
        )
        index = draw(st.integers(0, 3))

        def edit(
            w: Writer, what: str = what, key: str = key, value: object = value, index: int = index
        ) -> None:
            m, lst, text = (w.child(ROOT_ID, k) for k in ("m", "l", "t"))
            assert m is not None and lst is not None and text is not None
            if what in ("put", "multi"):
                w.put(m, key, value)
            if what == "root":  # the root map: the usual change of a participant document
                w.put(ROOT_ID, key, value)
            if what == "rootdel" and key in w.keys(ROOT_ID):
                w.delete(ROOT_ID, key)
            if what in ("map", "multi"):
                inner = w.put_map(m, key + "x")
                w.put(inner, "v", value)
            if what == "del" and key in w.keys(m):
                w.delete(m, key)
            if what in ("list", "multi"):
                w.append(lst, value)
            if what == "ldel" and w.list_values(lst):
                w.delete(lst, min(index, len(w.list_values(lst)) - 1))
            if what in ("text", "multi"):
                old = w.text(text)
                w.set_text(ROOT_ID, "t", old[: min(index, len(old))] + "xy" + old[min(index, len(old)) :])
            if what == "tdel":
                old = w.text(text)
                if old:
                    w.set_text(ROOT_ID, "t", old[:-1])

        doc.change(edit)
    final = docs[2]
    for doc in docs[:2]:
        known = {c.hash for c in final.changes_since([])}
        final.apply([c.chunk for c in doc.changes_since([]) if c.hash not in known])
    return final.changes_since([])


def fresh_store(root: Path, changes: list[ChangeInfo]) -> StoredDoc:
    repo = Repository(root, b"\x09" * 32)
    stored = repo.open("pj" + "0" * 32, create=True)
    if changes:
        stored.add_verified([SignedChange(c, None) for c in changes])
    return stored


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_every_change_automerge_makes_passes(history: list[ChangeInfo]) -> None:
    for change in history:
        changecheck.check_change(codec.change_body(change.chunk))
    with tempfile.TemporaryDirectory() as root:
        whole = fresh_store(Path(root) / "a", [])
        assert canonical.refusal(whole, [SignedChange(c, None) for c in history]) is None
        one_by_one = fresh_store(Path(root) / "b", [])
        for change in history:
            assert canonical.refusal(one_by_one, [SignedChange(change, None)]) is None
            one_by_one.add_verified([SignedChange(change, None)])


def mutate(body: bytes, rng: random.Random) -> bytes:
    """Flip a few bytes after the header, or re-encode the operations with one field changed."""
    change = codec.decode_change(body)
    if rng.random() < 0.5 or not change.ops:
        header = len(body) - sum(len(d) for _, d in codec.encode_columns(change.ops)) - 8
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 3)):
            mutated[rng.randrange(max(header, 0), len(body))] = rng.randrange(256)
        return bytes(mutated)
    index = rng.randrange(len(change.ops))
    op = change.ops[index]
    counter = rng.choice([1, 2, 3, 4, 5, change.start_op - 1, change.start_op + 1, 7, 9, 12])
    actor = rng.randrange(len(change.actors))
    field = rng.choice(["pred", "obj", "key", "action", "insert", "seq", "start", "drop"])
    if field == "pred":
        op = op._replace(pred=tuple(sorted({*op.pred, (counter, actor)})))
    elif field == "obj":
        op = op._replace(obj=(counter, actor))
    elif field == "key":
        op = op._replace(key=rng.choice([(counter, actor), codec.HEAD, "zz"]))
    elif field == "action":
        op = op._replace(action=rng.randrange(8), value=(0, b""))
    elif field == "insert":
        op = op._replace(insert=not op.insert)
    ops = list(change.ops)
    ops[index] = op
    if field == "drop":
        del ops[index]
    change = change._replace(ops=ops)
    if field == "seq":
        change = change._replace(seq=max(1, change.seq + rng.choice([-1, 1])))
    if field == "start":
        change = change._replace(start_op=max(1, change.start_op + rng.choice([-2, -1, 1])))
    return codec.encode_change(change)


def refused_or_survives(history: list[ChangeInfo], seed: int, at: int) -> None:
    """Mutate one change of `history` a few ways; each mutation the check lets through, and automerge
    applies, leaves a document that loads back from its own save() with the same heads."""
    rng = random.Random(seed)
    index = 1 + at % (len(history) - 1) if len(history) > 1 else 0
    prefix, target = history[:index], history[index]
    for _ in range(8):
        try:
            info = change_info(wire.build_chunk("change", mutate(codec.change_body(target.chunk), rng)))
        except (wire.WireError, codec.NonCanonical):
            continue
        with tempfile.TemporaryDirectory() as root:
            stored = fresh_store(Path(root), prefix)
            if canonical.refusal(stored, [SignedChange(info, None)]) is not None:
                continue
            doc = stored.crdt.fork()
            try:
                doc.apply([info.chunk])
            except (CrdtError, CrdtPanic):
                continue
            if info.hash in doc.heads():
                assert loads_back(doc), info.chunk.hex()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 2**32), st.integers(0, 1000))
def test_a_mutated_change_is_refused_or_survives_saving(
    history: list[ChangeInfo], seed: int, at: int
) -> None:
    refused_or_survives(history, seed, at)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(histories(), st.integers(0, 2**32), st.integers(0, 1000))
def test_a_mutated_change_is_refused_or_survives_saving_long(
    history: list[ChangeInfo], seed: int, at: int
) -> None:
    refused_or_survives(history, seed, at)


OPERATION_REWRITES = (
    "delete",
    "mark",
    "insert",
    "increment",
    "no predecessor",
    "another predecessor",
    "into the root",
    "into a value",
)


def rewrite_operation(body: bytes, index: int, how: str) -> bytes:
    """Operation `index` made into another kind, written as automerge writes it: what the one-pass
    check's shortest road (a root map key written, naming nothing) must tell apart."""
    change = codec.decode_change(body)
    op = change.ops[index]
    if how == "delete":
        op = op._replace(action=codec.DELETE, value=(0, b""))
    elif how == "mark":
        op = op._replace(action=codec.MARK, value=(0, b""))
    elif how == "insert":
        op = op._replace(insert=not op.insert)
    elif how == "increment":
        op = op._replace(action=codec.INCREMENT, value=(codec.V_INT, b"\x01"))
    elif how == "no predecessor":
        op = op._replace(pred=())
    elif how == "another predecessor":  # the author's first operation (in the tests, on another key)
        op = op._replace(pred=((1, 0),))
    elif how == "into the root":
        op = op._replace(obj=None)
    else:  # into the author's second operation (in the tests, a value)
        op = op._replace(obj=(2, 0))
    ops = list(change.ops)
    ops[index] = op
    return codec.encode_change(change._replace(ops=ops))


def mutate_an_operation(body: bytes, rng: random.Random) -> bytes:
    count = len(codec.decode_change(body).ops)
    return rewrite_operation(body, rng.randrange(count), rng.choice(OPERATION_REWRITES)) if count else body


def check_both_ways(stored: StoredDoc, batch: list[ChangeInfo]) -> None:
    """The usual batch is read and judged in one pass, its usual changes without their `DecodedChange`;
    any other plan in two (every change read, then each judged): same verdict, same changes read."""
    fresh = [SignedChange(c, None) for c in batch]
    history = canonical._history_of(stored)  # what a batch that passes leaves for the next ones
    history.recent.clear()
    one_pass = canonical.check(stored, fresh, plan=fresh)
    taken_in_one = dict(history.recent)
    history.recent.clear()
    two_passes = canonical.check(stored, fresh, plan=list(fresh))
    assert one_pass == two_passes, [c.chunk.hex() for c in batch]
    assert taken_in_one == history.recent
    assert canonical.check(stored, fresh, plan=fresh, keep=False) == (two_passes.refusal, {})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 2**32), st.integers(0, 1000))
def test_the_one_pass_check_agrees_with_the_two_pass_check(
    history: list[ChangeInfo], seed: int, at: int
) -> None:
    """On real batches, and on batches where one or two changes were mutated (a fault of numbering or
    of what an operation names, or bytes that are not automerge's encoding, in either order)."""
    rng = random.Random(seed)
    index = at % len(history)
    prefix, rest = history[:index], history[index:]
    batches = [rest]
    for _ in range(6):
        batch = list(rest)
        for _ in range(rng.randint(1, 2)):
            target = rng.randrange(len(batch))
            try:
                body = rng.choice([mutate, mutate_an_operation])(codec.change_body(batch[target].chunk), rng)
                batch[target] = change_info(wire.build_chunk("change", body))
            except (wire.WireError, codec.NonCanonical):
                continue
        batches.append(batch)
    with tempfile.TemporaryDirectory() as root:
        stored = fresh_store(Path(root), prefix)
        for batch in batches:
            check_both_ways(stored, batch)


def test_the_one_pass_check_tells_every_root_write_apart(tmp_path: Path) -> None:
    """The usual change of a participant document (a root map key written), one into a map, and each other
    kind of operation written like them."""
    doc = CrdtDoc.new(ACTORS[0])

    def genesis(w: Writer) -> None:
        w.put_map(ROOT_ID, "m")  # operation 1
        w.put(ROOT_ID, "v", 0)  # operation 2

    def edit(w: Writer, i: int) -> None:
        inner = w.child(ROOT_ID, "m")
        assert inner is not None
        w.put(inner if i >= 4 else ROOT_ID, "xy"[i % 2], i)

    made = [doc.change(genesis), *(doc.change(lambda w, i=i: edit(w, i)) for i in range(8))]
    first, *rest = [change for change in made if change is not None]
    stored = fresh_store(tmp_path, [first])
    check_both_ways(stored, rest)
    for target in range(len(rest)):  # new keys (no predecessor), then overwrites
        for how in OPERATION_REWRITES:
            body = rewrite_operation(codec.change_body(rest[target].chunk), 0, how)
            batch = list(rest)
            batch[target] = change_info(wire.build_chunk("change", body))
            check_both_ways(stored, batch)
            check_both_ways(stored, batch[target:])
