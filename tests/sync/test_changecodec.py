"""The change codec: `check_change` accepts exactly automerge's own encoding of what a change says.

The reference is plain: decode every column as automerge reads it (`decode_change`), encode it again as
automerge's `ChangeBuilder` writes it (`encode_change`), compare the bytes. `check_change` does the same
while reading, in one pass; the properties below hold it to the reference on real and mutated changes."""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge import changecheck, fullcheck, ops, wire
from reliance.automerge import changecodec as codec
from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, Writer
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.auth import accept_batch
from tests.sync.noncanonical import (
    Columns,
    body_with,
    delta_restarted,
    recoded,
    single_as_run,
    swapped,
    with_empty_column,
)
from tests.sync.test_canonical import histories, loads_back


def reference_ok(body: bytes) -> bool:
    """What `check_change` must answer, the slow way."""
    try:
        change = codec.decode_change(body)
    except codec.NonCanonical:
        return False
    actors = change.actors
    used: set[int] = set()
    for op in change.ops:
        if op.action > codec.MARK:
            return False
        holds_nothing = op.action in codec.MAKES or op.action == codec.DELETE
        if (holds_nothing or (op.action == codec.MARK and op.mark_name is None)) and op.value[0] != 0:
            return False
        if op.action == codec.INCREMENT and op.value[0] != codec.V_INT:
            return False
        if op.action != codec.MARK and (op.expand or op.mark_name is not None):
            return False
        if op.action in (codec.DELETE, codec.INCREMENT) and op.insert:
            return False
        code, raw = op.value
        if code in (codec.V_UINT, codec.V_INT, codec.V_COUNTER, codec.V_TIMESTAMP):
            read = wire.read_uleb128 if code == codec.V_UINT else wire.read_sleb128
            try:
                if read(raw, 0)[1] != len(raw):
                    return False
            except wire.WireError:
                return False
        if code == codec.V_F64 and len(raw) != 8:
            return False
        if code == codec.V_STR:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return False
        refs = [
            *([op.obj] if op.obj else []),
            *([op.key] if isinstance(op.key, tuple) and op.key != codec.HEAD else []),
        ]
        for counter, index in [*refs, *op.pred]:
            if not 0 <= index < len(actors) or counter >= 1 << 32:
                return False
            used.add(index)
        pred_keys = [(c, actors[i]) for c, i in op.pred]
        if any(a >= b for a, b in pairwise(pred_keys)):
            return False
    if used - {0} != set(range(1, len(actors))) or change.actor in change.others:
        return False
    if any(a >= b for a, b in pairwise(change.others)) or any(a >= b for a, b in pairwise(change.deps)):
        return False
    if not change.start_op > 0 or change.start_op + len(change.ops) > 1 << 32:
        return False
    try:
        return codec.encode_change(change) == body
    except (codec.NonCanonical, wire.WireError):
        return False


def checked_ok(body: bytes) -> bool:
    try:
        changecheck.check_change(body)
    except codec.NonCanonical:
        return False
    return True


def bodies(history: list[ChangeInfo]) -> list[bytes]:
    return [codec.change_body(c.chunk) for c in history]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_every_real_change_is_its_own_canonical_encoding(history: list[ChangeInfo]) -> None:
    for body in bodies(history):
        assert codec.encode_change(codec.decode_change(body)) == body
        assert changecheck.check_change(body) == codec.decode_change(body)


