"""The automerge wrapper and the binding's hazards (DESIGN.md section 5), on real documents."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reliance.app.workspace import Workspace
from reliance.automerge import wire
from reliance.automerge.crdt import (
    ROOT_ID,
    CrdtDoc,
    CrdtError,
    CrdtPanic,
    PatchParseError,
    Writer,
    parse_patch,
)
from reliance.doc import participant
from reliance.model.catalogue import Item, ItemKind

FIXTURES = Path(__file__).parent.parent / "fixtures"
ACTOR_A = bytes(range(32))
ACTOR_B = bytes(range(100, 132))
ACTOR_C = bytes(range(200, 232))
# The actor of the JavaScript fixture (see make_js_fixtures.mjs).
JS_ACTOR = bytes.fromhex("0a" * 16)


def put_then_fail(error: BaseException) -> Callable[[Writer], None]:
    def edit(w: Writer) -> None:
        w.put(ROOT_ID, "half", "done")
        w.put_text(ROOT_ID, "t", "abc")
        w.put_list(ROOT_ID, "l", [1, "deux"])
        raise error

    return edit


# -- transactions are always closed --------------------------------------------------------------------------


@pytest.mark.parametrize("error", [ValueError("boom"), KeyError("k"), KeyboardInterrupt()])
def test_a_failing_edit_rolls_back_and_the_document_stays_usable(error: BaseException) -> None:
    doc = CrdtDoc.new(ACTOR_A)
    doc.change(lambda w: w.put(ROOT_ID, "kept", 1))
    heads = doc.heads()
    saved = doc.save()
    with pytest.raises((CrdtError, KeyboardInterrupt)):
        doc.change(put_then_fail(error))
    assert not doc.poisoned
    assert doc.heads() == heads
    assert doc.read() == {"kept": 1}
    assert doc.save() == saved
    info = doc.change(lambda w: w.put(ROOT_ID, "after", 2))
    assert info is not None and info.seq == 2 and info.deps == tuple(heads)
    assert doc.read() == {"kept": 1, "after": 2}


def test_an_error_inside_an_edit_is_reported_as_one_line() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    with pytest.raises(CrdtError) as caught:
        doc.change(put_then_fail(ValueError("the reason")))
    assert "the reason" in str(caught.value) and "\n" not in str(caught.value)


def test_an_edit_that_changes_nothing_makes_no_change() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    assert doc.change(lambda w: None) is None
    assert doc.heads() == []
    doc.change(lambda w: w.set_text(ROOT_ID, "t", "abc"))
    assert doc.change(lambda w: w.set_text(ROOT_ID, "t", "abc")) is None


def test_a_writer_kept_after_its_transaction_cannot_write() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    leaked: list[Writer] = []
    doc.change(leaked.append)
    with pytest.raises(Exception, match="no longer active"):
        leaked[0].put(ROOT_ID, "late", 1)
    assert doc.read() == {}
    doc.change(lambda w: w.put(ROOT_ID, "fine", 1))
    assert doc.read() == {"fine": 1}


def test_unsupported_values_are_refused_and_nothing_is_written() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    for value in (object(), [1, 2], {"a": 1}, 1j):
        with pytest.raises(CrdtError, match="unsupported value type"):
            doc.change(lambda w, v=value: w.put(ROOT_ID, "x", v))  # type: ignore[misc]
    assert doc.heads() == [] and not doc.poisoned


def test_failed_edits_never_leave_an_open_transaction_behind() -> None:
    """An open transaction on a collected Document segfaults the process: run it for real in a child."""
    script = textwrap.dedent(
        """
        import gc
        from reliance.automerge.crdt import ROOT_ID, CrdtDoc, CrdtError

        def fail(w):
            w.put(ROOT_ID, "x", 1)
            raise RuntimeError("edit failed")

        for round in range(200):
            doc = CrdtDoc.new(bytes([round % 256]) * 32)
            doc.change(lambda w: w.put(ROOT_ID, "ok", round))
            try:
                doc.change(fail)
            except CrdtError:
                pass
            try:
                doc.change(lambda w: (_ for _ in ()).throw(KeyboardInterrupt()))
            except KeyboardInterrupt:
                pass
            del doc
            gc.collect()
        print("survived")
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "survived"


