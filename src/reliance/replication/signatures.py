"""Authentication of a batch, and the rules that need no project: whose a change is, participant documents,
each author's one line of history, revoked devices and copied keys.

Authentication: every change either carries a valid proof (`reliance.certificate`: its actor's Ed25519
signature, and the actor's device certificate when it is a certified device) or is an ancestor, through the
batch's own dependency links, of a change by the same actor whose proof is valid (that signature commits to
the hash chain down to it). The proofs say whom each actor writes for: a certified device writes for the
participant that certified it, any other key for itself.

A batch that breaks a rule raises `Rejected`; nothing of it has been applied.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from weakref import WeakKeyDictionary

from reliance.automerge import ops
from reliance.automerge.crdt import ChangeInfo
from reliance.certificate import SIGNATURE_BYTES, proof_participant, verify_proof
from reliance.fsutil import write_private
from reliance.i18n import t
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.replication.causal import CausalGraph
from reliance.replication.devices import revocations_in_batch, revoked_among
from reliance.replication.docstore import DocStore
from reliance.store.repository import (
    DocKind,
    SignedChange,
    StoredDoc,
)


class Rejected(Exception):
    """A batch broke a rule. `reason` is a sentence for logs and the activity feed; `change` is the
    hash of the change that broke it, when one change did."""

    def __init__(self, reason: str, change: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.change = change


def _short(change_hash: bytes) -> str:
    return change_hash.hex()[:12]


def covered_by_signatures(changes: Sequence[ChangeInfo], signed: Collection[bytes]) -> set[bytes]:
    """Hashes authenticated by the `signed` ones: themselves and their same-actor ancestors, following
    the dependency links inside `changes` only."""
    by_hash = {c.hash: c for c in changes}
    starts: dict[bytes, list[bytes]] = {}
    for change_hash in signed:
        change = by_hash.get(change_hash)
        if change is not None:
            starts.setdefault(change.actor, []).append(change_hash)
    covered: set[bytes] = set()
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


def is_one_chain(changes: Sequence[ChangeInfo]) -> bool:
    """One author's changes, each depending on the one before it: the last one's signature covers all."""
    if not changes:
        return False
    actor = changes[0].actor
    previous: bytes | None = None
    for change in changes:
        if change.actor != actor or (previous is not None and previous not in change.deps):
            return False
        previous = change.hash
    return True


Authors = dict[bytes, bytes]
"""actor (device key) → the participant key it writes for, as the batch's proofs say."""


def authenticate(changes: Sequence[SignedChange]) -> Authors:
    """Check proofs and ancestry; return whom each actor of the batch writes for.

    A proof is a signature, and for a certified device its certificate (`reliance.certificate`): its actor
    writes for the certificate's participant, and otherwise for itself. Every change of one actor in a
    batch writes for the same participant; an unsigned change writes for whoever its signed descendant
    does."""
    signed: list[bytes] = []
    authors: Authors = {}
    for change in changes:
        info = change.info
        if len(info.actor) != 32:
            raise Rejected(f"change {_short(info.hash)} has an actor that is not a device key")
        proof = change.signature
        if proof is None:
            continue
        participant = verify_proof(info.actor, proof, info.hash)
        if participant is None:
            raise Rejected(f"forged signature on change {_short(info.hash)}")
        known = authors.setdefault(info.actor, participant)
        if known != participant:
            raise Rejected(f"change {_short(info.hash)}: one device key writing for two participants")
        signed.append(info.hash)
    infos = [change.info for change in changes]
    if infos and changes[-1].signature is not None and is_one_chain(infos):
        return authors  # the usual batch: the verified last signature covers the whole chain
    covered = covered_by_signatures(infos, signed)
    for change in changes:
        if change.signature is None and change.info.hash not in covered:
            raise Rejected(
                f"change {_short(change.info.hash)} is neither signed nor covered by a signed later change"
            )
    return authors


def authorize_participant(
    doc_id: str,
    changes: Sequence[SignedChange],
    authors: Mapping[bytes, bytes],
    revoked: Collection[bytes] = (),
) -> None:
    """Every change is by the owner's key, or by a device the owner certified (its proof says so) and did
    not revoke (`revoked`: the owner's devices revoked in the document as held)."""
    owner = decode_peer_id(doc_id)
    for change in changes:
        info = change.info
        actor = info.actor
        if actor != owner and (authors.get(actor) != owner or actor in revoked):
            reason = "was revoked by" if actor in revoked else "is not a device of"
            raise Rejected(
                f"change {_short(info.hash)} by {encode_peer_id(actor)[:14]}… "
                f"in a document only its owner may write: that key {reason} its owner",
                info.hash if actor in revoked else None,
            )
        chunk = info.chunk
        if chunk[8] != 1 or _OWNER_KEY in chunk:  # (`_check_owner_field` returns at once otherwise)
            _check_owner_field(doc_id, info)


