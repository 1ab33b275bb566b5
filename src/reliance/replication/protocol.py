"""The sans-IO sync session: frames in, frames and events out. No sockets, no asyncio.

One `Session` per connected peer. Frames are msgpack maps with a type field `t`:

- `digest`  {d: 32 bytes}: a hash over every document held and its heads. Equal digests: nothing to do.
- `summary` {docs: [[doc id, 8-byte digest of its heads], ...]}: sent when the digests differ; at most
            `Limits.summary_max_documents` entries (a longer one is refused; ours is cut, and we open
            the syncs of the documents we could not list ourselves).
- `sync`    {d: doc id, m: automerge sync message, s: [[change hash, signature], ...]}: Automerge's own
            sync protocol for one document, plus the signatures the receiver needs to authenticate the
            changes the message carries (one per author in the usual case; see `needed_signatures`).
- `reject`  {reason: text}: the sender refused a batch of ours and stops accepting from us.

Every change a `sync` frame carries is authenticated and authorised (`auth.accept_batch`) before any
of it is applied; automerge's sync state is fed the message without its changes (before we apply
them, so that it still tells the peer our new heads), so that automerge never holds changes we have
not checked.

What a session shows the peer depends on who the peer is (the key the transport authenticated):
participant documents go to anyone, a project whose visibility is "members" only to a member in the
state this node holds now (`authority.readable_by`: the effective members, and the effective
visibility). Such a project is left out of the digest and the summary for anyone else, never
offered, and a request for it is answered from an empty copy,
exactly as for an id this node never heard of; changes the peer sends for it are still checked and
kept (signatures make relaying safe), but nothing of ours goes back.

After the summaries, only the side whose digest is smaller opens the per-document syncs (if both did,
every change would cross twice). An empty `sync` message identical to the last one sent for that
document is not sent again: when a node cannot take some changes (blocked authors, dependencies
nobody has), both automerges would otherwise answer each other forever. `docs/sync-protocol.md`
describes the whole protocol.

The session sees the documents only through a `DocStore` (`sync.docstore`: the home's `Repository`, or a
store in memory for tests), and stores batches through the one write path (`auth.accept_batch`) without
fsync: the node flushes the store before it sends what the session answered. Its states, and what moves
it from one to the next, are one table (`sync.states`).

What one peer can make a session do is bounded (`Limits`, section "sessions"): a summary's length;
the documents not held here that the session keeps a scratch document and a sync state for (the least
recently used is forgotten); and the work per call, with `receive(frame, one_turn=True)` and `work()`,
so that a node serving several peers on one worker thread interleaves their work.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack

from reliance.automerge import wire
from reliance.automerge.crdt import (
    ChangeInfo,
    CrdtError,
    CrdtPanic,
    SyncStateHandle,
    changes_in_document_chunk,
)
from reliance.automerge.wire import read_uleb128_fast as _uleb
from reliance.errors import PeerIdError, RelianceError
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import PackError, Shape, unpack
from reliance.replication import authority
from reliance.replication.auth import (
    BatchOutcome,
    Rejected,
    accept_batch,
    covered_by_signatures,
    is_one_chain,
)
from reliance.replication.docstore import DocStore
from reliance.replication.quota import OverQuota, Quotas
from reliance.replication.states import Event as StateEvent
from reliance.replication.states import State, next_state
from reliance.store.repository import DOC_ID_RE, SignedChange, StoredDoc

MAX_WANTED = 256  # missing dependencies asked for in one message

#: Every frame type of the protocol (`t`). tests/hostile runs hostile variants of each one: add one there too.
FRAME_TYPES = ("digest", "summary", "sync", "reject")


_UNBOUNDED = 1 << 62  # our own messages: what automerge wrote from what we hold


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame."""


# -- events --------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Declined:
    """A batch (or a whole document) of someone else's was not stored: it is over a quota. The peer
    only relays it and is not blamed; this session stops syncing that document."""

    doc_id: str
    reason: str


Event = ChangesReceived | BatchRefused | RefusedByPeer | InSync | Declined


# -- helpers -------------------------------------------------------------------------------------------------


def heads_digest(heads: Iterable[bytes]) -> bytes:
    return hashlib.sha256(b"".join(sorted(heads))).digest()[:8]