def flip_bytes(body: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(body)
    for _ in range(rng.randint(1, 3)):
        at = (
            rng.randrange(len(body))
            if rng.random() < 0.2
            else rng.randrange(max(0, len(body) - 40), len(body))
        )
        mutated[at] = rng.randrange(256)
    return bytes(mutated)


def recode(body: bytes, rng: random.Random) -> bytes:
    """The same operations with one column written another way automerge would read."""
    change = codec.decode_change(body)
    columns = codec.encode_columns(change.ops)
    rewrite: Callable[[Columns], Columns] = rng.choice(
        [
            single_as_run,
            with_empty_column,
            swapped,
            delta_restarted,
            *(recoded(v) for v in VARIANTS),
        ]
    )
    try:
        return body_with(change, rewrite(columns))
    except AssertionError:
        return body


VARIANTS = ("run of one", "literal pair", "split run", "zero nulls", "overlong")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 2**32))
def test_check_accepts_exactly_what_the_reference_accepts(history: list[ChangeInfo], seed: int) -> None:
    rng = random.Random(seed)
    for body in bodies(history):
        for mutate in (flip_bytes, recode, recode):
            mutated = mutate(body, rng)
            assert checked_ok(mutated) == reference_ok(mutated), mutated.hex()


def full_reader(body: bytes) -> codec.DecodedChange | str:
    """What `check_change` answers without its one-operation road."""
    try:
        return fullcheck._check_change(body, codec.DEFAULT_MAX_OPS)
    except (codec.NonCanonical, IndexError, wire.WireError, UnicodeDecodeError):
        return "refused"


def verdict(body: bytes) -> codec.DecodedChange | str:
    try:
        return changecheck.check_change(body)
    except codec.NonCanonical:
        return "refused"


def chunk_verdict(chunk: bytes, *, usual: bool = True) -> codec.DecodedChange | str:
    try:
        return changecheck.check_chunk(chunk, usual=usual)
    except codec.NonCanonical:
        return "refused"


def the_usual_change(body: bytes) -> bool:
    """One operation on one dependency, without a message (nor predecessors whose order depends on
    their actors, nor mark data): the road's changes."""
    change = codec.decode_change(body)
    if len(change.ops) != 1 or len(change.deps) != 1 or change.message:
        return False
    op = change.ops[0]
    counters = [counter for counter, _ in op.pred]
    return len(set(counters)) == len(counters) and not op.expand and op.mark_name is None


def flip_tail(body: bytes, rng: random.Random) -> bytes:
    """One byte of the last few changed: the key string, the value and the predecessors of the last
    operation (what the one-operation road reads itself)."""
    mutated = bytearray(body)
    mutated[rng.randrange(max(0, len(body) - 8), len(body))] = rng.choice(
        [0x00, 0x7F, 0x80, 0xC0, 0xFF, 0x41]
    )
    return bytes(mutated)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 2**32))
def test_the_one_operation_road_agrees_with_the_full_reader(history: list[ChangeInfo], seed: int) -> None:
    """Same verdict and same decoded change, on every real change and every mutation of one; each twice,
    since the second time the road knows the shape."""
    rng = random.Random(seed)
    for body in bodies(history):
        if the_usual_change(body):
            assert changecheck._check_one_op(body, 0, codec.DEFAULT_MAX_OPS) is not None  # the road is taken
        mutants = [flip_bytes(body, rng), recode(body, rng), *(flip_tail(body, rng) for _ in range(4))]
        for candidate in (body, *mutants):
            chunk = wire.build_chunk("change", candidate)
            for _ in range(2):
                expected = full_reader(candidate)
                taken = changecheck._check_one_op(candidate, 0, codec.DEFAULT_MAX_OPS)
                assert taken is None or changecheck.as_decoded(taken) == expected, candidate.hex()
                assert verdict(candidate) == expected, candidate.hex()
                # the same road, read where the change lies in its chunk (as the door reads it)
                in_chunk = changecheck.usual_change(chunk)
                assert in_chunk == taken, candidate.hex()
                assert chunk_verdict(chunk) == expected == chunk_verdict(chunk, usual=in_chunk is not None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 2**32))
def test_the_operations_the_check_read_are_those_the_door_would_read(
    history: list[ChangeInfo], seed: int
) -> None:
    """The project door judges a change from the operations the canonical check read (`ops.checked_ops`)
    instead of reading its columns again (`ops.change_ops`): the same, for every change the check takes."""
    rng = random.Random(seed)
    for body in bodies(history):
        for candidate in (body, flip_bytes(body, rng), recode(body, rng)):
            try:
                checked = changecheck.check_change(candidate)
            except codec.NonCanonical:
                continue
            chunk = wire.build_chunk("change", candidate)
            info = ChangeInfo(wire.parse_change(chunk).hash, chunk, checked.deps, checked.actor, checked.seq)
            assert ops.checked_ops(checked) == ops.change_ops(info), candidate.hex()


