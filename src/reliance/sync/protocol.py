"""The sans-IO sync session: frames in, frames and events out. No sockets, no asyncio.

One `Session` per connected peer. Frames are msgpack maps with a type field `t`:

- `digest`  {d: 32 bytes}: a hash over every document held and its heads. Equal digests: nothing to do.
- `summary` {docs: [[doc id, 8-byte digest of its heads], ...]}: sent when the digests differ.
- `sync`    {d: doc id, m: automerge sync message, s: [[change hash, signature], ...]}: Automerge's own
            sync protocol for one document, plus the signatures the receiver needs to authenticate the
            changes the message carries (one per author in the usual case; see `needed_signatures`).
- `reject`  {reason: text}: the sender refused a batch of ours and stops accepting from us.

Every change a `sync` frame carries is authenticated and authorised (`auth.accept_batch`) before any
of it is applied; automerge's sync state is then fed the message without its changes, so that
automerge never holds changes we have not checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgpack

from reliance.doc.crdt import ChangeInfo, CrdtError, CrdtPanic, SyncStateHandle, changes_in_document_chunk
from reliance.errors import RelianceError
from reliance.store.repository import DOC_ID_RE, Repository, SignedChange, StoredDoc
from reliance.sync import wire
from reliance.sync.auth import BatchOutcome, Rejected, accept_batch

MAX_FRAME = 64 * 1024 * 1024
MAX_DOCUMENT_CHUNK = 64 * 1024 * 1024
MAX_INFLATED = 256 * 1024 * 1024


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame."""


# -- events ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangesReceived:
    doc_id: str
    applied: int
    pending: int
    created: bool


@dataclass(frozen=True)
class BatchRefused:
    doc_id: str
    reason: str


@dataclass(frozen=True)
class RefusedByPeer:
    reason: str


@dataclass(frozen=True)
class InSync:
    """Every document both sides hold has the same heads (after the digests matched or a round ended)."""


Event = ChangesReceived | BatchRefused | RefusedByPeer | InSync


# -- helpers ---------------------------------------------------------------------------------------------------


def heads_digest(heads: Iterable[bytes]) -> bytes:
    return hashlib.sha256(b"".join(sorted(heads))).digest()[:8]


def covered_by_signatures(changes: list[ChangeInfo], signed: Collection[bytes]) -> set[bytes]:
    """Hashes authenticated by `signed` ones: themselves and same-actor ancestors within `changes`."""
    by_hash = {c.hash: c for c in changes}
    covered: set[bytes] = set()
    starts: dict[bytes, list[bytes]] = {}
    for change_hash in signed:
        change = by_hash.get(change_hash)
        if change is not None:
            starts.setdefault(change.actor, []).append(change_hash)
    for actor, hashes in starts.items():
        seen: set[bytes] = set()
        stack = list(hashes)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            change = by_hash.get(current)
            if change is None:
                continue
            if change.actor == actor:
                covered.add(current)
            stack.extend(dep for dep in change.deps if dep in by_hash)
    return covered


def needed_signatures(changes: list[ChangeInfo]) -> list[bytes]:
    """The smallest simple set of changes whose signatures authenticate the whole batch.

    An actor's history is linear, so its latest change in the batch usually covers the others; a
    change cut off from it (a dependency not in the batch) needs its own signature.
    """
    latest: dict[bytes, ChangeInfo] = {}
    for change in changes:
        if change.actor not in latest or change.seq > latest[change.actor].seq:
            latest[change.actor] = change
    needed = [c.hash for c in latest.values()]
    covered = covered_by_signatures(changes, needed)
    for change in sorted(changes, key=lambda c: -c.seq):
        if change.hash not in covered:
            needed.append(change.hash)
            covered |= covered_by_signatures(changes, [change.hash])
    return needed


