"""Which device keys their participants revoked, and which of their changes the revocations keep, as the
participant documents held here say.

Every valid revocation a participant document's history holds counts (`doc.devices.revocations_in`), read
once per change and kept per opened document: the door asks for every batch that holds a certified
device's changes, and the effective views of projects (`authority`) for the devices among their authors.
A device's changes in a document that a revocation keeps are its first `kept` there (see
`reliance.certificate`); with several revocations of one device, a change counts only if each keeps it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import cast
from weakref import WeakKeyDictionary

from reliance.certificate import Revocation
from reliance.doc.devices import MARK, revocations_in_chunk
from reliance.errors import RelianceError
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.replication.docstore import DocStore
from reliance.store.repository import SignedChange, StoredDoc


@dataclass(frozen=True)
class Revoked:
    """What the revocations of one device keep: per document, how many of its first changes (absent:
    none); `kept` None when only a version 1 revocation names it (nothing kept is said: the door refuses
    what it signs from then on, the effective views leave what was accepted)."""

    kept: Mapping[str, int] | None

    def kept_in(self, doc_id: str) -> int | None:
        """How many of the device's first changes in `doc_id` count; None: all it wrote (version 1)."""
        return None if self.kept is None else self.kept.get(doc_id, 0)

    def door_limit(self, doc_id: str) -> int:
        """The highest sequence number of the device in `doc_id` that the door still takes."""
        found = self.kept_in(doc_id)
        return 0 if found is None else found


def _merge(old: Revoked | None, kept: Mapping[str, int] | None) -> Revoked:
    """Two revocations of one device, in either order: a change counts if each keeps it (the earliest
    statement wins); a version 1 revocation says nothing of what is kept."""
    if old is None:
        return Revoked(None if kept is None else dict(kept))
    if kept is None:
        return old
    if old.kept is None:
        return Revoked(dict(kept))
    return Revoked({d: min(n, kept[d]) for d, n in old.kept.items() if d in kept})


@dataclass
class _Scan:
    heads: tuple[bytes, ...] = ()
    revision: int = -1
    revoked: dict[bytes, Revoked] = field(default_factory=dict)


_scans: WeakKeyDictionary[StoredDoc, _Scan] = WeakKeyDictionary()
# What the door read of a batch's changes, until they are stored and `revocations_of` takes it.
_seen: WeakKeyDictionary[StoredDoc, dict[bytes, tuple[Revocation, ...]]] = WeakKeyDictionary()
_SEEN_MOST = 100_000
_lock = threading.Lock()


def revocations_of(stored: StoredDoc) -> Mapping[bytes, Revoked]:
    """The devices the owner of this participant document revoked, in its history as held, and what the
    revocations keep. Incremental: only changes not read before are looked at."""
    with _lock:
        scan = _scans.get(stored)
    if scan is not None and scan.revision == stored.revision:
        return scan.revoked
    if not stored.known:
        return {}
    owner = decode_peer_id(stored.doc_id)
    heads = tuple(stored.heads())
    if scan is None or not all(stored.has(h) for h in scan.heads):
        scan = _Scan()
    revoked = dict(scan.revoked)
    with _lock:
        seen = _seen.pop(stored, {})
    for entry in stored.crdt.history_since(list(scan.heads)):  # no bytes copied for those the door read
        found = seen.get(entry.hash)
        if found is None:
            found = tuple(revocations_in_chunk(entry.chunk(), owner, stored.limits))
        for revocation in found:
            if revocation.device != owner:
                revoked[revocation.device] = _merge(revoked.get(revocation.device), revocation.kept)
    fresh = _Scan(heads, stored.revision, revoked)
    with _lock:
        _scans[stored] = fresh
    return revoked


def revoked_of(stored: StoredDoc) -> frozenset[bytes]:
    """The devices the owner of this participant document revoked, in the document as held."""
    return frozenset(revocations_of(stored))


def revocations_in_batch(stored: StoredDoc, changes: Collection[SignedChange]) -> dict[bytes, Revoked]:
    """`revocations_of(stored)` with those the batch's own changes write (a revocation and a concurrent
    change of its device in one batch are judged as if they came apart)."""
    found = dict(revocations_of(stored))
    owner = decode_peer_id(stored.doc_id)
    with _lock:
        seen = _seen.setdefault(stored, {})
        if len(seen) > _SEEN_MOST:
            seen.clear()
    limits = stored.limits
    for change in changes:
        chunk = change.info.chunk
        if chunk[8] == 1 and MARK not in chunk:  # the usual change: no revocation text in it
            seen[change.info.hash] = ()
            continue
        revocations = tuple(revocations_in_chunk(chunk, owner, limits))
        seen[change.info.hash] = revocations  # read once: `revocations_of` takes it when it is stored
        for revocation in revocations:
            if revocation.device != owner:
                found[revocation.device] = _merge(found.get(revocation.device), revocation.kept)
    return found