def needed_signatures(changes: list[ChangeInfo]) -> list[bytes]:
    """The smallest simple set of changes whose signatures authenticate the whole batch.

    An actor's history is linear, so its latest change in the batch usually covers the others; a
    change cut off from it (a dependency not in the batch) needs its own signature.
    """
    if is_one_chain(changes):
        return [changes[-1].hash]
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


def _plain_change_headers(
    entry: bytes, max_change: int = _UNBOUNDED, actors: dict[bytes, bytes] | None = None
) -> list[ChangeInfo] | None:
    """The headers of an entry made only of uncompressed change chunks, read fast; None otherwise.

    Accepts exactly what `wire.split_chunks` + `wire.parse_change` accept for such chunks (same
    checks: magic, checksum, lengths, canonical LEB128, non-empty actor, non-zero start op, time,
    UTF-8 message, at most `max_change` bytes a chunk); on anything else it returns None and the
    caller uses the strict parser, which also produces the error message. This runs for every
    change sent and received. `actors` shares one bytes object per author across entries (a message
    of many small changes would otherwise hold a copy of the 32-byte key for each).
    """
    out: list[ChangeInfo] = []
    if actors is None:
        actors = {}
    sha256 = hashlib.sha256
    end = len(entry)
    if not end:
        return None
    pos = 0
    magic = wire.CHUNK_MAGIC
    try:
        while pos < end:
            if not entry.startswith(magic, pos) or entry[pos + 8] != 1:
                return None
            length = entry[pos + 9]
            if length < 0x80:
                body_at = pos + 10
            else:
                length, body_at = _uleb(entry, pos + 9)
            body_end = body_at + length
            if body_end > end or body_end - pos > max_change:
                return None
            change_hash = sha256(entry[pos + 8 : body_end]).digest()
            if not entry.startswith(change_hash[:4], pos + 4):
                return None
            n_deps = entry[body_at]
            if n_deps == 1:  # the usual case: one dependency, one byte
                deps: tuple[bytes, ...] = (entry[body_at + 1 : body_at + 33],)
                deps_end = body_at + 33
            else:
                n_deps, at = _uleb(entry, body_at)
                deps_end = at + 32 * n_deps
                if deps_end > body_end:
                    return None
                deps = tuple(entry[i : i + 32] for i in range(at, deps_end, 32))
            if deps_end > body_end:
                return None
            actor_len = entry[deps_end]
            if actor_len < 0x80:
                at = deps_end + 1
            else:
                actor_len, at = _uleb(entry, deps_end)
            actor = entry[at : at + actor_len]
            at += actor_len
            if not actor or at > body_end:
                return None
            actor = actors.setdefault(actor, actor)
            seq, at = _uleb(entry, at)
            start_op, at = _uleb(entry, at)
            _time, at = wire.read_sleb128(entry, at)
            message_len, at = _uleb(entry, at)
            if start_op == 0 or at + message_len > body_end:
                return None
            if message_len:
                entry[at : at + message_len].decode("utf-8")
            out.append(ChangeInfo(change_hash, entry[pos:body_end], deps, actor, seq))
            pos = body_end
    except (IndexError, wire.WireError, UnicodeDecodeError):
        return None
    return out


def _plain_chunks(entry: bytes) -> list[bytes]:
    """An entry cut into its chunks by their lengths alone (for our own messages); [] if odd."""
    chunks: list[bytes] = []
    pos = 0
    try:
        while pos < len(entry):
            length, body_at = _uleb(entry, pos + 9)
            chunks.append(entry[pos : body_at + length])
            pos = body_at + length
    except (IndexError, wire.WireError):
        return []
    return chunks if pos == len(entry) else []


