"""A participant document as the changes that count left it: what a revoked device signed that its
revocation does not keep is left out, in every node's view, whatever order things came in.

The revoked device's changes that count for nothing are *void*. Automerge cannot unapply a change, and
the owner's other devices may have built on a void change before they learned of the revocation (every
change of theirs after it then has it in its past), so the view is made part by part. A *part* is one key
of a top-level map (the profile's name, a code section, an item, an answer, a reply, a device entry), or a
whole top-level list or value. Every part a void change wrote reads as it was:

- at the latest changes that count and wrote that part after a void change was in their past (the owner's
  device wrote it again: it is its word that stands);
- otherwise, in the document made of the changes with no void change in their past (*clean*).

Parts no void change wrote read as the document holds them. The view depends only on the changes held
and the revocations among them: every node that holds the same changes reads the same view. It is
memoised per revision of the document; with no void change (the usual case) it is the document itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from weakref import WeakKeyDictionary

from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, Writer
from reliance.replication.devices import cuts_in, revocations_of
from reliance.store.repository import StoredDoc

Part = tuple[str, str | None]

_views: WeakKeyDictionary[StoredDoc, tuple[int, CrdtDoc, frozenset[bytes]]] = WeakKeyDictionary()
# What each change wrote never changes: read once per change (automerge's diff), not once per revision.
_parts_of: WeakKeyDictionary[StoredDoc, dict[bytes, frozenset[Part]]] = WeakKeyDictionary()
_lock = threading.Lock()


def void_changes(stored: StoredDoc) -> frozenset[bytes]:
    """The changes of the participant document signed by a revoked device that its revocations do not
    keep (`devices.Revoked`)."""
    return _current(stored)[1]


def participant_view(stored: StoredDoc) -> CrdtDoc:
    """The participant document as the changes that count left it (the document itself when they all
    count). Only to read: it is a copy when it differs, never saved nor sent."""
    return _current(stored)[0]


def _current(stored: StoredDoc) -> tuple[CrdtDoc, frozenset[bytes]]:
    with _lock:
        found = _views.get(stored)
    if found is not None and found[0] == stored.revision:
        return found[1], found[2]
    revision = stored.revision
    doc, void = _compute(stored)
    with _lock:
        _views[stored] = (revision, doc, void)
    return doc, void


def _compute(stored: StoredDoc) -> tuple[CrdtDoc, frozenset[bytes]]:
    if not stored.known or not stored.doc_id.startswith("rl"):
        return stored.crdt, frozenset()
    cuts = cuts_in(revocations_of(stored), stored.doc_id)
    if not cuts:
        return stored.crdt, frozenset()
    crdt = stored.crdt
    void = frozenset(e.hash for e in crdt.history_since([]) if e.actor in cuts and e.seq > cuts[e.actor])
    if not void:
        return crdt, void
    with _lock:
        known = _parts_of.setdefault(stored, {})
    return _rebuilt(crdt, void, known), void


def _rebuilt(crdt: CrdtDoc, void: frozenset[bytes], known: dict[bytes, frozenset[Part]]) -> CrdtDoc:
    changes = crdt.changes_since([])  # dependencies before the changes that follow them
    tainted: list[ChangeInfo] = []  # changes that count, with a void change in their past
    behind: set[bytes] = set(void)
    clean: list[ChangeInfo] = []
    for info in changes:
        if info.hash in void:
            continue
        if any(dep in behind for dep in info.deps):
            behind.add(info.hash)
            tainted.append(info)
        else:
            clean.append(info)
    clean_heads = _heads(clean)
    written = {part for info in changes if info.hash in void for part in _parts(crdt, info, known)}
    rewritten: dict[Part, list[ChangeInfo]] = {}
    for info in tainted:
        for part in _parts(crdt, info, known):
            if part in written:
                rewritten.setdefault(part, []).append(info)
    view = crdt.fork(actor=os.urandom(32))  # a copy to read; its own change never leaves it

    def restore(writer: Writer) -> None:
        for part in sorted(written, key=lambda p: (p[0], p[1] or "")):
            writers = rewritten.get(part)
            heads = _heads(writers) if writers else clean_heads
            _copy_part(writer, crdt, part, heads)

    view.change(restore)
    return view


def _heads(changes: Sequence[ChangeInfo]) -> list[bytes]:
    """The changes of `changes` that no other of them has in its past (their latest)."""
    hashes = {info.hash for info in changes}
    past: set[bytes] = set()
    index = {info.hash: info for info in changes}
    stack = [dep for info in changes for dep in info.deps if dep in hashes]
    while stack:
        current = stack.pop()
        if current in past:
            continue
        past.add(current)
        stack.extend(dep for dep in index[current].deps if dep in hashes)
    return sorted(hashes - past)


def _parts(crdt: CrdtDoc, info: ChangeInfo, known: dict[bytes, frozenset[Part]]) -> frozenset[Part]:
    """The parts a change wrote (see the module docstring)."""
    cached = known.get(info.hash)
    if cached is None:
        cached = known[info.hash] = frozenset(_read_parts(crdt, info))
    return cached


def _read_parts(crdt: CrdtDoc, info: ChangeInfo) -> set[Part]:
    found: set[Part] = set()
    for effect in crdt.effects(list(info.deps), [info.hash]):
        path = effect.path
        if not path:
            if isinstance(effect.key, str):
                found.add((effect.key, None))
            continue
        top = path[0]
        if not isinstance(top, str):
            continue
        below = path[1] if len(path) > 1 else effect.key
        found.add((top, below if isinstance(below, str) else None))
    return found


def _copy_part(writer: Writer, source: CrdtDoc, part: Part, heads: Sequence[bytes]) -> None:
    top, key = part
    if key is None:
        writer.copy_from(source, ROOT_ID, top, heads, ROOT_ID)
        return
    container = writer.child(ROOT_ID, top)
    if container is None:
        return  # the map itself was made by a void change: restored as a whole part, (top, None)
    held = source.child(ROOT_ID, top, heads) if heads else None
    if held is not None:
        writer.copy_from(source, held, key, heads, container)
        return
    if key in writer.keys(container):
        writer.delete(container, key)