_OWNER_KEY = b"owner"


def _check_owner_field(doc_id: str, info: ChangeInfo) -> None:
    """A participant document's `owner` field, if a change writes it, is the document's own id.

    Readers take the author from the id anyway; this keeps a document from claiming otherwise. Only a
    change whose body holds the key's bytes is decoded (column strings are stored as they are).
    """
    if info.chunk[8] == 1:  # stored as is: the key's bytes would be in the chunk
        if _OWNER_KEY not in info.chunk:
            return
    else:
        try:
            body = ops.change_body(info)
        except (IndexError, ValueError):
            raise Rejected(f"change {_short(info.hash)} is not readable", info.hash) from None
        if _OWNER_KEY not in body:
            return
    writes = ops.root_writes(info)
    if writes is None:
        raise Rejected(f"change {_short(info.hash)} may write the owner field and cannot be read", info.hash)
    for key, action, value in writes:
        if key == "owner" and (action != 1 or value != doc_id.encode()):
            raise Rejected(f"change {_short(info.hash)} names another owner than the document's id {doc_id}")


def authorize_history(stored: StoredDoc, plan: Sequence[SignedChange]) -> None:
    """Each author's history is one line: every change reaches its author's previous change.

    Each change of the plan gets the clock of its past (author → highest sequence number), from its
    dependencies: those of the plan, or stored ones. A stored dependency that is the document's one head,
    in a document one key wrote (a participant document with one device), is numbered by how many changes
    it holds; otherwise its clock comes from the causal graph of the document. A change whose dependencies
    are not all here yet is checked when they are.
    """
    clocks: dict[bytes, dict[bytes, int]] = {}
    tip: tuple[bytes, dict[bytes, int]] | bool | None = False  # False: not looked at yet
    graph: CausalGraph | None = None
    for change in plan:
        info = change.info
        past: dict[bytes, int] = {}
        for dep in info.deps:
            clock = clocks.get(dep)
            if clock is None:
                if not stored.has(dep):
                    break  # it waits for its dependencies
                if tip is False:
                    tip = _tip_clock(stored)
                if tip is not None and not isinstance(tip, bool) and dep == tip[0]:
                    clock = tip[1]
                else:
                    if graph is None:
                        graph = _history(stored)
                    position_clock = graph.clock_of([dep])
                    clock = {a: graph.last_seq(a, position_clock) for a in graph.authors()}
            if not past:
                past = dict(clock)
            else:
                for author, seq in clock.items():
                    if seq > past.get(author, 0):
                        past[author] = seq
        else:
            if past.get(info.actor, 0) != info.seq - 1:
                raise Rejected(
                    f"change {_short(info.hash)} does not follow its author's previous change in "
                    f"{stored.doc_id} (each author's history is one line)",
                    info.hash,
                )
            past[info.actor] = info.seq
            clocks[info.hash] = past


def _tip_clock(stored: StoredDoc) -> tuple[bytes, dict[bytes, int]] | None:
    """The document's one head and the clock of its past, when one key wrote every change (its number
    of changes is then the head's sequence number); None otherwise."""
    heads = stored.heads()
    if len(heads) != 1:
        return None
    sole = _sole_author(stored)
    if sole is None:
        return None
    actor = sole if sole else decode_peer_id(stored.doc_id)  # b"": bare signatures, by the owner's key
    return heads[0], {actor: len(stored.known)}


_authors_seen: WeakKeyDictionary[StoredDoc, tuple[int, frozenset[bytes]]] = WeakKeyDictionary()


def _sole_author(stored: StoredDoc) -> bytes | None:
    """The one key that wrote every change of the document (then a change's sequence number is its rank;
    b"": its owner's own key), None if several did: known from the proofs kept with the changes, one look
    per revision of the document."""
    found = _authors_seen.get(stored)
    if found is None or found[0] != stored.revision:
        proofs = [p for p in stored.known.values() if p is not None]
        authors = frozenset(p[SIGNATURE_BYTES + 37 : SIGNATURE_BYTES + 69] for p in proofs)
        found = (stored.revision, authors)
        _authors_seen[stored] = found
    return next(iter(found[1])) if len(found[1]) == 1 else None