# -- a Counter and Text written by JavaScript ----------------------------------------------------------------


def js_doc(actor: bytes = ACTOR_A) -> CrdtDoc:
    return CrdtDoc.load((FIXTURES / "js_counter_doc.bin").read_bytes(), actor)


def test_a_javascript_document_is_read_defensively() -> None:
    doc = js_doc()
    assert doc.read() == {
        "schema": "reliance/participant",
        "visits": None,  # a Counter: never read as a number
        "title": "Atelier vélo",
        "note": 'ligne 1\nligne "2"',
        "profile": {"name": "Zoé", "city": "Lyon"},
        "tags": ["réparation", "vélo"],
        "count": 7,
    }
    assert doc.scalar(ROOT_ID, "visits") is None
    assert doc.scalar(ROOT_ID, "title") == "Atelier vélo"  # JavaScript strings are Text objects
    assert not doc.poisoned
    assert participant.owner_field(doc) == ""  # no owner field: read as empty, not a crash


def test_a_javascript_document_stays_writable_with_our_actor() -> None:
    doc = js_doc(ACTOR_A)
    js_heads = doc.heads()
    doc.read()  # reading the Counter must not poison anything
    info = doc.change(lambda w: w.set_text(ROOT_ID, "title", "Atelier vélo cargo"))
    assert info is not None
    assert info.actor == ACTOR_A and info.seq == 1 and list(info.deps) == js_heads
    assert doc.scalar(ROOT_ID, "title") == "Atelier vélo cargo"
    # Saved and loaded again (load picks a random actor: the wrapper sets ours back).
    again = CrdtDoc.load(doc.save(), ACTOR_B)
    assert again.read() == doc.read()
    assert {c.actor for c in again.changes_since([])} == {JS_ACTOR, ACTOR_A}
    follow = again.change(lambda w: w.put(ROOT_ID, "count", 8))
    assert follow is not None and follow.actor == ACTOR_B


def test_the_javascript_counter_is_flagged_in_effects() -> None:
    doc = js_doc()
    effects = doc.effects([], doc.heads())
    flagged = {e.key for e in effects if e.forbidden_scalar}
    assert flagged == {"visits"}


# -- an input that makes the binding panic -------------------------------------------------------------------


def panic_chunk() -> bytes:
    return (FIXTURES / "panic_chunk.bin").read_bytes()


def test_the_panic_fixture_is_well_formed() -> None:
    # Not rejected for a bad checksum: automerge parses it, then panics inside (see make_panic_chunk.py).
    chunks = wire.split_chunks(panic_chunk())
    assert [c.kind for c in chunks] == ["document"]


def test_a_panic_poisons_the_document_and_a_reload_restores_it(workspace: Workspace) -> None:
    workspace.set_code("contexte", "Un monde complexe")
    workspace.add_item(Item(id="", kind=ItemKind.SEED, title="Graine", author="", tags=("off",)))
    stored = workspace.my_doc()
    heads = stored.heads()
    state = stored.crdt.read()
    on_disk = {p.name: p.read_bytes() for p in stored.folder.iterdir()}
    seen: list[list[bytes]] = []
    stored.subscribe(lambda _doc, hashes: seen.append(hashes))
    chunks = [c.info.chunk for c in stored.signed_changes()]

    with pytest.raises(CrdtPanic):
        stored.crdt.apply([panic_chunk()])
    assert stored.crdt.poisoned
    for use in (
        lambda: stored.crdt.change(lambda w: w.put(ROOT_ID, "x", 1)),
        lambda: stored.crdt.save(),
        lambda: stored.crdt.fork(),
        lambda: stored.crdt.apply(chunks),
        lambda: stored.crdt.heads(),
        lambda: stored.crdt.changes_since([]),
        lambda: stored.crdt.keys(ROOT_ID),
        lambda: stored.crdt.effects([], heads),
        lambda: stored.crdt.read(),
        lambda: stored.crdt.scalar(ROOT_ID, "owner"),  # never an empty-looking None
        lambda: participant.read_items(stored.crdt, stored.doc_id),
        lambda: stored.signed_changes(),
    ):
        with pytest.raises(CrdtPanic, match="reload"):
            use()
    # Nothing reached the disk.
    assert {p.name: p.read_bytes() for p in stored.folder.iterdir()} == on_disk

    fresh = workspace.repo.reload(stored.doc_id)
    assert fresh is not stored and not fresh.crdt.poisoned
    assert fresh.heads() == heads
    assert fresh.crdt.read() == state
    assert workspace.my_doc() is fresh
    # Usable again, and listeners followed the reload.
    workspace.set_code("enjeux", "Relier")
    assert workspace.code() == {"contexte": "Un monde complexe", "enjeux": "Relier"}
    assert len(seen) == 1


