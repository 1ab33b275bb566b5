"""The copies of documents a session's conversations are about, and what it keeps per document: ours; an
empty scratch copy for a document not held here; or, for one held that the peer may not read, a stand-in
holding only what the peer sent, so that nothing of ours goes out. Bounded: the least recently used copy
not held here is forgotten."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from reliance.automerge.crdt import ChangeInfo, CrdtError, CrdtPanic, SyncStateHandle
from reliance.errors import PeerIdError, RelianceError
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.replication.devices import reader_of
from reliance.replication.visibility import readable_by
from reliance.store.repository import StoredDoc

READER_SECONDS = 30.0

if TYPE_CHECKING:
    from reliance.replication.protocol import SyncHost


class DocumentCopies:
    """The per-document side of a `protocol.Session` with one peer (`peer_id`)."""

    def __init__(self, host: SyncHost, peer_id: str) -> None:
        self.host = host
        self.peer_id = peer_id
        self.states: dict[str, SyncStateHandle] = {}  # automerge's, per document
        # Documents the node does not hold, least recently used first (see `_doc`).
        self._scratch: OrderedDict[str, StoredDoc] = OrderedDict()
        # Documents we hold that this peer may not read: the conversation about each runs on an empty
        # stand-in holding only what the peer itself sent, so nothing of ours ever goes out (bounded as
        # the scratch documents are, least recently used first).
        self._blind: OrderedDict[str, StoredDoc] = OrderedDict()
        self._last_sent: dict[str, bytes] = {}
        self._peer_synced: dict[str, set[bytes]] = {}  # the peer's last sync point, per document
        self.peer_heads: dict[str, tuple[bytes, ...]] = {}
        self._reader: tuple[float, str] | None = None
        # whom the peer is a certified device of, as the certificate its handshake carried says (checked
        # there); None: the participant documents held here say (`reader_of`)
        self.reader: bytes | None = None

    @property
    def unknown_documents(self) -> int:
        """Documents not held here that this session keeps a sync state for (bounded)."""
        return len(self._scratch)

    def in_sync(self, doc_id: str) -> bool:
        """Whether the peer's last known heads of `doc_id` are ours (for a document it may not read: the
        heads of what it showed us)."""
        blind = self._blind.get(doc_id)
        if blind is not None:
            return self.peer_heads.get(doc_id, ()) == tuple(sorted(blind.heads()))
        if not self.host.repo.exists(doc_id) or self._hidden(doc_id):
            return doc_id not in self.peer_heads
        return self.peer_heads.get(doc_id) == tuple(self.host.repo.open(doc_id).heads())

    def _hidden(self, doc_id: str) -> bool:
        """We hold `doc_id` and this peer may not read it."""
        if not doc_id.startswith("pj") or not self.host.repo.exists(doc_id):
            return False
        try:
            stored = self.host.repo.open(doc_id)
        except RelianceError:
            return True
        return not readable_by(stored, self.peer_id) and not readable_by(stored, self._reader_id())

    def _reader_id(self) -> str:
        """Whom the peer reads for (`devices.reader_of`: a linked device, its participant), looked up again
        every `READER_SECONDS`: a device linked or revoked meanwhile is seen then."""
        if self.reader is not None:
            return encode_peer_id(self.reader)
        now = time.monotonic()
        if self._reader is None or now - self._reader[0] > READER_SECONDS:
            try:
                key = decode_peer_id(self.peer_id)
            except PeerIdError:
                return self.peer_id
            self._reader = (now, reader_of(self.host.repo, key))
        return self._reader[1]

    def _doc(self, doc_id: str) -> StoredDoc:
        """The copy this conversation is about: ours; an empty one for a document we do not hold; or,
        for one we hold that this peer may not read, a stand-in with only what the peer sent."""
        if self.host.repo.exists(doc_id):
            self._scratch.pop(doc_id, None)
            if not self._hidden(doc_id):
                if self._blind.pop(doc_id, None) is not None:
                    self._restart(doc_id)  # it may read it now: what was said was about the stand-in
                return self.host.repo.open(doc_id)
            blind = self._blind.get(doc_id)
            if blind is not None:
                self._blind.move_to_end(doc_id)
                return blind
            if self.states.get(doc_id) is not None:
                self._restart(doc_id)  # it may no longer read it: start again as a stranger to it
            blind = self._blind[doc_id] = self.host.repo.scratch(doc_id)
            while len(self._blind) > self.host.limits.session_max_unknown_documents:
                self._forget(next(iter(self._blind)))
            return blind
        stored = self._scratch.get(doc_id)
        if stored is not None:
            self._scratch.move_to_end(doc_id)
            return stored
        stored = self._scratch[doc_id] = self.host.repo.scratch(doc_id)
        while len(self._scratch) > self.host.limits.session_max_unknown_documents:
            self._forget(next(iter(self._scratch)))
        return stored

    def _restart(self, doc_id: str) -> None:
        self.states[doc_id] = SyncStateHandle()
        self._last_sent.pop(doc_id, None)
        self._peer_synced.pop(doc_id, None)

    def _mirror(self, doc_id: str, blind: StoredDoc, infos: list[ChangeInfo]) -> None:
        """Give the stand-in the changes the peer just sent (checked and stored already), so that the
        conversation about it ends instead of the peer sending them again and again."""
        try:
            blind.crdt.apply([info.chunk for info in infos])
        except (CrdtError, CrdtPanic):
            self._blind[doc_id] = self.host.repo.scratch(doc_id)
            self._restart(doc_id)

    def _told(self, doc_id: str, reason: str) -> str:
        """What the peer is told when we refuse its changes: for a document it may not read, nothing
        that depends on our copy."""
        return f"changes for document {doc_id} refused" if doc_id in self._blind else reason

    def _forget(self, doc_id: str) -> None:
        """Drop what the session keeps about a document not held here (or not shown to this peer). Nothing
        is lost: its scratch document or stand-in holds nothing of ours, and a fresh sync state only costs
        a round trip if the peer comes back to it."""
        self._scratch.pop(doc_id, None)
        self._blind.pop(doc_id, None)
        self.states.pop(doc_id, None)
        self._last_sent.pop(doc_id, None)
        self._peer_synced.pop(doc_id, None)
        self.peer_heads.pop(doc_id, None)
