"""Quotas on other people's documents: what strangers can make a node store (and so relay).

A node keeps and relays documents of third parties (gossip). Without a bound, anyone could fill its disk,
and every node it meets. Documents *of others* are the participant documents but the owner's, and the
projects the owner is not a member of; each has an author: a participant document's owner, a project's
creator. Quotas (`Limits`, section "quotas on other people's documents") bound their number and their
bytes on disk, in all and per author. The owner's own document and the projects the owner is a member of
are never counted, nor refused.

A batch that would take a quota over is *declined*: nothing of it is stored (so nothing is relayed), the
peer is not blamed (it only relays), and the session stops syncing that document. `reliance doctor` shows
the usage (`QuotaUsage`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reliance.automerge.crdt import CrdtDoc, CrdtError, CrdtPanic
from reliance.certificate import proof_participant
from reliance.errors import RelianceError
from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.replication import effective
from reliance.store.repository import DocKind, Repository, SignedChange, StoredDoc, doc_kind

SIGNATURE_AND_RECORD = 96  # what storing a change costs beside its chunk: signature, record framing
MIB = 1024 * 1024


class OverQuota(Exception):
    """A batch would take a quota on other people's documents over; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def batch_bytes(changes: Sequence[SignedChange]) -> int:
    return sum(len(c.info.chunk) + SIGNATURE_AND_RECORD for c in changes)


@dataclass(frozen=True)
class _Entry:
    author: str  # peer id of the owner or creator; "" when not known yet
    size: int
    counted: bool  # False: the owner's own, or a project the owner is a member of


@dataclass(frozen=True)
class AuthorUsage:
    author: str
    documents: int
    bytes: int