def changes_of_message(message: wire.SyncMessage) -> list[ChangeInfo]:
    headers, documents = wire.changes_in_message(message, max_inflated=MAX_INFLATED)
    infos = [ChangeInfo(h.hash, h.chunk, h.deps, h.actor, h.seq) for h in headers]
    for chunk in documents:
        if len(chunk) > MAX_DOCUMENT_CHUNK:
            raise ProtocolError("document chunk too large")
        try:
            infos.extend(changes_in_document_chunk(chunk))
        except (CrdtError, CrdtPanic) as exc:
            raise ProtocolError(f"unreadable document chunk: {exc}") from None
    return infos


def _pack(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


# -- the host: what a session needs from the node --------------------------------------------------------------


@dataclass
class SyncHost:
    repo: Repository
    blocked: Callable[[], Collection[bytes]] = lambda: ()
    listeners: list[Callable[[str, BatchOutcome], None]] = field(default_factory=list)

    def holdings(self) -> dict[str, StoredDoc]:
        blocked = self.blocked()
        held: dict[str, StoredDoc] = {}
        for doc_id in self.repo.doc_ids():
            try:
                stored = self.repo.open(doc_id)
            except RelianceError:
                continue
            if doc_id.startswith("rl") and _peer_key(doc_id) in blocked:
                continue
            if stored.known:
                held[doc_id] = stored
        return held

    def digest(self) -> bytes:
        hasher = hashlib.sha256()
        for doc_id, stored in sorted(self.holdings().items()):
            hasher.update(doc_id.encode() + b"".join(stored.heads()))
        return hasher.digest()


def _peer_key(doc_id: str) -> bytes:
    from reliance.identity import decode_peer_id

    return decode_peer_id(doc_id)


# -- the session -----------------------------------------------------------------------------------------------


class Session:
    def __init__(self, host: SyncHost, *, max_frame: int = MAX_FRAME) -> None:
        self.host = host
        self.max_frame = max_frame
        self.states: dict[str, SyncStateHandle] = {}
        self.refused = False  # we refused a batch from this peer: ignore everything further
        self.refused_by_peer = False
        self.received_changes = 0
        self.sent_changes = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self._events: list[Event] = []
        self._scratch: dict[str, StoredDoc] = {}
        self.peer_heads: dict[str, tuple[bytes, ...]] = {}

    # -- public surface ------------------------------------------------------------------------------------
    def start(self) -> list[bytes]:
        return self._out([_pack({"t": "digest", "d": self.host.digest()})])

    def receive(self, frame: bytes) -> list[bytes]:
        """Handle one frame; return the frames to send back."""
        self.bytes_in += len(frame)
        if self.refused:
            return []
        if len(frame) > self.max_frame:
            return self._refuse("", f"frame of {len(frame)} bytes is over the {self.max_frame}-byte limit")
        try:
            message = msgpack.unpackb(frame, raw=False, strict_map_key=True, max_bin_len=self.max_frame)
        except (ValueError, msgpack.UnpackException) as exc:
            return self._refuse("", f"unreadable frame ({type(exc).__name__})")
        if not isinstance(message, dict) or not isinstance(message.get("t"), str):
            return self._refuse("", "frame without a type")
        kind = message["t"]
        try:
            if kind == "digest":
                return self._on_digest(message)
            if kind == "summary":
                return self._on_summary(message)
            if kind == "sync":
                return self._on_sync(message)
            if kind == "reject":
                reason = message.get("reason")
                self.refused_by_peer = True
                self._events.append(RefusedByPeer(reason if isinstance(reason, str) else "no reason given"))
                return []
        except ProtocolError as exc:
            return self._refuse(str(message.get("d", "")) if kind == "sync" else "", str(exc))
        return []  # unknown frame types are ignored, so newer peers can add some

    def local_change(self, doc_id: str) -> list[bytes]:
        """A document changed here (our own edit, or a batch from another peer): tell this peer."""
        if self.refused or self.refused_by_peer:
            return []
        return self._out(self._generate(doc_id))

    def pop_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def in_sync(self, doc_id: str) -> bool:
        """Whether the peer's last known heads of `doc_id` are ours."""
        if not self.host.repo.exists(doc_id):
            return doc_id not in self.peer_heads
        return self.peer_heads.get(doc_id) == tuple(self.host.repo.open(doc_id).heads())

    # -- handlers ------------------------------------------------------------------------------------------

    def _on_digest(self, message: dict[str, Any]) -> list[bytes]:
        digest = message.get("d")
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise ProtocolError("malformed digest")
        if digest == self.host.digest():
            for doc_id, stored in self.host.holdings().items():
                self.peer_heads[doc_id] = tuple(stored.heads())
            self._events.append(InSync())
            return []
        docs = [
            [doc_id, heads_digest(stored.heads())] for doc_id, stored in sorted(self.host.holdings().items())
        ]
        return self._out([_pack({"t": "summary", "docs": docs})])

    def _on_summary(self, message: dict[str, Any]) -> list[bytes]:
        docs = message.get("docs")
        if not isinstance(docs, list) or len(docs) > 1_000_000:
            raise ProtocolError("malformed summary")
        theirs: dict[str, bytes] = {}
        for entry in docs:
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or not isinstance(entry[0], str)
                or not DOC_ID_RE.match(entry[0])
                or not isinstance(entry[1], bytes)
            ):
                raise ProtocolError("malformed summary entry")
            theirs[entry[0]] = entry[1]
        mine = {doc_id: heads_digest(stored.heads()) for doc_id, stored in self.host.holdings().items()}
        blocked = self.host.blocked()
        frames: list[bytes] = []
        for doc_id in sorted(set(theirs) | set(mine)):
            if theirs.get(doc_id) == mine.get(doc_id):
                self.peer_heads[doc_id] = tuple(self.host.repo.open(doc_id).heads())
                continue
            if doc_id.startswith("rl") and _peer_key(doc_id) in blocked:
                continue
            frames.extend(self._generate(doc_id))
        if not frames:
            self._events.append(InSync())
        return self._out(frames)

    def _on_sync(self, message: dict[str, Any]) -> list[bytes]:
        doc_id = message.get("d")
        raw = message.get("m")
        signatures = message.get("s", [])
        if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id):
            raise ProtocolError("sync frame for a malformed document id")
        if not isinstance(raw, bytes) or not isinstance(signatures, list):
            raise ProtocolError("malformed sync frame")
        sig_by_hash: dict[bytes, bytes] = {}
        for pair in signatures:
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not isinstance(pair[0], bytes)
                or len(pair[0]) != 32
                or not isinstance(pair[1], bytes)
                or len(pair[1]) != 64
            ):
                raise ProtocolError("malformed signature list")
            sig_by_hash[pair[0]] = pair[1]
        try:
            parsed = wire.decode_sync_message(raw, max_bytes=self.max_frame)
            infos = changes_of_message(parsed)
        except wire.WireError as exc:
            raise ProtocolError(f"malformed sync message: {exc}") from None
        # Feed automerge the message without its changes *before* applying them ourselves: if it saw
        # the peer's heads already present, it would believe it had told the peer so and never send
        # our new heads back (the peer would then never know we are in sync).
        stripped = wire.SyncMessage(
            parsed.version, parsed.heads, parsed.need, parsed.have, (), parsed.trailer
        )
        stored = self._doc(doc_id)
        state = self.states.setdefault(doc_id, SyncStateHandle())
        try:
            stored.crdt.receive_sync(state, wire.encode_sync_message(stripped))
        except (CrdtError, CrdtPanic) as exc:
            if isinstance(exc, CrdtPanic) and self.host.repo.exists(doc_id):
                self.host.repo.reload(doc_id)
            return self._refuse(doc_id, f"automerge refused the sync message: {exc}")
        if infos:
            batch = [SignedChange(info, sig_by_hash.get(info.hash)) for info in infos]
            try:
                outcome = accept_batch(self.host.repo, doc_id, batch, blocked=self.host.blocked())
            except Rejected as exc:
                return self._refuse(doc_id, exc.reason)
            except RelianceError as exc:
                return self._refuse(doc_id, str(exc))
            self.received_changes += len(outcome.applied)
            if outcome.applied or outcome.pending or outcome.created:
                self._events.append(
                    ChangesReceived(doc_id, len(outcome.applied), len(outcome.pending), outcome.created)
                )
            for listener in self.host.listeners:
                listener(doc_id, outcome)
        self.peer_heads[doc_id] = tuple(sorted(parsed.heads))
        return self._out(self._generate(doc_id))

    # -- internals -----------------------------------------------------------------------------------------
    def _doc(self, doc_id: str) -> StoredDoc:
        if self.host.repo.exists(doc_id):
            self._scratch.pop(doc_id, None)
            return self.host.repo.open(doc_id)
        if doc_id not in self._scratch:
            self._scratch[doc_id] = self.host.repo.scratch(doc_id)
        return self._scratch[doc_id]

    def _generate(self, doc_id: str) -> list[bytes]:
        stored = self._doc(doc_id)
        state = self.states.setdefault(doc_id, SyncStateHandle())
        try:
            raw = stored.crdt.generate_sync(state)
        except (CrdtError, CrdtPanic):
            return []
        if raw is None:
            return []
        message = wire.decode_sync_message(raw, max_bytes=1 << 40)
        infos = changes_of_message(message)
        blocked = self.host.blocked()
        if blocked and any(info.actor in blocked for info in infos):
            message = self._without_blocked(message, blocked)
            infos = [i for i in infos if i.actor not in blocked]
        signatures, message = self._signatures_for(stored, message, infos)
        self.sent_changes += len(infos)
        frame = {"t": "sync", "d": doc_id, "m": wire.encode_sync_message(message), "s": signatures}
        return [_pack(frame)]

    def _signatures_for(
        self, stored: StoredDoc, message: wire.SyncMessage, infos: list[ChangeInfo]
    ) -> tuple[list[list[bytes]], wire.SyncMessage]:
        """Signatures the receiver needs; adds changes when one we lack a signature for must be covered."""
        for _ in range(8):
            needed = needed_signatures(infos)
            missing = [h for h in needed if stored.known.get(h) is None and h not in stored.pending]
            if not missing:
                break
            # We received these covered by a later change of the same author: send the way to it too.
            present = {i.hash for i in infos}
            extra: list[ChangeInfo] = []
            for change_hash in missing:
                info = next(i for i in infos if i.hash == change_hash)
                extra.extend(c for c in stored.crdt.changes_since(list(info.deps)) if c.hash not in present)
                present |= {c.hash for c in extra}
            infos = infos + extra
            message = wire.SyncMessage(
                message.version,
                message.heads,
                message.need,
                message.have,
                message.changes + tuple(c.chunk for c in extra),
                message.trailer,
            )
        signatures: list[list[bytes]] = []
        for change_hash in needed_signatures(infos):
            signature = stored.known.get(change_hash)
            if signature is None and change_hash in stored.pending:
                signature = stored.pending[change_hash].signature
            if signature is not None:
                signatures.append([change_hash, signature])
        return signatures, message

    @staticmethod
    def _without_blocked(message: wire.SyncMessage, blocked: Collection[bytes]) -> wire.SyncMessage:
        kept: list[bytes] = []
        for entry in message.changes:
            for chunk in wire.split_chunks(entry, max_inflated=MAX_INFLATED):
                if chunk.kind == "document":
                    kept.extend(
                        c.chunk for c in changes_in_document_chunk(chunk.data) if c.actor not in blocked
                    )
                elif wire.parse_change(chunk).actor not in blocked:
                    kept.append(chunk.data)
        return wire.SyncMessage(
            message.version, message.heads, message.need, message.have, tuple(kept), message.trailer
        )

    def _refuse(self, doc_id: str, reason: str) -> list[bytes]:
        self.refused = True
        self._events.append(BatchRefused(doc_id, reason))
        return self._out([_pack({"t": "reject", "reason": reason})])

    def _out(self, frames: list[bytes]) -> list[bytes]:
        self.bytes_out += sum(len(f) for f in frames)
        return frames