def test_a_panic_while_loading_is_an_error_not_a_crash() -> None:
    with pytest.raises(CrdtPanic):
        CrdtDoc.load(panic_chunk(), ACTOR_A)


# -- reading the binding's patches ---------------------------------------------------------------------------

AWKWARD_KEYS = [
    'quo"te',
    "new\nline",
    "back\\slash",
    "tab\tx",
    "nul\x00x",
    "e\u0301",  # a combining accent: Rust escapes it as \u{301}
    "zero\u200bwidth",
    "\x1b[31m",
    "\x7f",
    "😀",
    "\\u{41}",
    "it's",
    '}) path: [Map("x")] action: DeleteMap { key: "y" }',
]


def test_patches_with_awkward_keys_are_read_exactly() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    doc.change(lambda w: w.put_map(ROOT_ID, "items"))
    before = doc.heads()

    def write(w: Writer) -> None:
        items = w.child(ROOT_ID, "items")
        assert items is not None
        for key in AWKWARD_KEYS:
            inner = w.put_map(items, key)
            w.put(inner, key, f"value {key}\n")

    doc.change(write)
    effects = doc.effects(before, doc.heads())
    top = sorted(str(e.key) for e in effects if e.path == ("items",))
    assert top == sorted(AWKWARD_KEYS)
    assert all(e.action == "PutMap" and not e.forbidden_scalar for e in effects)
    nested = {(e.path, e.key) for e in effects if len(e.path) == 2}
    assert nested == {(("items", key), key) for key in AWKWARD_KEYS}

    middle = doc.heads()
    doc.change(lambda w: w.delete(w.child(ROOT_ID, "items") or ROOT_ID, 'quo"te'))
    [deleted] = doc.effects(middle, doc.heads())
    assert (deleted.path, deleted.action, deleted.key) == (("items",), "DeleteMap", 'quo"te')


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    outer=st.text(min_size=1, max_size=8), inner=st.text(min_size=1, max_size=8), value=st.text(max_size=8)
)
@example(outer="0", inner="v", value="")  # once wrote its scalar over the list
def test_any_key_survives_the_patch_text(outer: str, inner: str, value: str) -> None:
    doc = CrdtDoc.new(ACTOR_A)

    def write(w: Writer) -> None:
        obj = w.put_map(ROOT_ID, outer)
        listed = w.put_list(obj, inner, [value])
        w.put(obj, inner + "!", value)  # beside the list, never over it
        assert listed

    doc.change(write)
    effects = doc.effects([], doc.heads())
    assert any(e.path == () and e.key == outer and e.action == "PutMap" for e in effects)
    assert any(e.path == (outer,) and e.key == inner and e.action == "PutMap" for e in effects)
    assert any(e.path == (outer, inner) and e.action == "Insert" and e.key == 0 for e in effects)


def test_list_positions_are_integers_in_paths() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    doc.change(lambda w: w.put_list(ROOT_ID, "history"))
    before = doc.heads()

    def write(w: Writer) -> None:
        history = w.child(ROOT_ID, "history")
        assert history is not None
        for n in range(3):
            entry = w.append_map(history)
            w.put(entry, "n", n)

    doc.change(write)
    effects = doc.effects(before, doc.heads())
    assert {(e.path, e.key) for e in effects if e.action == "PutMap"} == {
        (("history", 0), "n"),
        (("history", 1), "n"),
        (("history", 2), "n"),
    }