@dataclass(frozen=True)
class QuotaUsage:
    """Other people's documents held, against the quotas (for `reliance doctor` and node-state.json)."""

    documents: int
    bytes: int
    max_documents: int
    max_bytes: int
    author_max_documents: int
    author_max_bytes: int
    largest: tuple[AuthorUsage, ...] = ()  # the authors holding the most bytes, largest first
    at_limit: tuple[AuthorUsage, ...] = ()  # authors at their per-author quota
    declined: int = 0  # batches declined since the node started
    last_declined: str = ""

    @property
    def full(self) -> bool:
        return self.documents >= self.max_documents or self.bytes >= self.max_bytes

    def to_json(self) -> dict[str, Any]:
        def authors(values: Sequence[AuthorUsage]) -> list[dict[str, Any]]:
            return [{"author": a.author, "documents": a.documents, "bytes": a.bytes} for a in values]

        return {
            "documents": self.documents,
            "bytes": self.bytes,
            "max_documents": self.max_documents,
            "max_bytes": self.max_bytes,
            "author_max_documents": self.author_max_documents,
            "author_max_bytes": self.author_max_bytes,
            "largest": authors(self.largest),
            "at_limit": authors(self.at_limit),
            "declined": self.declined,
            "last_declined": self.last_declined,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QuotaUsage:
        """Read back `to_json` (node-state.json); ValueError if it is not that."""

        def number(key: str) -> int:
            value = data.get(key)
            if type(value) is not int or value < 0:
                raise ValueError(f"quota usage: {key} is not a count")
            return value

        def authors(key: str) -> tuple[AuthorUsage, ...]:
            values = data.get(key, [])
            if not isinstance(values, list):
                raise ValueError(f"quota usage: {key} is not a list")
            out = []
            for value in values[:16]:
                if not isinstance(value, dict) or not isinstance(value.get("author"), str):
                    raise ValueError(f"quota usage: {key} holds something else than authors")
                documents, size = value.get("documents"), value.get("bytes")
                if type(documents) is not int or type(size) is not int:
                    raise ValueError(f"quota usage: {key} holds something else than authors")
                out.append(AuthorUsage(value["author"], documents, size))
            return tuple(out)

        last = data.get("last_declined", "")
        return cls(
            number("documents"),
            number("bytes"),
            number("max_documents"),
            number("max_bytes"),
            number("author_max_documents"),
            number("author_max_bytes"),
            authors("largest"),
            authors("at_limit"),
            number("declined") if "declined" in data else 0,
            last if isinstance(last, str) else "",
        )


@dataclass
class _Totals:
    documents: int = 0
    bytes: int = 0
    authors: dict[str, list[int]] = field(default_factory=dict)  # author -> [documents, bytes]

    def add(self, entry: _Entry, sign: int) -> None:
        if not entry.counted:
            return
        self.documents += sign
        self.bytes += sign * entry.size
        counts = self.authors.setdefault(entry.author, [0, 0])
        counts[0] += sign
        counts[1] += sign * entry.size
        if counts[0] <= 0 and counts[1] <= 0:
            del self.authors[entry.author]


class Quotas:
    """The quotas of one home, kept up to date as batches are stored (`note`).

    Thread-safe: the node's sync worker admits and notes, its event loop reads `usage()`.
    """

    def __init__(self, repo: Repository, owner: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.repo = repo
        self.owner = owner
        self.limits = limits
        self.declined = 0
        self.last_declined = ""
        self._entries: dict[str, _Entry] | None = None
        self._totals = _Totals()
        self._lock = threading.RLock()

    # -- what is held --------------------------------------------------------------------------------------
    def scan(self) -> None:
        """(Re)read every document held."""
        with self._lock:
            self._entries = {}
            self._totals = _Totals()
            for doc_id in self.repo.doc_ids():
                self._note_locked(doc_id)

    def note(self, doc_id: str) -> None:
        """Read one document again (a batch was stored, another process wrote it)."""
        with self._lock:
            if self._entries is None:
                self.scan()
            else:
                self._note_locked(doc_id)

    def _note_locked(self, doc_id: str) -> None:
        assert self._entries is not None
        old = self._entries.pop(doc_id, None)
        if old is not None:
            self._totals.add(old, -1)
        if not self.repo.exists(doc_id):
            return
        try:
            stored = self.repo.open(doc_id)
        except RelianceError:
            return
        if not stored.known and not stored.pending:
            return
        author, counted = self._judge(doc_id, stored.crdt if stored.known else None, stored)
        entry = _Entry(author, stored.size_on_disk(), counted)
        self._entries[doc_id] = entry
        self._totals.add(entry, +1)

    def _judge(
        self,
        doc_id: str,
        state: CrdtDoc | None,
        stored: StoredDoc | None,
        proofs: Mapping[bytes, bytes | None] | None = None,
    ) -> tuple[str, bool]:
        """(author, counted) of a document, from its state (None: not known yet; `stored`: the stored
        document it is, or forks). The owner's membership is the effective one: a member removed, or
        added by a change that counts for nothing (strong removal), holds the project as a stranger."""
        if doc_kind(doc_id) == DocKind.PARTICIPANT:
            return doc_id, doc_id != self.owner
        if state is None:
            return "", True
        try:
            current = effective.view_of(state, stored, proofs)
            creator = effective.effective_meta(state, current).get("creator", "")
            member = current.role_of(self.owner) is not None
        except (CrdtError, CrdtPanic, RelianceError):
            return "", True
        return creator, not member

    def _held(self, doc_id: str) -> StoredDoc | None:
        try:
            return self.repo.open(doc_id) if self.repo.exists(doc_id) else None
        except RelianceError:
            return None

    def _entries_locked(self) -> dict[str, _Entry]:
        if self._entries is None:
            self.scan()
        assert self._entries is not None
        return self._entries

    # -- admission -----------------------------------------------------------------------------------------
    def wants(self, doc_id: str) -> bool:
        """Whether a document not held yet may be taken at all: False for another's participant document
        when its author or the total is at the document quota (a project may turn out to be ours)."""
        with self._lock:
            entries = self._entries_locked()
            if doc_id in entries or doc_kind(doc_id) != DocKind.PARTICIPANT or doc_id == self.owner:
                return True
            return self._over(doc_id, doc_id, new=True, incoming=0) is None

    def admit_before_checking(self, doc_id: str, changes: Sequence[SignedChange]) -> None:
        """Raise OverQuota when the batch is certainly over, before its signatures are checked."""
        with self._lock:
            entries = self._entries_locked()
            held = entries.get(doc_id)
            if held is not None:
                if held.counted:
                    self._raise_if(self._over(doc_id, held.author, new=False, incoming=0, strict=True))
                return
            if doc_kind(doc_id) == DocKind.PARTICIPANT and doc_id != self.owner:
                self._raise_if(self._over(doc_id, doc_id, new=True, incoming=0))

    def admit(self, doc_id: str, fresh: Sequence[SignedChange], prepared: CrdtDoc | None) -> None:
        """Raise OverQuota if storing `fresh` (checked: `prepared` is the project state it makes, if any)
        would take a quota over."""
        if not fresh:
            return
        incoming = batch_bytes(fresh)
        with self._lock:
            entries = self._entries_locked()
            held = entries.get(doc_id)
            if held is not None:
                author, counted, new = held.author, held.counted, False
                if doc_kind(doc_id) == DocKind.PROJECT and prepared is not None:
                    # the batch may add the owner (or remove them)
                    author, counted = self._judge(doc_id, prepared, self._held(doc_id))
            else:
                new = True
                proofs = {c.info.hash: c.signature for c in fresh}  # whom the batch's devices write for
                author, counted = self._judge(doc_id, prepared, None, proofs)
                if not author and fresh:  # a project whose creation is not in the batch
                    first = fresh[0]
                    writer = proof_participant(first.info.actor, first.signature) or first.info.actor
                    author = encode_peer_id(writer)
            if counted:
                self._raise_if(self._over(doc_id, author, new=new, incoming=incoming))

    def declined_one(self, reason: str) -> None:
        with self._lock:
            self.declined += 1
            self.last_declined = reason

    def _over(
        self, doc_id: str, author: str, *, new: bool, incoming: int, strict: bool = False
    ) -> str | None:
        """Why taking `incoming` more bytes (and a new document, if `new`) is over a quota, or None.
        `strict`: only when already at or over (for a check made before the batch is known)."""
        limits, totals = self.limits, self._totals
        mine = totals.authors.get(author, [0, 0])
        label = f"{author[:14]}…" if author else "an unknown author"

        def over(used: int, most: int) -> bool:
            return used >= most if strict else used + incoming > most

        if new and totals.documents + 1 > limits.others_max_documents:
            return f"quota of other people's documents reached ({limits.others_max_documents} documents)"
        if new and mine[0] + 1 > limits.author_max_documents:
            return f"quota of documents per author reached for {label} ({limits.author_max_documents})"
        if over(totals.bytes, limits.others_max_bytes):
            return f"quota of other people's documents reached ({limits.others_max_bytes // MIB} MiB)"
        if over(mine[1], limits.author_max_bytes):
            return f"quota of bytes per author reached for {label} ({limits.author_max_bytes // MIB} MiB)"
        return None

    @staticmethod
    def _raise_if(reason: str | None) -> None:
        if reason is not None:
            raise OverQuota(reason)

    # -- reporting -----------------------------------------------------------------------------------------
    def usage(self, top: int = 3) -> QuotaUsage:
        limits = self.limits
        with self._lock:
            self._entries_locked()
            totals = self._totals
            authors = [AuthorUsage(a, c[0], c[1]) for a, c in totals.authors.items()]
            at_limit = [
                a
                for a in authors
                if a.documents >= limits.author_max_documents or a.bytes >= limits.author_max_bytes
            ]
            return QuotaUsage(
                totals.documents,
                totals.bytes,
                limits.others_max_documents,
                limits.others_max_bytes,
                limits.author_max_documents,
                limits.author_max_bytes,
                tuple(sorted(authors, key=lambda a: (-a.bytes, a.author))[:top]),
                tuple(sorted(at_limit, key=lambda a: a.author)[:16]),
                self.declined,
                self.last_declined,
            )
