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
state this node holds now (`effective.readable_by`: the effective members, and the effective
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

Beside it: `syncmessages.py` (the changes a sync message carries: a peer's read, ours completed with their
signatures), `copies.py` (the copy of a document each conversation is about, and what is kept per
document), `visibility.py` (what a peer may see) and `states.py` (the session's states).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack

from reliance.automerge import wire
from reliance.automerge.crdt import CrdtError, CrdtPanic, SyncStateHandle
from reliance.certificate import is_proof
from reliance.errors import PeerIdError, RelianceError
from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import PackError, Shape, unpack
from reliance.replication.auth import (
    BatchOutcome,
    Rejected,
    accept_batch,
)
from reliance.replication.copies import DocumentCopies
from reliance.replication.devices import blocked_actors, reader_of
from reliance.replication.docstore import DocStore
from reliance.replication.quota import OverQuota, Quotas
from reliance.replication.states import Event as StateEvent
from reliance.replication.states import State, next_state
from reliance.replication.syncmessages import (
    ProtocolError,
    changes_of_message,
    own_changes,
    signatures_for,
    wanted_dependencies,
    without_blocked,
)
from reliance.replication.visibility import heads_digest, holdings_digest, of_blocked_owner, readable_by
from reliance.store.repository import DOC_ID_RE, SignedChange, StoredDoc

#: Every frame type of the protocol (`t`). tests/hostile runs hostile variants of each one: add one there too.
FRAME_TYPES = ("digest", "summary", "sync", "reject")


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
    _own: str | None = field(default=None, init=False, repr=False)

    def own_id(self) -> str:
        """The peer id of this node's participant (whose document this device writes)."""
        if self._own is None:
            quotas = self.quotas
            self._own = quotas.owner if quotas is not None else reader_of(self.repo, self.repo.actor)
        return self._own

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

    def holdings(self, peer: bytes, reader: bytes | None = None) -> dict[str, StoredDoc]:
        """The documents held that the peer with key `peer` may read; `reader`: the participant its
        handshake's certificate says it is a device of (else the participant documents held say)."""
        blocked = self.blocked()
        # a linked device reads what its participant may
        peer_id = encode_peer_id(reader) if reader is not None else reader_of(self.repo, peer)
        held: dict[str, StoredDoc] = {}
        for doc_id in self.repo.doc_ids():
            try:
                stored = self.repo.open(doc_id)
            except RelianceError:
                continue
            if of_blocked_owner(doc_id, blocked):
                continue
            if stored.known and readable_by(stored, peer_id):
                held[doc_id] = stored
        return held


# -- the session ---------------------------------------------------------------------------------------------


class Session(DocumentCopies):
    """One peer's session. `peer_key`: the key its transport authenticated; what it may read depends on it."""

    def __init__(
        self, host: SyncHost, *, peer_key: bytes, limits: Limits | None = None, reader: bytes | None = None
    ) -> None:
        """`limits`: the host's, unless given (a node may take larger frames than its default). `reader`:
        the participant whose device `peer_key` is, as a certificate checked in the handshake says."""
        super().__init__(host, encode_peer_id(peer_key))
        self.peer_key = peer_key
        self.reader = reader  # (DocumentCopies reads it too: what the peer may read)
        self.limits = host.limits if limits is None else limits
        self._frame_shape = Shape.frame(self.limits)
        self.state = State.IDLE  # the session's own (`sync.states`)
        self.received_changes = 0
        self.sent_changes = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self._events: list[Event] = []
        self._work: Iterator[list[bytes]] | None = None  # what a frame asked for beyond one turn
        self._differing: set[str] = set()  # documents the summaries showed different, not yet in sync
        self._unlisted: set[str] = set()  # documents held beyond the summary limit: not in ours
        self._declined: set[str] = set()  # documents declined (over a quota) in this session
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
        self._sent_digest = holdings_digest(self.host.holdings(self.peer_key, self.reader))
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

    # -- handlers ------------------------------------------------------------------------------------------

    def _on_digest(self, message: dict[str, Any]) -> list[bytes]:
        digest = message.get("d")
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise ProtocolError("malformed digest")
        self._peer_digest = digest
        self._differing = set()  # a comparison starts again
        held = self.host.holdings(self.peer_key, self.reader)
        if digest == holdings_digest(held):
            for doc_id, stored in held.items():
                self.peer_heads[doc_id] = tuple(stored.heads())
            self._round_over(StateEvent.DIGESTS_EQUAL)
            return []
        self._fire(StateEvent.DIGESTS_DIFFER)
        own = self.host.own_id()
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
                if of_blocked_owner(entry[0], blocked):
                    continue
            except PeerIdError:
                raise ProtocolError("malformed summary entry") from None
            theirs[entry[0]] = entry[1]
            if index % 64 == 63:
                yield []
        # blocked owners' documents are left out of both sides
        held = self.host.holdings(self.peer_key, self.reader)
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
                or not is_proof(pair[1])
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
        since = set(self.peer_heads.get(doc_id, ())) | self._peer_synced.get(doc_id, set())
        infos = own_changes(stored, message, since)
        blocked = blocked_actors(stored, self.host.blocked())
        if blocked and any(info.actor in blocked for info in infos):
            message = without_blocked(message, blocked)
            infos = [i for i in infos if i.actor not in blocked]
        signatures, completed, infos = signatures_for(stored, message, infos)
        wanted = wanted_dependencies(stored, completed.need)
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