def revocations_among(store: DocStore, authors: Mapping[bytes, str]) -> dict[bytes, Revoked]:
    """The actors of `authors` (actor → participant peer id) whose participant revoked them, as far as the
    participant documents held here say (an unreadable one says nothing, as one not held)."""
    found: dict[bytes, Revoked] = {}
    for actor, peer in authors.items():
        try:
            if not store.exists(peer):
                continue
            revoked = revocations_of(store.open(peer)).get(actor)
        except RelianceError:
            continue
        if revoked is not None:
            found[actor] = revoked
    return found


def revoked_among(repo: DocStore, authors: Mapping[bytes, bytes]) -> dict[bytes, Revoked]:
    """`revocations_among`, for authors given as actor → participant key (a participant's own key is
    never revoked)."""
    devices = {actor: encode_peer_id(key) for actor, key in authors.items() if actor != key}
    return revocations_among(repo, devices)


def cuts_in(revocations: Mapping[bytes, Revoked], doc_id: str) -> dict[bytes, int]:
    """For each revoked device (version 2), how many of its first changes in `doc_id` count."""
    cuts: dict[bytes, int] = {}
    for device, revoked in revocations.items():
        kept = revoked.kept_in(doc_id)
        if kept is not None:
            cuts[device] = kept
    return cuts


def store_of(stored: StoredDoc) -> DocStore | None:
    """The store that opened `stored`, if it still exists (None for a scratch document)."""
    ref = stored.store_ref
    found = ref() if ref is not None else None
    return cast(DocStore, found) if found is not None else None


def cuts_for(stored: StoredDoc, authors: Mapping[bytes, str]) -> dict[bytes, int]:
    """For the certified devices among a document's authors (actor → participant peer id) that their
    participant revoked (version 2), how many of their first changes in `stored` count."""
    store = store_of(stored) if authors else None
    if store is None:
        return {}
    return cuts_in(revocations_among(store, authors), stored.doc_id)


def blocked_actors(stored: StoredDoc, blocked: Collection[bytes]) -> Collection[bytes]:
    """The keys whose changes to `stored` are left out when `blocked` (participant keys) are: those keys,
    and the devices that write for one of them in this document (as its proofs say)."""
    if not blocked or not stored.known:
        return blocked
    if stored.doc_id.startswith("rl"):
        if decode_peer_id(stored.doc_id) not in blocked:
            return blocked
        return set(blocked) | {c.info.actor for c in stored.signed_changes()}  # the owner's devices
    from reliance.replication import authority

    index = authority.index_for(stored)
    if not index.authors:
        return blocked
    ids = {encode_peer_id(key) for key in blocked}
    extra = {actor for actor, peer in index.authors.items() if peer in ids}
    return set(blocked) | extra if extra else blocked


def reader_of(repo: DocStore, peer: bytes) -> str:
    """Whom a peer's key reads for: the participant of a held participant document that records it as a
    certified device, not revoked (a linked device shows its own key in the handshake); else itself."""
    from reliance.automerge.crdt import ROOT_ID
    from reliance.doc.devices import DEVICES, read_devices
    from reliance.errors import RelianceError

    device_id = encode_peer_id(peer)
    for doc_id in repo.doc_ids():
        if not doc_id.startswith("rl") or doc_id == device_id:
            continue
        try:
            stored = repo.open(doc_id)
            devices = stored.crdt.child(ROOT_ID, DEVICES) if stored.known else None
            if devices is None or stored.crdt.child(devices, device_id) is None:
                continue
            owner = decode_peer_id(doc_id)
            if peer not in revocations_of(stored) and any(
                r.device == peer and not r.revoked for r in read_devices(stored.crdt, owner, stored.limits)
            ):
                return doc_id
        except RelianceError:
            continue
    return device_id


def kept_changes(repo: DocStore, device: bytes) -> dict[str, int]:
    """For each document held here that `device` wrote in, how many of its changes this node holds: what
    a revocation written now keeps (the device's history in a document is one line, so its first changes
    are exactly those causally before the revocation)."""
    found: dict[str, int] = {}
    for doc_id in repo.doc_ids():
        try:
            stored = repo.open(doc_id)
            if not stored.known:
                continue
            last = max((e.seq for e in stored.crdt.history_since([]) if e.actor == device), default=0)
        except RelianceError:
            continue
        if last:
            found[doc_id] = last
    return found