def changes_of_message(message: wire.SyncMessage, limits: Limits | None) -> list[ChangeInfo]:
    """Every change a sync message carries, read before any of it is applied.

    With `limits` (a peer's message), each change is at most `max_change_bytes` as carried and
    inflated, and the message inflates to at most `max_document_bytes` in all (whole-document
    chunks included); a message of our own (`None`) is not bounded.
    """
    max_change = _UNBOUNDED if limits is None else limits.max_change_bytes
    max_inflated = _UNBOUNDED if limits is None else limits.max_document_bytes
    fast: list[ChangeInfo] = []
    actors: dict[bytes, bytes] = {}
    for entry in message.changes:
        plain = _plain_change_headers(entry, max_change, actors)
        if plain is None:
            break
        fast.extend(plain)
    else:
        return fast
    headers, documents = wire.changes_in_message(message, max_inflated=max_inflated, max_change=max_change)
    infos = [ChangeInfo(h.hash, h.chunk, h.deps, h.actor, h.seq) for h in headers]
    for chunk in documents:
        try:
            max_inflated -= wire.check_document_chunk(chunk, max_inflated=max_inflated)
            found = changes_in_document_chunk(chunk)
        except (CrdtError, CrdtPanic) as exc:
            raise ProtocolError(f"unreadable document chunk: {exc}") from None
        for info in found:
            if (
                len(info.chunk) > max_change
                or wire.change_size(info.chunk, max_inflated=max_change) > max_change
            ):
                raise ProtocolError(
                    f"a change of the document chunk is larger than the {max_change}-byte limit"
                )
        infos.extend(found)
    return infos


