"""What a peer is shown of the documents held: whether it may read one, the digest of those it may, and
the documents of blocked owners (left out on both sides)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable

from reliance.automerge.crdt import CrdtError, CrdtPanic
from reliance.identity import decode_peer_id
from reliance.replication import authority
from reliance.store.repository import StoredDoc


def heads_digest(heads: Iterable[bytes]) -> bytes:
    return hashlib.sha256(b"".join(sorted(heads))).digest()[:8]


def readable_by(stored: StoredDoc, peer_id: str) -> bool:
    """Whether our copy of `stored` may go to `peer_id` (participant documents are public)."""
    if not stored.doc_id.startswith("pj"):
        return True
    try:
        return authority.readable_by(stored, peer_id)  # effective members: strong removal
    except (CrdtError, CrdtPanic):
        return False  # unreadable here: shown to nobody


def holdings_digest(held: dict[str, StoredDoc]) -> bytes:
    hasher = hashlib.sha256()
    for doc_id, stored in sorted(held.items()):
        hasher.update(doc_id.encode() + b"".join(stored.heads()))
    return hasher.digest()


def of_blocked_owner(doc_id: str, blocked: Collection[bytes]) -> bool:
    """Whether `doc_id` is the participant document of a blocked key (PeerIdError if it is no peer id)."""
    return doc_id.startswith("rl") and decode_peer_id(doc_id) in blocked
