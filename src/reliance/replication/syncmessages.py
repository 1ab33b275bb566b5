"""The changes a `sync` frame's automerge message carries: a peer's read, bounded, before any is applied; ours
completed before they go out, with the signatures the receiver needs, without blocked authors, and with the
dependencies we lack asked for."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection

from reliance.automerge import wire
from reliance.automerge.crdt import ChangeInfo, CrdtError, CrdtPanic, changes_in_document_chunk
from reliance.automerge.wire import read_uleb128_fast as _uleb
from reliance.limits import Limits
from reliance.replication.auth import covered_by_signatures, is_one_chain
from reliance.store.repository import StoredDoc

MAX_WANTED = 256  # missing dependencies asked for in one message
UNBOUNDED = 1 << 62  # our own messages: what automerge wrote from what we hold


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame."""


# -- a peer's message ---------------------------------------------------------------------------------------


def _plain_change_headers(
    entry: bytes, max_change: int = UNBOUNDED, actors: dict[bytes, bytes] | None = None
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
    max_change = UNBOUNDED if limits is None else limits.max_change_bytes
    max_inflated = UNBOUNDED if limits is None else limits.max_document_bytes
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


# -- ours ----------------------------------------------------------------------------------------------------


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


def own_changes(stored: StoredDoc, message: wire.SyncMessage, since: set[bytes]) -> list[ChangeInfo]:
    """The changes a message we generated carries; `since`: the peer's last heads and last sync point.

    Automerge sends only changes the peer lacks, so they all follow the peer's last heads and its
    last sync point: automerge's own list of the changes since those gives them, without reading
    every chunk again in Python.
    """
    if not message.changes:
        return []
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


def without_blocked(message: wire.SyncMessage, blocked: Collection[bytes]) -> wire.SyncMessage:
    """The message without the changes of blocked authors."""
    kept: list[bytes] = []
    for entry in message.changes:
        for chunk in wire.split_chunks(entry, max_inflated=UNBOUNDED):
            if chunk.kind == "document":
                kept.extend(c.chunk for c in changes_in_document_chunk(chunk.data) if c.actor not in blocked)
            elif wire.parse_change(chunk, max_inflated=UNBOUNDED).actor not in blocked:
                kept.append(chunk.data)
    return dataclasses.replace(message, changes=tuple(kept))


def signatures_for(
    stored: StoredDoc, message: wire.SyncMessage, infos: list[ChangeInfo]
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


def wanted_dependencies(stored: StoredDoc, need: tuple[bytes, ...]) -> tuple[bytes, ...]:
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