def _pack(value: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


# -- the host: what a session needs from the node ------------------------------------------------------------


@dataclass
class SyncHost:
    repo: DocStore
    blocked: Callable[[], Collection[bytes]] = lambda: ()
    listeners: list[Callable[[str, BatchOutcome], None]] = field(default_factory=list)
    limits: Limits = DEFAULT_LIMITS
    quotas: Quotas | None = None  # None: no quota (tests, tools); the node always has them

    def wants(self, doc_id: str) -> bool:
        """Whether a document not held here may be taken at all (False: certainly over a quota)."""
        return self.quotas is None or self.repo.exists(doc_id) or self.quotas.wants(doc_id)

    def accept(self, doc_id: str, batch: list[SignedChange]) -> BatchOutcome:
        """Check, store and apply a batch; raise Rejected (the peer is at fault) or OverQuota (declined),
        with nothing of it applied. It is stored without fsync: the node flushes the store
        (`Repository.flush`) before it sends the frames the session answered with."""
        quotas = self.quotas
        if quotas is None:
            return accept_batch(self.repo, doc_id, batch, blocked=self.blocked(), sync=False)
        quotas.admit_before_checking(doc_id, batch)  # spares checking what would be declined anyway
        outcome = accept_batch(
            self.repo,
            doc_id,
            batch,
            blocked=self.blocked(),
            admit=lambda checked: quotas.admit(doc_id, checked.fresh, checked.prepared),
            sync=False,
        )
        quotas.note(doc_id)
        return outcome

    def holdings(self, peer: bytes) -> dict[str, StoredDoc]:
        """The documents held that the peer with key `peer` may read."""
        blocked = self.blocked()
        peer_id = encode_peer_id(peer)
        held: dict[str, StoredDoc] = {}
        for doc_id in self.repo.doc_ids():
            try:
                stored = self.repo.open(doc_id)
            except RelianceError:
                continue
            if _of_blocked_owner(doc_id, blocked):
                continue
            if stored.known and readable_by(stored, peer_id):
                held[doc_id] = stored
        return held


def readable_by(stored: StoredDoc, peer_id: str) -> bool:
    """Whether our copy of `stored` may go to `peer_id` (participant documents are public)."""
    if not stored.doc_id.startswith("pj"):
        return True
    try:
        return authority.readable_by(stored, peer_id)  # effective members: strong removal
    except (CrdtError, CrdtPanic):
        return False  # unreadable here: shown to nobody


def _digest(held: dict[str, StoredDoc]) -> bytes:
    hasher = hashlib.sha256()
    for doc_id, stored in sorted(held.items()):
        hasher.update(doc_id.encode() + b"".join(stored.heads()))
    return hasher.digest()


def _of_blocked_owner(doc_id: str, blocked: Collection[bytes]) -> bool:
    """Whether `doc_id` is the participant document of a blocked key (PeerIdError if it is no peer id)."""
    return doc_id.startswith("rl") and decode_peer_id(doc_id) in blocked


# -- the session ---------------------------------------------------------------------------------------------


class Session:
    """One peer's session. `peer_key`: the key its transport authenticated; what it may read depends on it."""

    def __init__(self, host: SyncHost, *, peer_key: bytes, limits: Limits | None = None) -> None:
        """`limits`: the host's, unless given (a node may take larger frames than its default)."""
        self.host = host
        self.peer_key = peer_key
        self.peer_id = encode_peer_id(peer_key)
        self.limits = host.limits if limits is None else limits
        self._frame_shape = Shape.frame(self.limits)
        self.states: dict[str, SyncStateHandle] = {}  # automerge's, per document
        self.state = State.IDLE  # the session's own (`sync.states`)
        self.received_changes = 0
        self.sent_changes = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self._events: list[Event] = []
        # Documents the node does not hold, least recently used first (see `_doc`).
        self._scratch: OrderedDict[str, StoredDoc] = OrderedDict()
        # Documents we hold that this peer may not read: the conversation about each runs on an empty
        # stand-in holding only what the peer itself sent, so nothing of ours ever goes out (bounded as
        # the scratch documents are, least recently used first).
        self._blind: OrderedDict[str, StoredDoc] = OrderedDict()
        self._work: Iterator[list[bytes]] | None = None  # what a frame asked for beyond one turn
        self._last_sent: dict[str, bytes] = {}
        self._peer_synced: dict[str, set[bytes]] = {}  # the peer's last sync point, per document
        self._differing: set[str] = set()  # documents the summaries showed different, not yet in sync
        self._unlisted: set[str] = set()  # documents held beyond the summary limit: not in ours
        self._declined: set[str] = set()  # documents declined (over a quota) in this session
        self.peer_heads: dict[str, tuple[bytes, ...]] = {}
        self._sent_digest: bytes | None = None
        self._peer_digest: bytes | None = None

    # -- public surface ------------------------------------------------------------------------------------
    @property
    def settled(self) -> bool:
        """The digests or summaries were compared and every document they showed different is in sync."""
        return self.state is State.IN_SYNC

    @property
    def refused(self) -> bool:
        """We refused a batch or a frame of this peer: everything further from it is ignored."""
        return self.state is State.REFUSED

    @property
    def refused_by_peer(self) -> bool:
        """The peer refused us: nothing more is offered to it."""
        return self.state is State.REFUSED_BY_PEER

    def _fire(self, event: StateEvent) -> None:
        self.state = next_state(self.state, event)

    @property
    def unsettled(self) -> list[str]:
        """The documents the summaries showed different that are not in sync yet (empty before the
        summaries were compared: see `settled`)."""
        return sorted(self._differing)

    def start(self) -> list[bytes]:
        self._fire(StateEvent.START)
        self._sent_digest = _digest(self.host.holdings(self.peer_key))
        return self._out([_pack({"t": "digest", "d": self._sent_digest})])

    def receive(self, frame: bytes, *, one_turn: bool = False) -> list[bytes]:
        """Handle one frame; return the frames to send back.

        A frame may ask for much work (a summary opens a sync per document that differs). With
        `one_turn`, about `session_turn_ms` of it is done now and `pending_work` says whether `work()`
        has more: a node serving several peers on one worker gives the others their turn in between.
        """
        frames = self._receive(frame)
        while not one_turn and self.pending_work:
            frames += self.work()
        return frames

    def _receive(self, frame: bytes) -> list[bytes]:
        self.bytes_in += len(frame)
        if self.refused:
            return []
        max_frame = self.limits.max_frame
        if len(frame) > max_frame:
            return self._refuse("", f"frame of {len(frame)} bytes is over the {max_frame}-byte limit")
        try:
            message = unpack(frame, self._frame_shape)
        except PackError as exc:
            return self._refuse("", f"unreadable frame ({exc})")
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
                self._fire(StateEvent.REJECT)
                self._events.append(RefusedByPeer(reason if isinstance(reason, str) else "no reason given"))
                return []
        except ProtocolError as exc:
            return self._refuse(str(message.get("d", "")) if kind == "sync" else "", str(exc))
        return []  # unknown frame types are ignored, so newer peers can add some

    @property
    def pending_work(self) -> bool:
        """Whether a frame asked for more work than one turn: call `work()` (after other peers' turns)."""
        return self._work is not None and not self.refused

    def work(self) -> list[bytes]:
        """One more turn of the pending work; return the frames to send."""
        return self._out(self._turn())

    @property
    def unknown_documents(self) -> int:
        """Documents not held here that this session keeps a sync state for (bounded)."""
        return len(self._scratch)

    def local_change(self, doc_id: str) -> list[bytes]:
        """A document changed here (our own edit, or a batch from another peer): tell this peer."""
        if self.refused or self.refused_by_peer:
            return []
        if self._hidden(doc_id):
            return []  # never volunteer anything about a document this peer may not read
        self._fire(StateEvent.LOCAL_CHANGE)
        return self._out(self._generate(doc_id))

    def pop_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def in_sync(self, doc_id: str) -> bool:
        """Whether the peer's last known heads of `doc_id` are ours (for a document it may not read: the
        heads of what it showed us)."""
        blind = self._blind.get(doc_id)
        if blind is not None:
            return self.peer_heads.get(doc_id, ()) == tuple(sorted(blind.heads()))
        if not self.host.repo.exists(doc_id) or self._hidden(doc_id):
            return doc_id not in self.peer_heads
        return self.peer_heads.get(doc_id) == tuple(self.host.repo.open(doc_id).heads())

    # -- handlers ------------------------------------------------------------------------------------------

    def _on_digest(self, message: dict[str, Any]) -> list[bytes]:
        digest = message.get("d")
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise ProtocolError("malformed digest")
        self._peer_digest = digest
        self._differing = set()  # a comparison starts again
        held = self.host.holdings(self.peer_key)
        if digest == _digest(held):
            for doc_id, stored in held.items():
                self.peer_heads[doc_id] = tuple(stored.heads())
            self._round_over(StateEvent.DIGESTS_EQUAL)
            return []
        self._fire(StateEvent.DIGESTS_DIFFER)
        own = encode_peer_id(self.host.repo.actor)
        listed = sorted(held, key=lambda doc_id: (doc_id != own, doc_id))
        most = self.host.limits.summary_max_documents
        self._unlisted = set(listed[most:])  # we open their syncs ourselves (see `_summary_work`)
        docs = [[doc_id, heads_digest(held[doc_id].heads())] for doc_id in listed[:most]]
        return self._out([_pack({"t": "summary", "docs": docs})])

    def _on_summary(self, message: dict[str, Any]) -> list[bytes]:
        docs = message.get("docs")
        if not isinstance(docs, list):
            raise ProtocolError("malformed summary")
        most = self.host.limits.summary_max_documents
        if len(docs) > most:
            raise ProtocolError(f"summary of {len(docs)} documents is over the limit of {most}")
        # Checking the entries and opening the syncs may take a while: it goes in turns (`work`), so
        # that the node serves its other peers in between.
        self._work = self._summary_work(docs)
        return self._out(self._turn())

    def _summary_work(self, docs: list[Any]) -> Iterator[list[bytes]]:
        blocked = self.host.blocked()
        theirs: dict[str, bytes] = {}
        for index, entry in enumerate(docs):
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or not isinstance(entry[0], str)
                or not DOC_ID_RE.fullmatch(entry[0])
                or not isinstance(entry[1], bytes)
            ):
                raise ProtocolError("malformed summary entry")
            try:
                if _of_blocked_owner(entry[0], blocked):
                    continue
            except PeerIdError:
                raise ProtocolError("malformed summary entry") from None
            theirs[entry[0]] = entry[1]
            if index % 64 == 63:
                yield []
        held = self.host.holdings(self.peer_key)  # blocked owners' documents are left out of both sides
        mine = {doc_id: heads_digest(stored.heads()) for doc_id, stored in held.items()}
        yield []
        # Both sides receive a summary; only one opens the per-document syncs. If both did, each
        # would answer the other's opening, and a peer with empty heads makes automerge forget
        # what it already sent: every change would cross the wire twice.
        opener = (
            self._sent_digest is None or self._peer_digest is None or self._sent_digest < self._peer_digest
        )
        differing: list[str] = []
        for index, doc_id in enumerate(sorted(set(theirs) | set(mine))):
            if index % 64 == 63:
                yield []  # comparing every entry is work too: in turns
            if theirs.get(doc_id) == mine.get(doc_id):
                self.peer_heads[doc_id] = tuple(held[doc_id].heads())
                continue
            if doc_id not in mine and not self.host.wants(doc_id):
                continue  # over a quota: not asked for
            differing.append(doc_id)
        self._differing = set(differing)
        if not self._differing:
            self._round_over(StateEvent.SUMMARY_ALL_SAME)
        else:
            self._fire(StateEvent.SUMMARY_SOME_DIFFER)
        for doc_id in differing:
            # A document we hold but could not list, that the peer did not list either: it may not
            # know we hold it, so we open its sync whoever the opener is.
            if opener or (doc_id in self._unlisted and doc_id not in theirs):
                yield self._generate(doc_id)

    def _on_sync(self, message: dict[str, Any]) -> list[bytes]:
        doc_id = message.get("d")
        raw = message.get("m")
        signatures = message.get("s", [])
        if not isinstance(doc_id, str) or not DOC_ID_RE.fullmatch(doc_id):
            raise ProtocolError("sync frame for a malformed document id")
        if not isinstance(raw, bytes) or not isinstance(signatures, list):
            raise ProtocolError("malformed sync frame")
        self._fire(StateEvent.SYNC)
        if not self.host.wants(doc_id):
            return self._decline(doc_id, "over the quota of other people's documents")
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
            parsed = wire.decode_sync_message(raw, max_bytes=self.limits.max_frame)
            infos = changes_of_message(parsed, self.limits)
        except wire.WireError as exc:
            raise ProtocolError(f"malformed sync message: {exc}") from None
        # Feed automerge the message without its changes *before* applying them ourselves: if it saw
        # the peer's heads already present, it would believe it had told the peer so and never send
        # our new heads back (the peer would then never know we are in sync).
        stripped = dataclasses.replace(parsed, changes=())
        stored = self._doc(doc_id)
        state = self.states.setdefault(doc_id, SyncStateHandle())
        try:
            stored.crdt.receive_sync(state, wire.encode_sync_message(stripped))
        except (CrdtError, CrdtPanic) as exc:
            if doc_id in self._blind:
                self._blind[doc_id] = self.host.repo.scratch(doc_id)
            elif isinstance(exc, CrdtPanic) and self.host.repo.exists(doc_id):
                self.host.repo.reload(doc_id)
            return self._refuse(doc_id, f"automerge refused the sync message: {exc}")
        if infos:
            batch = [SignedChange(info, sig_by_hash.get(info.hash)) for info in infos]
            try:
                outcome = self.host.accept(doc_id, batch)
            except OverQuota as exc:
                return self._decline(doc_id, exc.reason)
            except Rejected as exc:
                return self._refuse(doc_id, exc.reason, told=self._told(doc_id, exc.reason))
            except RelianceError as exc:
                return self._refuse(doc_id, str(exc), told=self._told(doc_id, str(exc)))
            if self._hidden(doc_id):  # also a document this very batch created
                self._mirror(doc_id, self._doc(doc_id), infos)
            self.received_changes += len(outcome.applied)
            if outcome.applied or outcome.pending or outcome.created:
                self._events.append(
                    ChangesReceived(doc_id, len(outcome.applied), len(outcome.pending), outcome.created)
                )
            for listener in self.host.listeners:
                listener(doc_id, outcome)
        self.peer_heads[doc_id] = tuple(sorted(parsed.heads))
        self._peer_synced[doc_id] = {h for have in parsed.have for h in have.last_sync}
        frames = self._out(self._generate(doc_id))
        if self.in_sync(doc_id):
            self._settled(doc_id)  # InSync when it was the last: the round the summaries started is over
        return frames

    # -- internals -----------------------------------------------------------------------------------------
    def _turn(self) -> list[bytes]:
        """Run the pending work for about `session_turn_ms`; the frames it produced."""
        frames: list[bytes] = []
        if self._work is None:
            return frames
        deadline = time.monotonic() + self.host.limits.session_turn_ms / 1000
        try:
            for produced in self._work:
                frames.extend(produced)
                if time.monotonic() >= deadline:
                    return frames
        except ProtocolError as exc:
            self._work = None
            return frames + self._refusal("", str(exc))
        self._work = None
        return frames

    def _round_over(self, event: StateEvent) -> None:
        self._fire(event)
        self._events.append(InSync())

    def _hidden(self, doc_id: str) -> bool:
        """We hold `doc_id` and this peer may not read it."""
        if not doc_id.startswith("pj") or not self.host.repo.exists(doc_id):
            return False
        try:
            stored = self.host.repo.open(doc_id)
        except RelianceError:
            return True
        return not readable_by(stored, self.peer_id)

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

    def _generate(self, doc_id: str) -> list[bytes]:
        # Under the document's lock, as every writer: a change made by another thread between automerge's
        # message and its signatures would go out unsigned, and the peer refuse the whole batch.
        with self.host.repo.writing(doc_id):
            return self._generate_locked(doc_id)

    def _generate_locked(self, doc_id: str) -> list[bytes]:
        stored = self._doc(doc_id)
        state = self.states.setdefault(doc_id, SyncStateHandle())
        try:
            raw = stored.crdt.generate_sync(state)
        except (CrdtError, CrdtPanic):
            return []
        if raw is None:
            return []
        generated = message = wire.decode_sync_message(raw, max_bytes=1 << 40)
        if doc_id in self._blind and message.changes:
            # The stand-in holds only the peer's own changes, without their signatures: never send them.
            message = dataclasses.replace(message, changes=())
        infos = self._own_changes(doc_id, stored, message)
        blocked = self.host.blocked()
        if blocked and any(info.actor in blocked for info in infos):
            message = self._without_blocked(message, blocked)
            infos = [i for i in infos if i.actor not in blocked]
        signatures, completed, infos = self._signatures_for(stored, message, infos)
        wanted = self._wanted(stored, completed.need)
        if wanted:
            completed = dataclasses.replace(completed, need=completed.need + wanted)
        if completed is not generated:
            raw = wire.encode_sync_message(completed)
        if not completed.changes and self._last_sent.get(doc_id) == raw:
            # The peer already has exactly this. It happens when we cannot take some of its changes
            # (blocked authors, dependencies nobody sends): automerge on both sides would otherwise
            # keep answering each other with the same empty message forever.
            return []
        self._last_sent[doc_id] = raw
        self.sent_changes += len(infos) if completed.changes else 0
        return [_pack({"t": "sync", "d": doc_id, "m": raw, "s": signatures})]

    @staticmethod
    def _wanted(stored: StoredDoc, need: tuple[bytes, ...]) -> tuple[bytes, ...]:
        """Dependencies of our buffered changes that we lack, to ask for beside automerge's own need.

        Automerge asks for the missing dependencies of changes waiting in *its* queue; ours wait in
        the store instead, so without this a dependency the peer left out (a Bloom filter false
        positive) would never be asked for.
        """
        if not stored.pending:
            return ()
        present = set(need)
        wanted: list[bytes] = []
        for change in stored.pending.values():
            for dep in change.info.deps:
                if dep not in stored.known and dep not in stored.pending and dep not in present:
                    present.add(dep)
                    wanted.append(dep)
                    if len(wanted) >= MAX_WANTED:
                        return tuple(wanted)
        return tuple(wanted)

    def _own_changes(self, doc_id: str, stored: StoredDoc, message: wire.SyncMessage) -> list[ChangeInfo]:
        """The changes a message we generated carries.

        Automerge sends only changes the peer lacks, so they all follow the peer's last heads and its
        last sync point: automerge's own list of the changes since those gives them, without reading
        every chunk again in Python.
        """
        if not message.changes:
            return []
        since = set(self.peer_heads.get(doc_id, ())) | self._peer_synced.get(doc_id, set())
        try:
            candidates = stored.crdt.changes_since([h for h in since if h in stored.known])
        except (CrdtError, CrdtPanic):
            candidates = []
        if candidates and b"".join(c.chunk for c in candidates) == b"".join(message.changes):
            return candidates
        by_chunk = {c.chunk: c for c in candidates}
        found: list[ChangeInfo] = []
        for entry in message.changes:
            for chunk in _plain_chunks(entry):
                info = by_chunk.get(chunk)
                if info is None:
                    return changes_of_message(message, None)
                found.append(info)
        return found

    def _signatures_for(
        self, stored: StoredDoc, message: wire.SyncMessage, infos: list[ChangeInfo]
    ) -> tuple[list[list[bytes]], wire.SyncMessage, list[ChangeInfo]]:
        """Signatures the receiver needs, the message and the changes it now carries: adds changes when
        one we lack a signature for must be covered.

        We hold some changes without their own signature: they reached us covered by a later signed
        change of the same author. To pass them on we send that later change too, whether it is
        applied or still waiting in our buffer (e.g. behind a change of a blocked author).
        """

        def signature_of(change_hash: bytes) -> bytes | None:
            signature = stored.known.get(change_hash)
            if signature is None and change_hash in stored.pending:
                signature = stored.pending[change_hash].signature
            return signature

        needed = needed_signatures(infos)
        for _ in range(8):
            missing = [h for h in needed if signature_of(h) is None]
            if not missing:
                break
            by_hash = {i.hash: i for i in infos}
            extra: list[ChangeInfo] = []
            for change_hash in missing:
                info = by_hash[change_hash]
                candidates = stored.crdt.changes_since(list(info.deps)) if change_hash in stored.known else []
                candidates += [
                    c.info
                    for c in stored.pending.values()
                    if c.info.actor == info.actor and c.signature is not None
                ]
                for candidate in candidates:
                    if candidate.hash not in by_hash:
                        by_hash[candidate.hash] = candidate
                        extra.append(candidate)
            if not extra:
                break
            infos = infos + extra
            message = dataclasses.replace(message, changes=message.changes + tuple(c.chunk for c in extra))
            needed = needed_signatures(infos)
        signatures: list[list[bytes]] = []
        for change_hash in needed:
            signature = signature_of(change_hash)
            if signature is not None:
                signatures.append([change_hash, signature])
        return signatures, message, infos

    @staticmethod
    def _without_blocked(message: wire.SyncMessage, blocked: Collection[bytes]) -> wire.SyncMessage:
        kept: list[bytes] = []
        for entry in message.changes:
            for chunk in wire.split_chunks(entry, max_inflated=_UNBOUNDED):
                if chunk.kind == "document":
                    kept.extend(
                        c.chunk for c in changes_in_document_chunk(chunk.data) if c.actor not in blocked
                    )
                elif wire.parse_change(chunk, max_inflated=_UNBOUNDED).actor not in blocked:
                    kept.append(chunk.data)
        return dataclasses.replace(message, changes=tuple(kept))

    def _refuse(self, doc_id: str, reason: str, *, told: str | None = None) -> list[bytes]:
        return self._out(self._refusal(doc_id, reason, told=told))

    def _decline(self, doc_id: str, reason: str) -> list[bytes]:
        """Stop syncing a document over a quota: no answer (its sync ends here), nothing kept."""
        if doc_id not in self._declined:  # reported once per session
            if len(self._declined) >= self.host.limits.session_max_unknown_documents:
                self._declined.clear()
            self._declined.add(doc_id)
            self._events.append(Declined(doc_id, reason))
            if self.host.quotas is not None:
                self.host.quotas.declined_one(reason)
        if not self.host.repo.exists(doc_id):
            self._forget(doc_id)
        self._settled(doc_id)
        return []

    def _settled(self, doc_id: str) -> None:
        """`doc_id` needs nothing more in the round the summaries started: InSync once none does."""
        if doc_id in self._differing:
            self._differing.discard(doc_id)
            if not self._differing:
                self._round_over(StateEvent.ALL_SETTLED)

    def _refusal(self, doc_id: str, reason: str, *, told: str | None = None) -> list[bytes]:
        """Refuse the peer: `reason` is reported here, `told` (default: the same) is what it is told."""
        self._fire(StateEvent.BREACH)
        self._work = None
        self._events.append(BatchRefused(doc_id, reason))
        told = reason if told is None else told
        told = told[: self.limits.max_packed_string // 4]  # UTF-8: within what the peer reads as a string
        return [_pack({"t": "reject", "reason": told})]

    def _out(self, frames: list[bytes]) -> list[bytes]:
        self.bytes_out += sum(len(f) for f in frames)
        return frames