def _history(stored: StoredDoc) -> CausalGraph:
    graph = CausalGraph()
    for info in stored.crdt.changes_since([]):
        graph.add(info.hash, info.deps, info.actor, info.seq)
    return graph


CLONED_MARK = "cloned"


def _check_not_cloned(repo: DocStore, stored: StoredDoc, fresh: Sequence[SignedChange]) -> None:
    """Changes signed with this device's own key that it does not hold, numbered like changes it holds:
    another device uses this key (an `identity/` copied by hand). Automerge would refuse them with
    "duplicate seq" for ever; the home is marked so that it writes no more (`Workspace.open` says how
    to link the machine as a device of its own instead)."""
    mine = {c.info.seq: c.info.hash for c in fresh if c.info.actor == repo.actor}
    held = {info.seq: info.hash for info in stored.crdt.changes_since([]) if info.actor == repo.actor}
    clash = [seq for seq, change_hash in mine.items() if held.get(seq, change_hash) != change_hash]
    if not clash:
        return
    home = getattr(repo, "home", None)
    if isinstance(home, Path):
        with contextlib.suppress(OSError):
            write_private(home / "identity" / CLONED_MARK, stored.doc_id.encode(), exclusive=False)
    raise Rejected(t("device.cloned", "en"), mine[clash[0]])


def revoked_devices(
    repo: DocStore,
    kind: DocKind,
    stored: StoredDoc,
    plan: Sequence[SignedChange],
    authors: Mapping[bytes, bytes],
) -> dict[bytes, int]:
    """The actors of the batch (`authors`) and of the buffered changes it completes (in `plan`) that their
    participant revoked, as this node knows (in the participant document itself, with the revocations
    the batch brings, or in the participant documents held here for a project), each with the highest
    sequence number of theirs in this document that a revocation keeps."""
    devices = {actor: p for actor, p in authors.items() if actor != p}
    pending = stored.pending
    if pending:
        for change in plan:
            if change.info.hash in pending:
                participant = proof_participant(change.info.actor, change.signature)
                if participant is not None and participant != change.info.actor:
                    devices.setdefault(change.info.actor, participant)
    if not devices:
        return {}
    doc_id = stored.doc_id
    if kind == DocKind.PARTICIPANT:
        found = revocations_in_batch(stored, plan) if stored.known or plan else {}
        return {actor: r.door_limit(doc_id) for actor, r in found.items() if actor in devices}
    return {actor: r.door_limit(doc_id) for actor, r in revoked_among(repo, devices).items()}


def beyond_revocation(
    changes: Sequence[SignedChange], plan: Sequence[SignedChange], limits: Mapping[bytes, int]
) -> set[bytes]:
    """The changes (of `changes` and `plan`) that a revoked device signed and that no revocation keeps,
    except those another author's change of the batch builds on: leaving one of those out would hold that
    author's later changes back for ever here, while every other node has them. What is taken counts
    for nothing anyway (`authority`, `participant_view`)."""
    beyond = {
        c.info.hash
        for batch in (changes, plan)
        for c in batch
        if c.info.actor in limits and c.info.seq > limits[c.info.actor]
    }
    if not beyond:
        return beyond
    planned = {c.info.hash for c in plan}
    waiting = [c for c in changes if c.info.hash not in planned]
    order = [*reversed(waiting), *reversed(plan)]  # a batch comes in causal order: walked backwards
    needed: set[bytes] = set()
    for change in order:  # descendants before their ancestors
        if change.info.hash in beyond and change.info.hash not in needed:
            continue
        for dep in change.info.deps:
            if dep in beyond:
                needed.add(dep)
    return beyond - needed


class RevokedBuffered(Rejected):
    """A buffered change of a revoked device that no revocation keeps: dropped, not the batch's fault
    (even when the batch brings it again)."""


def check_revoked_buffered(
    stored: StoredDoc, plan: Sequence[SignedChange], left_out: Collection[bytes]
) -> None:
    """Refuse a buffered change of a revoked device, not kept by its revocation, that the batch would
    complete: it came before this node knew of the revocation, and is never applied now
    (`check_batch(drop_bad_buffered=True)` drops it and checks the batch again)."""
    pending = stored.pending
    for change in plan:
        if change.info.hash in left_out and change.info.hash in pending:
            raise RevokedBuffered(
                f"change {_short(change.info.hash)} by device {encode_peer_id(change.info.actor)[:14]}…, "
                f"which its owner revoked",
                change.info.hash,
            )