# -- each way of writing the same thing otherwise: automerge takes it, then cannot load its own save ---------

REWRITES: dict[str, Callable[[Columns], Columns]] = {
    "a lone value written as a run of one": recoded("run of one"),
    "a run of two written as a literal of two equal values": recoded("literal pair"),
    "a run split in two": recoded("split run"),
    "a null run of length zero": recoded("zero nulls"),
    "a count written with a needless byte": recoded("overlong"),
    "an empty column written out": with_empty_column,
    "two columns out of order": swapped,
    "a run of equal deltas written as a literal": delta_restarted,
}


AUTOMERGE_SKIPS = {"two columns out of order"}  # automerge refuses it too, silently


@pytest.mark.parametrize("name", sorted(REWRITES))
def test_a_re_encoding_is_refused_though_automerge_reads_it_the_same(name: str) -> None:
    doc = CrdtDoc.new(b"\x05" * 32)
    first = doc.change(lambda w: w.put_text(ROOT_ID, "t", "ab"))

    def edit(w: Writer) -> None:
        m = w.put_map(ROOT_ID, "m")
        w.put(m, "a", 1)
        w.put(m, "b", 1)
        w.set_text(ROOT_ID, "t", "abcdef")

    made = doc.change(edit)
    assert first is not None and made is not None
    change = codec.decode_change(codec.change_body(made.chunk))
    rewritten = body_with(change, REWRITES[name](codec.encode_columns(change.ops)))
    assert rewritten != codec.change_body(made.chunk)
    with pytest.raises(codec.NonCanonical):
        changecheck.check_change(rewritten)

    honest, forged = CrdtDoc.new(b"\x06" * 32), CrdtDoc.new(b"\x06" * 32)
    honest.apply([first.chunk, made.chunk])
    chunk = wire.build_chunk("change", rewritten)
    forged.apply([first.chunk, chunk])
    if name in AUTOMERGE_SKIPS:
        assert wire.parse_change(chunk).hash not in forged.heads()  # dropped without a word
        return
    assert wire.parse_change(chunk).hash in forged.heads()
    assert forged.read() == honest.read()  # automerge read the same operations
    assert loads_back(honest) and not loads_back(forged)


def test_the_changes_reliance_writes_are_canonical_and_pass_another_home(tmp_path: Path) -> None:
    """Our own changes are automerge's encoding of themselves by construction: every kind of edit the
    library makes passes the check, in another home, through the real door."""
    ann = Workspace.create(tmp_path / "ann", "Ann")
    ben = Workspace.create(tmp_path / "ben", "Ben")
    judge = Workspace.create(tmp_path / "judge", "Judge")
    ann.set_code("values", "we share tools")
    ann.set_code("values", "we share our tools, gladly")
    item = ann.add_item(Item(id="", kind=ItemKind.OFFER, title="Drill", author="", description="a good one"))
    ann.update_item(item.id, title="Drill (heavy)")
    ann.archive_item(item.id)
    pid = projects.create_project(ann, "atelier")
    projects.add_member(ann, pid, ben.peer_id)
    projects.set_project_code(ann, pid, "values", "to each their tools")
    entry = projects.contribute(ann, pid, "time", 90, "min", "sanding", dimensions={"care": 2})
    projects.reverse(ann, pid, entry, "twice")
    projects.remove_member(ann, pid, ben.peer_id)
    for doc_id in (ann.peer_id, pid):
        stored = ann.repo.open(doc_id)
        changes = stored.signed_changes()
        for change in changes:
            changecheck.check_change(codec.change_body(change.info.chunk))
        accept_batch(judge.repo, doc_id, changes)
        assert judge.repo.open(doc_id).heads() == stored.heads()
