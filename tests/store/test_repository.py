"""The on-disk repository: reopening, torn tails, compaction, several writers, buffered changes."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.automerge.crdt import CrdtDoc
from reliance.certificate import verify_proof
from reliance.doc import participant
from reliance.errors import DocumentError, OwnDocumentMissing, StoreError
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.model.codesocial import SECTION_IDS
from reliance.store import log, records, repository
from reliance.store.repository import Repository, StoredDoc

STORE_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def new_item(title: str, kind: ItemKind = ItemKind.OFFER, **fields: Any) -> Item:
    return Item(id="", kind=kind, title=title, author="", **fields)


def materialised(ws: Workspace) -> dict[str, Any]:
    """Everything a user can see of their document, plus what makes it verifiable."""
    doc = ws.my_doc()
    return {
        "plain": doc.crdt.read(),
        "heads": doc.heads(),
        "known": dict(doc.known),
        "pending": sorted(doc.pending),
        "items": sorted(
            (i.to_json() for i in participant.read_items(doc.crdt, doc.doc_id)), key=lambda d: d["id"]
        ),
        "code": participant.read_code(doc.crdt),
        "history": [(a.to_json(), a.before_heads) for a in participant.read_history(doc.crdt)],
        "answers": sorted(a.id for a in participant.read_answers(doc.crdt, doc.doc_id)),
    }


def assert_well_signed(ws: Workspace) -> None:
    """Every stored change is signed by this device and no (actor, seq) repeats."""
    doc = ws.my_doc()
    changes = doc.signed_changes()
    assert {c.info.hash for c in changes} == set(doc.known)
    seqs = sorted(c.info.seq for c in changes if c.info.actor == ws.identity.public_key)
    assert seqs == list(range(1, len(seqs) + 1))
    for change in changes:
        assert change.signature is not None
        me = ws.identity
        assert verify_proof(me.public_key, change.signature, change.info.hash) == me.participant_key


# -- reopening gives back exactly what was written -----------------------------------------------------------

titles = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=24
).filter(str.strip)
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.sampled_from(list(ItemKind)),
            titles,
            st.lists(st.sampled_from("abcd"), max_size=3),
        ),
        # (a published item never becomes a draft again: drafts live outside the document)
        st.tuples(
            st.just("update"),
            st.integers(0, 99),
            titles,
            st.sampled_from([s for s in Status if s is not Status.DRAFT]),
            texts,
        ),
        st.tuples(st.just("code"), st.sampled_from(SECTION_IDS), texts),
        st.tuples(st.just("answer"), st.integers(0, 99), st.sampled_from(["can_help", "interested"]), texts),
        st.tuples(st.just("compact")),
    ),
    min_size=1,
    max_size=14,
)


def run_operations(ws: Workspace, ops: list[tuple[Any, ...]]) -> None:
    ids: list[str] = []
    for op in ops:
        if op[0] == "add":
            ids.append(ws.add_item(new_item(op[2], op[1], tags=tuple(op[3]))).id)
        elif op[0] == "update" and ids:
            ws.update_item(ids[op[1] % len(ids)], title=op[2], status=op[3], description=op[4])
        elif op[0] == "code":
            ws.set_code(op[1], op[2])
        elif op[0] == "answer" and ids:
            ws.answer(ids[op[1] % len(ids)], op[2], op[3])
        elif op[0] == "compact":
            ws.my_doc().compact()


@STORE_SETTINGS
@given(ops=operations)
def test_random_edits_reopen_identically(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        ws = Workspace.create(home, "Alice")
        run_operations(ws, ops)
        expected = materialised(ws)

        # Automerge's own save/load round trip of the same document.
        loaded = CrdtDoc.load(ws.my_doc().crdt.save(), ws.identity.public_key)
        assert loaded.read() == expected["plain"] and loaded.heads() == expected["heads"]

        reopened = Workspace.open(home)
        assert materialised(reopened) == expected
        assert reopened.my_doc().warnings == []
        assert_well_signed(reopened)

        reopened.my_doc().compact()
        assert not any(log.scan(reopened.my_doc().log_path.read_bytes()).payloads[1:])
        after_compaction = Workspace.open(home)
        assert materialised(after_compaction) == expected

        # The store keeps working after a compaction: a new change lands in the new log.
        after_compaction.set_code("histoire", "écrit après la compaction")
        expected_later = materialised(after_compaction)
        final = Workspace.open(home)
        assert materialised(final) == expected_later
        assert_well_signed(final)


def test_automatic_compaction(home: Path) -> None:
    compact_after(home, 10)
    ws = Workspace.create(home, "Alice")
    for n in range(25):
        ws.add_item(new_item(f"item {n}"))
    doc = ws.my_doc()
    assert doc.snapshot_path.exists() and doc.generation == 2
    assert len(log.scan(doc.log_path.read_bytes()).payloads) == 1 + 26 - 20  # header + records since
    assert materialised(Workspace.open(home)) == materialised(ws)


def test_a_peers_batch_leaves_compaction_to_the_maintenance(tmp_path: Path) -> None:
    """Compacting reads the new snapshot back, about the cost of loading the document: a batch from a
    peer does not wait for it (unless the log is many times over), `Repository.compact_due` does it."""
    from reliance.replication.auth import accept_batch

    for name in ("author", "reader"):
        compact_after(tmp_path / name, 10)
    author = Workspace.create(tmp_path / "author", "Author")
    for n in range(14):
        author.set_code("histoire", f"version {n}")
    reader = Workspace.create(tmp_path / "reader", "Reader")
    changes = author.my_doc().signed_changes()
    accept_batch(reader.repo, author.peer_id, changes[:12])
    doc = reader.repo.open(author.peer_id)
    assert doc.generation == 0 and not doc.snapshot_path.exists()  # due, not done
    assert reader.repo.compact_due() == [author.peer_id]
    assert doc.generation == 1 and doc.records_since_snapshot == 0
    assert reader.repo.compact_due() == []
    assert Workspace.open(tmp_path / "reader").repo.open(author.peer_id).heads() == doc.heads()

    for n in range(80):
        author.set_code("histoire", f"again {n}")
    accept_batch(reader.repo, author.peer_id, author.my_doc().signed_changes(doc.heads()))
    assert doc.generation == 2 and doc.records_since_snapshot == 0  # far over: compacted at once
    assert doc.heads() == author.my_doc().heads()


# -- a torn or corrupt log tail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pristine:
    home: Path
    doc_id: str
    actor: bytes
    header_end: int
    records: list[tuple[int, int, bytes]]  # (start, end, change hash) of each record after the header
    size: int


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    home = tmp_path_factory.mktemp("pristine") / "home"
    ws = Workspace.create(home, "Alice")
    ws.set_code("contexte", "Un monde complexe, une accélération subie")
    for n in range(5):
        ws.add_item(new_item(f"offre {n}", description="vélo " * n, tags=("off",)))
    ws.set_code("contexte", "Un monde complexe")
    data = ws.my_doc().log_path.read_bytes()
    payloads = log.scan(data).payloads
    offset = log.HEADER.size + len(payloads[0])
    records = []
    for payload in payloads[1:]:
        chunk = msgpack.unpackb(payload, raw=False)["c"]
        end = offset + log.HEADER.size + len(payload)
        records.append((offset, end, wire.parse_change(chunk).hash))
        offset = end
    assert offset == len(data) and len(records) == 8
    return Pristine(
        home, ws.peer_id, ws.identity.public_key, log.HEADER.size + len(payloads[0]), records, len(data)
    )


def copy_of(pristine: Pristine, where: Path) -> tuple[Path, Path]:
    home = where / "home"
    shutil.copytree(pristine.home, home)
    return home, home / "docs" / pristine.doc_id / "log"


@contextmanager
def scratch_copy(pristine: Pristine) -> Iterator[tuple[Path, Path]]:
    """A copy of the pristine store per hypothesis example (tmp_path is shared by every example)."""
    with tempfile.TemporaryDirectory() as directory:
        yield copy_of(pristine, Path(directory))


def open_doc(home: Path, pristine: Pristine) -> StoredDoc:
    return Repository(home, pristine.actor).open(pristine.doc_id)


def check_recovered(home: Path, pristine: Pristine, kept: int, damaged: bool) -> None:
    log_path = home / "docs" / pristine.doc_id / "log"
    before = log_path.read_bytes()
    stored = open_doc(home, pristine)
    expected = {h for _, _, h in pristine.records[:kept]}
    assert set(stored.known) == expected
    assert not stored.pending
    assert bool(stored.warnings) == damaged
    if damaged:
        assert "torn or corrupt log tail" in stored.warnings[0]
    # Reading writes nothing: the tail is left for the home's writer (perhaps an append under way).
    assert log_path.read_bytes() == before
    boundary = pristine.records[kept - 1][1] if kept else pristine.header_end
    ws = Workspace.open(home)
    if not kept:
        # Not even the first change survived: writing would start a history again, only on request.
        with pytest.raises(OwnDocumentMissing):
            ws.add_item(new_item("trop tôt"))
        ws.start_my_document()
    ws.add_item(new_item("après réparation"))  # the writer cuts the tail before it appends
    after = log_path.read_bytes()
    assert after[:boundary] == before[:boundary] and log.scan(after, boundary).damaged is False
    # The repair is done once: the next open sees a clean log, and new writes are kept.
    again = open_doc(home, pristine)
    assert again.warnings == [] and expected <= set(again.known)
    assert "après réparation" in {i.title for i in Workspace.open(home).items()}
    with pytest.raises(DocumentError, match="nothing to start again"):
        ws.start_my_document()  # its history goes on: never a second one


@STORE_SETTINGS
@given(data=st.data())
def test_a_log_cut_anywhere_keeps_every_complete_record(pristine: Pristine, data: st.DataObject) -> None:
    cut = data.draw(st.integers(pristine.header_end, pristine.size - 1), label="cut")
    with scratch_copy(pristine) as (home, log_path):
        log.truncate(log_path, cut)
        kept = sum(1 for _, end, _ in pristine.records if end <= cut)
        boundaries = {pristine.header_end} | {end for _, end, _ in pristine.records}
        check_recovered(home, pristine, kept, damaged=cut not in boundaries)


@STORE_SETTINGS
@given(garbage=st.binary(min_size=1, max_size=300))
def test_garbage_after_the_last_record_is_cut(pristine: Pristine, garbage: bytes) -> None:
    with scratch_copy(pristine) as (home, log_path):
        with open(log_path, "ab") as handle:
            handle.write(garbage)
        check_recovered(home, pristine, len(pristine.records), damaged=True)


@STORE_SETTINGS
@given(data=st.data())
def test_a_flipped_byte_in_the_last_record_loses_only_that_record(
    pristine: Pristine, data: st.DataObject
) -> None:
    start, end, _ = pristine.records[-1]
    position = data.draw(st.integers(start, end - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    with scratch_copy(pristine) as (home, log_path):
        raw = bytearray(log_path.read_bytes())
        raw[position] ^= mask
        log_path.write_bytes(bytes(raw))
        check_recovered(home, pristine, len(pristine.records) - 1, damaged=True)


def test_a_torn_record_header_is_cut(pristine: Pristine, tmp_path: Path) -> None:
    """A writer killed after writing part of a record's 10-byte header."""
    home, log_path = copy_of(pristine, tmp_path)
    with open(log_path, "ab") as handle:
        handle.write(log.encode_record(b"\x81\xa1c\xc4\x00")[:7])
    check_recovered(home, pristine, len(pristine.records), damaged=True)