@pytest.mark.parametrize("text", ["", "Patch {", "nothing to see", 'path: [Map("x")]'])
def test_unreadable_patch_text(text: str) -> None:
    with pytest.raises(PatchParseError):
        parse_patch(text)


# -- Text, one character at a time ---------------------------------------------------------------------------


def text_of(doc: CrdtDoc, key: str = "t") -> str:
    value = doc.scalar(ROOT_ID, key)
    assert isinstance(value, str)
    return value


def test_text_is_stored_one_element_per_character() -> None:
    doc = CrdtDoc.new(ACTOR_A)
    sample = "Héllo 😀 e\u0301 👩\u200d👩\u200d👧"
    doc.change(lambda w: w.set_text(ROOT_ID, "t", sample))
    text_id = doc.child(ROOT_ID, "t")
    assert text_id is not None
    assert doc.length(text_id) == len(sample)
    assert text_of(doc) == sample


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_set_text_reaches_any_new_text(old: str, new: str) -> None:
    doc = CrdtDoc.new(ACTOR_A)
    doc.change(lambda w: w.set_text(ROOT_ID, "t", old))
    doc.change(lambda w: w.set_text(ROOT_ID, "t", new))
    assert text_of(doc) == new
    text_id = doc.child(ROOT_ID, "t")
    assert text_id is not None and doc.length(text_id) == len(new)
    assert CrdtDoc.load(doc.save(), ACTOR_B).scalar(ROOT_ID, "t") == new


def exchange(a: CrdtDoc, b: CrdtDoc) -> None:
    """Give each side the changes it lacks (in causal order, as the store does)."""
    a_has = {c.hash for c in a.changes_since([])}
    b_has = {c.hash for c in b.changes_since([])}
    to_a = [c.chunk for c in b.changes_since([]) if c.hash not in a_has]
    to_b = [c.chunk for c in a.changes_since([]) if c.hash not in b_has]
    a.apply(to_a)
    b.apply(to_b)


def test_concurrent_edits_of_one_text_merge_character_by_character() -> None:
    base = CrdtDoc.new(ACTOR_A)
    base.change(lambda w: w.set_text(ROOT_ID, "t", "Le monde"))
    left = CrdtDoc.load(base.save(), ACTOR_B)
    right = CrdtDoc.load(base.save(), ACTOR_C)
    left.change(lambda w: w.set_text(ROOT_ID, "t", "Tout le monde"))
    right.change(lambda w: w.set_text(ROOT_ID, "t", "Le monde change"))
    base.change(lambda w: w.set_text(ROOT_ID, "t", "Le grand monde"))
    exchange(left, right)
    exchange(left, base)
    exchange(right, base)
    assert text_of(left) == text_of(right) == text_of(base) == "Tout le grand monde change"
    assert left.heads() == right.heads() == base.heads()


def test_concurrent_section_edits_keep_both_sides() -> None:
    """The social code path: two devices edit different parts of one section while apart."""
    base = CrdtDoc.new(ACTOR_A)
    owner = "rl" + "a" * 56
    base.change(lambda w: participant.genesis(w, owner, "Alice"))
    base.change(lambda w: participant.set_section(w, "valeurs", "confiance, réciprocité", owner, []))
    left = CrdtDoc.load(base.save(), ACTOR_B)
    right = CrdtDoc.load(base.save(), ACTOR_C)
    left.change(lambda w: participant.set_section(w, "valeurs", "Confiance, réciprocité", owner, []))
    right.change(
        lambda w: participant.set_section(w, "valeurs", "confiance, réciprocité, bienveillance", owner, [])
    )
    exchange(left, right)
    expected = "Confiance, réciprocité, bienveillance"
    assert participant.read_code(left)["valeurs"] == participant.read_code(right)["valeurs"] == expected
    assert len(participant.read_history(left)) == len(participant.read_history(right)) == 3
