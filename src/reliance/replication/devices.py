"""Which device keys their participants revoked, as the participant documents held here say.

Read from a participant document's `devices` map (`doc.devices`), once per revision of that document: the
door asks for every batch that holds a certified device's changes.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from weakref import WeakKeyDictionary

from reliance.doc.devices import revoked_devices
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.replication.docstore import DocStore
from reliance.store.repository import StoredDoc

_cache: WeakKeyDictionary[StoredDoc, tuple[int, frozenset[bytes]]] = WeakKeyDictionary()
_lock = threading.Lock()


def revoked_of(stored: StoredDoc) -> frozenset[bytes]:
    """The devices the owner of this participant document revoked, in the document as held."""
    with _lock:
        found = _cache.get(stored)
    if found is not None and found[0] == stored.revision:
        return found[1]
    revision = stored.revision
    revoked = (
        revoked_devices(stored.crdt, decode_peer_id(stored.doc_id), stored.limits)
        if stored.known
        else frozenset()
    )
    with _lock:
        _cache[stored] = (revision, revoked)
    return revoked


def revoked_among(repo: DocStore, authors: Mapping[bytes, bytes]) -> set[bytes]:
    """The actors of `authors` (actor → participant) whose participant revoked them, as far as the
    participant documents held here say."""
    found: set[bytes] = set()
    for actor, participant in authors.items():
        if actor == participant:
            continue
        doc_id = encode_peer_id(participant)
        if repo.exists(doc_id) and actor in revoked_of(repo.open(doc_id)):
            found.add(actor)
    return found


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
            if any(
                r.device == peer and not r.revoked for r in read_devices(stored.crdt, owner, stored.limits)
            ):
                return doc_id
        except RelianceError:
            continue
    return device_id