def test_an_unreadable_log_header_is_refused_and_left_alone(pristine: Pristine, tmp_path: Path) -> None:
    home, log_path = copy_of(pristine, tmp_path)
    raw = bytearray(log_path.read_bytes())
    raw[log.HEADER.size + 2] ^= 0xFF  # inside the header record's payload: its CRC fails
    log_path.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="unreadable header"):
        open_doc(home, pristine)
    assert log_path.read_bytes() == bytes(raw)


def test_a_damaged_tail_seen_by_a_running_process_is_cut_before_it_writes(home: Path) -> None:
    """A second process died mid-append while this one had the document open: its next write must survive."""
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("first"))
    with open(ws.my_doc().log_path, "ab") as handle:
        handle.write(log.encode_record(b"x" * 50)[:20])
    ws.add_item(new_item("acknowledged after the tear"))
    assert ws.my_doc().warnings and "torn or corrupt" in ws.my_doc().warnings[0]
    reopened = Workspace.open(home)
    assert {i.title for i in reopened.items()} == {"first", "acknowledged after the tear"}
    assert reopened.my_doc().warnings == []


def test_a_reader_leaves_an_append_under_way_alone_and_reads_it_once_whole(home: Path) -> None:
    """Beside the home's writer, another process only reads: a record half written when it looks is
    neither cut nor rewritten, the reader reads up to the last whole record, and the rest once whole."""
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("first"))
    log_path = ws.my_doc().log_path
    whole = log_path.read_bytes()
    reader = Repository(home, b"r" * 32).open(ws.peer_id)  # another process's copy
    ws.add_item(new_item("second"))
    full = log_path.read_bytes()
    for torn in (len(whole) + 3, len(whole) + 12, len(full) - 1):
        log_path.write_bytes(full[:torn])  # the writer's append, part of the way
        assert reader.refresh() == [] and log_path.read_bytes() == full[:torn]
        fresh = Repository(home, b"r" * 32).open(ws.peer_id)  # opened meanwhile: the same
        assert fresh.known == reader.known and log_path.read_bytes() == full[:torn]
    assert len(reader.warnings) == 1 and "torn or corrupt log tail" in reader.warnings[0]  # said once
    log_path.write_bytes(full)  # the append completes
    assert len(reader.refresh()) == 1
    assert set(reader.known) == set(ws.my_doc().known)
    assert not (log_path.parent / "lock").exists()  # and no lock file was made for it


def test_a_reader_makes_no_file(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("first"))
    folder = ws.my_doc().folder
    ws.my_doc().compact()
    (folder / "log").unlink()  # as if gone: the snapshot holds it all
    listing = sorted(p.name for p in folder.iterdir())
    reader = Repository(home, b"r" * 32).open(ws.peer_id)
    assert reader.refresh() == [] and sorted(p.name for p in folder.iterdir()) == listing
    assert {i.title for i in Workspace.open(home).items()} == {"first"}


def test_a_corrupt_snapshot_is_refused_and_left_alone(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("kept"))
    ws.my_doc().compact()
    snapshot = ws.my_doc().snapshot_path
    for damage in (b"\x00garbage", snapshot.read_bytes()[:-10], msgpack.packb({"format": 99})):
        snapshot.write_bytes(damage)
        with pytest.raises(StoreError, match=r"snapshot of document \w+ is unreadable"):
            Workspace.open(home).my_doc()
        assert snapshot.read_bytes() == damage


def test_an_unknown_document_is_an_error(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    with pytest.raises(StoreError, match="no document"):
        ws.repo.open("rl" + "a" * 56)
    with pytest.raises(StoreError, match="not a document id"):
        ws.repo.open("../../etc")
    assert ws.repo.doc_ids() == [ws.peer_id]


# -- compaction ----------------------------------------------------------------------------------------------


def test_an_old_log_from_before_a_compaction_is_ignored(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    for n in range(4):
        ws.add_item(new_item(f"item {n}"))
    doc = ws.my_doc()
    old_log = doc.log_path.read_bytes()
    expected = materialised(ws)
    doc.compact()
    # A crash between writing the snapshot and starting the new log leaves the old log in place.
    doc.log_path.write_bytes(old_log)

    reopened = Workspace.open(home)
    assert materialised(reopened) == expected
    assert reopened.my_doc().log_path.read_bytes() == old_log  # reading rewrites nothing
    reopened.add_item(new_item("after"))  # the writer restarts it before it appends
    fresh_log = log.scan(reopened.my_doc().log_path.read_bytes())
    assert len(fresh_log.payloads) == 2  # the header of the new generation, and the new change
    assert msgpack.unpackb(fresh_log.payloads[0])["gen"] == reopened.my_doc().generation == 1
    assert len(Workspace.open(home).items()) == 5


def test_a_compaction_interrupted_in_another_process_is_noticed_before_writing(home: Path) -> None:
    """Process B dies between writing its snapshot and replacing the log; process A had the document open."""
    first = Workspace.create(home, "Alice")
    first.add_item(new_item("one"))
    second = Workspace.open(home)
    doc = second.my_doc()
    os.link(doc.log_path, doc.folder / "log.kept")
    doc.compact()
    os.replace(doc.folder / "log.kept", doc.log_path)  # the old log (same file, same size) is back in place
    first.add_item(new_item("acknowledged by A"))
    assert {i.title for i in Workspace.open(home).items()} == {"one", "acknowledged by A"}


def test_a_snapshot_that_automerge_cannot_load_is_a_store_error(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("kept"))
    ws.my_doc().compact()
    snapshot = ws.my_doc().snapshot_path
    data = msgpack.unpackb(snapshot.read_bytes())
    data["am"] = data["am"][:20]
    snapshot.write_bytes(msgpack.packb(data))
    with pytest.raises(StoreError, match=r"snapshot of document \w+ is unreadable: automerge"):
        Workspace.open(home).my_doc()


def test_compaction_keeps_signatures_and_generations(home: Path) -> None:
    ws = Workspace.create(home, "Alice")
    ws.add_item(new_item("a"))
    doc = ws.my_doc()
    known = dict(doc.known)
    doc.compact()
    doc.compact()
    assert doc.generation == 2
    reopened = Workspace.open(home)
    assert reopened.my_doc().known == known and reopened.my_doc().generation == 2
    assert_well_signed(reopened)


# -- two processes on one home -------------------------------------------------------------------------------


def test_two_repositories_writing_alternately_see_each_other(home: Path) -> None:
    first = Workspace.create(home, "Alice")
    second = Workspace.open(home)  # another process of the same device: same key, same actor
    refreshed: list[int] = []
    second.my_doc().subscribe(lambda _doc, hashes: refreshed.append(len(hashes)))
    writers = [first, second]
    titles: list[str] = []
    for n in range(12):
        writer, reader = writers[n % 2], writers[(n + 1) % 2]
        titles.append(writer.add_item(new_item(f"from {n % 2}: {n}")).title)
        if n % 3 == 0:
            writer.set_code("valeurs", f"version {n}")
        reader.my_doc().refresh()
        assert {i.title for i in reader.items()} == set(titles)
        assert reader.my_doc().heads() == writer.my_doc().heads()
    assert refreshed  # listeners hear about changes made by the other process
    assert materialised(first) == materialised(second)
    assert_well_signed(first)
    assert materialised(Workspace.open(home)) == materialised(first)


def test_a_writer_catches_up_before_writing_even_without_refresh(home: Path) -> None:
    first = Workspace.create(home, "Alice")
    second = Workspace.open(home)
    second.my_doc()
    for n in range(5):
        first.add_item(new_item(f"a{n}"))
        second.add_item(new_item(f"b{n}"))  # never refreshed by hand: local_change catches up
    assert_well_signed(Workspace.open(home))
    assert len(Workspace.open(home).items()) == 10


def test_compaction_by_another_process_is_followed(home: Path) -> None:
    first = Workspace.create(home, "Alice")
    second = Workspace.open(home)
    first.add_item(new_item("one"))
    second.add_item(new_item("two"))
    first.my_doc().compact()
    second.add_item(new_item("three"))  # writes into the new log of the new generation
    first.my_doc().refresh()
    assert {i.title for i in first.items()} == {"one", "two", "three"}
    third = Workspace.open(home)
    assert {i.title for i in third.items()} == {"one", "two", "three"}
    assert_well_signed(third)


def test_refresh_all_finds_documents_created_by_another_process(home: Path) -> None:
    first = Workspace.create(home, "Alice")
    second = Workspace.open(home)
    bob = Workspace.create(home / "bob", "Bob")
    bob.add_item(new_item("offre de Bob"))
    second.repo.open(bob.peer_id, create=True).add_verified(bob.my_doc().signed_changes())
    changed = first.repo.refresh_all()
    assert bob.peer_id in changed
    assert "offre de Bob" in {i.title for i in first.items()}


# -- changes waiting for their dependencies ------------------------------------------------------------------


def test_pending_changes_survive_a_restart_and_a_compaction(home: Path) -> None:
    bob = Workspace.create(home / "bob", "Bob")
    for n in range(3):
        bob.add_item(new_item(f"bob {n}"))
    changes = bob.my_doc().signed_changes()  # genesis + 3 items, in causal order
    assert len(changes) == 4

    alice = Workspace.create(home / "alice", "Alice")
    stored = alice.repo.open(bob.peer_id, create=True)
    result = stored.add_verified(changes[2:])
    assert result.applied == [] and set(result.pending) == {c.info.hash for c in changes[2:]}

    restarted = Workspace.open(home / "alice").repo.open(bob.peer_id)
    assert set(restarted.pending) == {c.info.hash for c in changes[2:]}
    assert restarted.known == {}
    restarted.compact()
    again = Workspace.open(home / "alice").repo.open(bob.peer_id)
    assert set(again.pending) == {c.info.hash for c in changes[2:]}

    result = again.add_verified(changes[:2])
    assert set(result.applied) == {c.info.hash for c in changes}
    assert again.pending == {}
    assert again.heads() == bob.my_doc().heads()
    final = Workspace.open(home / "alice")
    assert {i.title for i in final.items() if i.author == bob.peer_id} == {"bob 0", "bob 1", "bob 2"}
    assert final.repo.open(bob.peer_id).known == bob.my_doc().known


def test_duplicates_are_counted_not_stored_twice(home: Path) -> None:
    bob = Workspace.create(home / "bob", "Bob")
    bob.add_item(new_item("x"))
    changes = bob.my_doc().signed_changes()
    alice = Workspace.create(home / "alice", "Alice")
    stored = alice.repo.open(bob.peer_id, create=True)
    assert len(stored.add_verified(changes).applied) == 2
    size = stored.log_path.stat().st_size
    assert stored.add_verified(changes).duplicate == 2
    assert stored.log_path.stat().st_size == size


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 200, 255, 256, 300, 65_535, 65_536, 70_000]),
            st.one_of(st.none(), st.binary(min_size=64, max_size=64), st.binary(max_size=300)),
        ),
        max_size=4,
    ),
    st.one_of(st.integers(0, 2**40), st.floats(0, 2**33, allow_nan=False)),
)
def test_the_log_records_of_a_batch_are_msgpacks_own(
    changes: list[tuple[int, bytes | None]], received: float
) -> None:
    """A batch's log records are written without msgpack's call per change: the same bytes."""
    batch = [
        repository.SignedChange(repository.ChangeInfo(b"h" * 32, b"c" * size, (), b"a" * 32, 1), signature)
        for size, signature in changes
    ]
    assert records.records(batch, received) == [records.record(c, received) for c in batch]


def compact_after(home: Path, count: int) -> None:
    """The home compacts a document once its log holds `count` records (config.json's `limits`)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps({"limits": {"compact_after_records": count}}))
