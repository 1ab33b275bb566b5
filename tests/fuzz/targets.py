"""The fuzz targets: each one feeds mutated real input to one part of reliance and checks its invariants.

Every target checks, for each input: no exception other than the module's documented error type escapes
(BaseException included: automerge's PanicException is one), the input costs bounded time and memory
(checked by the engine), and nothing is partially applied. Targets that can change a store also check
that what was accepted reads back: the document reopens from disk with the same heads, and still does
after a compaction (a snapshot that cannot be loaded back bricks a document for good).

- `wire`: the sync message and chunk decoders (`automerge/wire.py`), fed mutated real messages and chunks.
- `frame`: `Session.receive` on a real node (a real Repository on disk, quotas as the node has them, work
  done in turns as the node does), fed sequences of recorded
  frames with some mutated, replayed or reordered, and peers claiming odd heads, needs and Bloom filters.
- `bundle`: `import_bundle` of mutated real bundles into a real node.
- `store`: opening a document whose log or snapshot file was damaged on disk.
- `apply`: changes made by automerge, mutated, their checksum fixed and re-signed by their own author,
  delivered through `accept_batch` into a real store.
- `identity`: the decoders of what links devices (`reliance.certificate`, `reliance.app.devices`): device
  certificates, revocations, change proofs and device grants, fed mutated real ones.
- `localapi`: the local API's decoder (`reliance.localapi.protocol`): a byte stream of mutated real request
  frames, cut into frames, decoded and checked against the table of operations.
- `link`: the device-link exchange (`reliance.net.pairing.protocol`), either side, fed a stream of mutated
  real messages of a recorded run (whose grant holds a real certificate and bundle), cut anywhere.
- `hello`: the Noise handshake's payload as a node reads it (`reliance.net.hello`: unpack, validate with the
  device certificate, verify, the revocation check), fed mutated real hellos with and without certificates.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import random
import re
import shutil
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from reliance.automerge import wire
from reliance.automerge.crdt import CrdtDoc
from reliance.errors import StoreError
from reliance.identity import encode_peer_id
from reliance.limits import DEFAULT_LIMITS
from reliance.replication.auth import Rejected, accept_batch
from reliance.replication.bundle import BundleError, import_bundle
from reliance.replication.protocol import BatchRefused, Declined, Session, SyncHost
from reliance.replication.quota import Quotas
from reliance.replication.syncmessages import _plain_change_headers
from reliance.store import log
from reliance.store.records import change_info
from reliance.store.repository import Repository, SignedChange
from tests.fuzz.engine import Broken
from tests.fuzz.mutate import mutate_bytes, mutate_structure
from tests.fuzz.seeds import Seeds, fill, load


def pack(value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def inflated_body(chunk: bytes) -> bytes:
    return wire.split_chunks(chunk)[0].change_body


def compressed_chunk(body: bytes) -> bytes:
    """A deflated change chunk (type 2) around `body`, with the checksum automerge expects."""
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = deflater.compress(body) + deflater.flush()
    checksum = wire.chunk_hash("change", body)[:4]
    return wire.CHUNK_MAGIC + checksum + b"\x02" + wire.write_uleb128(len(deflated)) + deflated


# -- the state of a store, and what must hold of it -------------------------------------------------------


@dataclass(frozen=True)
class DocState:
    heads: tuple[bytes, ...]
    known: frozenset[bytes]
    pending: frozenset[bytes]


def doc_state(repo: Repository, doc_id: str) -> DocState | None:
    if not repo.exists(doc_id):
        return None
    stored = repo.open(doc_id)
    return DocState(tuple(stored.heads()), frozenset(stored.known), frozenset(stored.pending))


def repo_state(repo: Repository) -> dict[str, DocState | None]:
    return {doc_id: doc_state(repo, doc_id) for doc_id in repo.doc_ids()}


def check_untouched(before: dict[str, DocState | None], after: dict[str, DocState | None], what: str) -> None:
    """After a refusal: no document appeared, none gained a change (buffered ones may have been dropped)."""
    for doc_id, state in after.items():
        old = before.get(doc_id)
        if state is None:
            continue
        if old is None:
            if state.known or state.pending:
                raise Broken(f"{what}: refused, yet a document was created", doc_id)
            continue
        if state.heads != old.heads or state.known != old.known:
            raise Broken(f"{what}: refused, yet changes were applied", doc_id)
        if not state.pending <= old.pending:
            raise Broken(f"{what}: refused, yet changes were buffered", doc_id)


def check_reads_back(home: Path, actor: bytes, live: dict[str, DocState | None]) -> None:
    """Every document reopens from disk as it is in memory, compacts, and reopens again the same."""

    def failed(invariant: str, doc_id: str, exc: BaseException) -> Broken:
        return Broken(f"{invariant} ({type(exc).__name__}: {cause(exc)})", f"{doc_id}: {exc}")

    docs = {doc_id: state for doc_id, state in live.items() if state is not None}
    reopened = Repository(home, actor)
    for doc_id, state in docs.items():
        try:
            stored = reopened.open(doc_id)
        except BaseException as exc:
            raise failed("unreadable on reopen", doc_id, exc) from None
        if tuple(stored.heads()) != state.heads or set(stored.pending) != state.pending:
            raise Broken("other heads or buffer on reopen", doc_id)
        try:
            stored.compact()
        except BaseException as exc:
            raise failed("compaction failed", doc_id, exc) from None
    compacted = Repository(home, actor)
    for doc_id, state in docs.items():
        try:
            stored = compacted.open(doc_id)
            stored.crdt.read()
        except BaseException as exc:
            raise failed("unreadable after compaction", doc_id, exc) from None
        if tuple(stored.heads()) != state.heads or set(stored.pending) != state.pending:
            raise Broken("other heads or buffer after compaction", doc_id)


ID_SUFFIXES = ("\n", "\r\n", " ", "\x00", "/", "\u2028")
DOCUMENT_ID = re.compile(r"rl[a-z2-7]{56}|pj[0-9a-f]{32}")


def check_folders(home: Path) -> None:
    """Every document folder is named by a well-formed id, entirely (not "an id and a newline")."""
    docs = home / "docs"
    for folder in docs.iterdir() if docs.is_dir() else ():
        if not DOCUMENT_ID.fullmatch(folder.name):
            raise Broken("a document folder named by a malformed id", repr(folder.name))


def cause(exc: BaseException) -> str:
    """The last clause of an error message, without ids or numbers: what tells two bugs apart."""
    text = str(exc).rsplit(": ", 1)[-1]
    return re.sub(r"(rl[a-z2-7]{56}|pj[0-9a-f]{32}|[0-9a-f]{12,}|\d+)", "…", text)[:80]


class Home:
    """A pristine home on disk and a working copy of it, restored only when an input changed it."""

    def __init__(self, root: Path, actor: bytes) -> None:
        self.pristine = root / "pristine"
        self.work = root / "work"
        self.actor = actor
        self.pristine.mkdir(parents=True, exist_ok=True)
        self.repo = Repository(self.pristine, actor)
        self.dirty = True

    def ready(self) -> Repository:
        if self.dirty:
            shutil.rmtree(self.work, ignore_errors=True)
            shutil.copytree(self.pristine, self.work)
            self.repo = Repository(self.work, self.actor)
            self.state = repo_state(self.repo)
            self.dirty = False
        return self.repo


# -- wire ----------------------------------------------------------------------------------------------------


def _wire_seeds(seeds: Seeds) -> list[bytes]:
    out = list(seeds.messages())
    chunks = [chunk for history in seeds.histories.values() for chunk, _ in history]
    out.extend(chunks)
    out.extend(wire.build_chunk("change", inflated_body(c)) for c in chunks)
    out.append(wire.apply_message([wire.build_chunk("change", inflated_body(c)) for c in chunks[:3]]))
    for doc_id, history in seeds.histories.items():
        doc = CrdtDoc.new(seeds.public("bob"))
        doc.apply([c for c, _ in history])
        saved = doc.save()
        out.append(saved)
        heads = tuple(doc.heads())
        out.append(wire.encode_sync_message(wire.SyncMessage(wire.MESSAGE_V2, heads, (), (), (saved,))))
        del doc_id
    return out


class WireTarget:
    name = "wire"

    def setup(self, workdir: Path) -> None:
        self.seeds = _wire_seeds(load())
        self.known_hashes = [wire.parse_change(c).hash for h in load().histories.values() for c, _ in h]

    def generate(self, rng: random.Random) -> bytes:
        seed = rng.choice(self.seeds)
        if rng.random() < 0.3:
            try:
                message = wire.decode_sync_message(seed)
            except wire.WireError:
                return mutate_bytes(rng, seed, self.seeds)
            return wire_message_mutation(rng, message, self.known_hashes)
        return mutate_bytes(rng, seed, self.seeds)

    def run(self, data: bytes) -> None:
        try:
            message = wire.decode_sync_message(data)
        except wire.WireError:
            message = None
        if message is not None:
            if wire.encode_sync_message(message) != data:
                raise Broken("decode then encode gives other bytes")
            _ = message.capabilities
            with contextlib.suppress(wire.WireError):
                wire.changes_in_message(message)
            for entry in message.changes:
                check_fast_reader(entry)
        try:
            chunks = wire.split_chunks(data)
        except wire.WireError:
            chunks = []
        for chunk in chunks:
            if chunk.kind != "document":
                with contextlib.suppress(wire.WireError):
                    wire.parse_change(chunk)
        with contextlib.suppress(wire.WireError):
            wire.parse_change(data)
        check_fast_reader(data)


def check_fast_reader(entry: bytes) -> None:
    """The protocol's fast header reader accepts only what the strict one accepts, and reads the same."""
    fast = _plain_change_headers(entry)
    if fast is None:
        return
    try:
        strict = [wire.parse_change(c) for c in wire.split_chunks(entry)]
    except wire.WireError as exc:
        raise Broken("fast change reader accepts what the strict one refuses", str(exc)) from None
    if [(f.hash, f.chunk, f.deps, f.actor, f.seq) for f in fast] != [
        (s.hash, s.chunk, s.deps, s.actor, s.seq) for s in strict
    ]:
        raise Broken("fast change reader disagrees with the strict one")


def random_hashes(rng: random.Random, known: Sequence[bytes], most: int = 4) -> tuple[bytes, ...]:
    count = rng.choice((0, 0, 1, 1, 2, most, 64 if rng.random() < 0.05 else 1))
    return tuple(
        rng.choice(known) if known and rng.random() < 0.5 else rng.randbytes(32) for _ in range(count)
    )


def random_bloom(rng: random.Random, known: Sequence[bytes]) -> bytes:
    """A Bloom filter automerge can read (10 bits per entry, 7 probes), or an odd one."""
    entries = rng.choice((1, 2, 10, 1000, 100_000 if rng.random() < 0.1 else 3))
    bits_per_entry = 10 if rng.random() < 0.8 else rng.choice((1, 64, 65))
    probes = 7 if rng.random() < 0.8 else rng.choice((1, 64, 65))
    size = (entries * bits_per_entry + 7) // 8
    bits = rng.choice((b"\xff" * size, bytes(size), rng.randbytes(size)))
    if rng.random() < 0.1:
        bits = bits[:-1]
    return (
        wire.write_uleb128(entries) + wire.write_uleb128(bits_per_entry) + wire.write_uleb128(probes) + bits
    )


def wire_message_mutation(rng: random.Random, message: wire.SyncMessage, known: Sequence[bytes]) -> bytes:
    """A message with the same layout and odd content: heads, needs, haves and Bloom filters a peer
    may claim, or change entries mutated with their checksum fixed. Encoded by hand (it may be invalid)."""
    heads, need, have, changes = message.heads, message.need, list(message.have), list(message.changes)
    what = rng.randrange(5)
    if what == 0:
        heads = random_hashes(rng, known)
    elif what == 1:
        need = random_hashes(rng, known)
    elif what == 2:
        have = [
            wire.Have(random_hashes(rng, known), random_bloom(rng, known))
            for _ in range(rng.choice((0, 1, 2, 3)))
        ]
    elif what == 3 and changes:
        index = rng.randrange(len(changes))
        try:
            parts = wire.split_chunks(changes[index])
            part = rng.randrange(len(parts))
            body = bytearray(parts[part].change_body if parts[part].kind != "document" else parts[part].body)
            body = bytearray(mutate_bytes(rng, bytes(body)))
            rebuilt = [p.data for p in parts]
            rebuilt[part] = wire.build_chunk(
                "document" if parts[part].kind == "document" else "change", bytes(body)
            )
            changes[index] = b"".join(rebuilt)
        except wire.WireError:
            changes[index] = mutate_bytes(rng, changes[index])
    else:
        changes = (
            [c for c in changes if rng.random() < 0.5] + [changes[0]] * rng.choice((0, 1, 3))
            if changes
            else []
        )
    out = bytearray([message.version if rng.random() < 0.9 else rng.choice((0x42, 0x43, 0x44))])
    for hashes in (heads, need):
        out += wire.write_uleb128(len(hashes)) + b"".join(hashes)
    out += wire.write_uleb128(len(have))
    for entry in have:
        out += wire.write_uleb128(len(entry.last_sync)) + b"".join(entry.last_sync)
        out += wire.write_uleb128(len(entry.bloom)) + entry.bloom
    out += wire.write_uleb128(len(changes))
    for change in changes:
        out += wire.write_uleb128(len(change)) + change
    return bytes(out + message.trailer)


# -- frames --------------------------------------------------------------------------------------------------


class FrameTarget:
    """A peer sends the victim (Bob) a sequence of frames; some are mutated, replayed, reordered."""

    name = "frame"

    def setup(self, workdir: Path) -> None:
        seeds = load()
        self.seeds = seeds
        self.home = Home(workdir, seeds.public("bob"))
        fill(self.home.repo, seeds, seeds.victim)
        self.known = [wire.parse_change(c).hash for h in seeds.histories.values() for c, _ in h]
        self.doc_ids = list(seeds.docs.values())
        self.frames = seeds.frames_to_victim
        self.peer = seeds.public("mallory")  # who sends them: a member of the project, turned hostile
        self.reader = seeds.participant("mallory")  # as her device's handshake certificate says
        self.owner = encode_peer_id(seeds.participant("bob"))
        # A frame carrying a whole document chunk (v2, to an empty peer) of a document the victim lacks.
        self.extra = [self._document_frame(seeds, seeds.docs["mallory"])]
        self.pool = self.frames + seeds.frames_to_empty + seeds.frames_from_victim + self.extra

    @staticmethod
    def _document_frame(seeds: Seeds, doc_id: str) -> bytes:
        history = seeds.histories[doc_id]
        doc = CrdtDoc.new(seeds.public("bob"))
        doc.apply([c for c, _ in history])
        message = wire.SyncMessage(wire.MESSAGE_V2, tuple(doc.heads()), (), (), (doc.save(),))
        last = wire.parse_change(history[-1][0]).hash
        return pack(
            {"t": "sync", "d": doc_id, "m": wire.encode_sync_message(message), "s": [[last, history[-1][1]]]}
        )

    def hostile_state(self, rng: random.Random) -> bytes:
        """A sync frame whose message claims odd heads, needs and haves (and sometimes carries changes)."""
        base = wire.SyncMessage(rng.choice((0x42, 0x43)), (), (), (), ())
        if rng.random() < 0.3:
            entries = [rng.choice(h)[0] for h in self.seeds.histories.values()]
            base = wire.SyncMessage(
                base.version, (), (), (), tuple(rng.sample(entries, rng.randint(1, len(entries))))
            )
        message = wire_message_mutation(rng, base, self.known)
        for _ in range(rng.randint(0, 2)):
            decoded = wire.decode_sync_message(message) if _decodes(message) else base
            message = wire_message_mutation(rng, decoded, self.known)
        signatures = []
        if rng.random() < 0.3:
            chunk, signature = rng.choice(rng.choice(list(self.seeds.histories.values())))
            signatures = [[wire.parse_change(chunk).hash, signature or rng.randbytes(64)]]
        return pack({"t": "sync", "d": rng.choice(self.doc_ids), "m": message, "s": signatures})

    def mutate_frame(self, rng: random.Random, frame: bytes) -> bytes:
        how = rng.random()
        try:
            decoded = unpack(frame)
        except (ValueError, TypeError, msgpack.UnpackException):
            how = 0.0  # already broken by an earlier mutation
        if how < 0.25:
            return mutate_bytes(rng, frame, self.pool)
        if how < 0.3 and isinstance(decoded, dict) and isinstance(decoded.get("d"), str):
            decoded["d"] += rng.choice(ID_SUFFIXES)  # the same document, by a name that almost matches
            return pack(decoded)
        if (
            how < 0.6
            and isinstance(decoded, dict)
            and isinstance(decoded.get("m"), bytes)
            and _decodes(decoded["m"])
        ):
            decoded["m"] = wire_message_mutation(rng, wire.decode_sync_message(decoded["m"]), self.known)
            return pack(decoded)
        return pack(mutate_structure(rng, decoded))

    def generate(self, rng: random.Random) -> bytes:
        if rng.random() < 0.2:
            frames = [self.hostile_state(rng) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.5:
                frames = self.frames[: rng.randrange(len(self.frames))] + frames
            return pack(frames)
        source = rng.choice((self.frames, self.frames, self.seeds.frames_to_empty, self.pool))
        start = rng.randrange(len(source))
        frames = list(source[start : start + rng.randint(1, len(source))])
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            index = rng.randrange(len(frames))
            frames[index] = self.mutate_frame(rng, frames[index])
        if rng.random() < 0.15:
            frames.insert(rng.randrange(len(frames) + 1), rng.choice(frames))  # a replay
        if rng.random() < 0.1:
            rng.shuffle(frames)
        return pack(frames)

    def smaller(self, data: bytes) -> list[bytes]:
        frames = unpack(data)
        return [pack(frames[:i] + frames[i + 1 :]) for i in range(len(frames))] if len(frames) > 1 else []

    def run(self, data: bytes) -> None:
        frames = unpack(data)
        repo = self.home.ready()
        host = SyncHost(repo, quotas=Quotas(repo, self.owner, DEFAULT_LIMITS))  # as the node makes it
        session = Session(host, peer_key=self.peer, reader=self.reader)
        session.start()
        for frame in frames:
            before = repo_state(repo)
            session.receive(frame, one_turn=True)
            while session.pending_work:
                session.work()
            refusals = [e for e in session.pop_events() if isinstance(e, BatchRefused | Declined)]
            after = repo_state(repo)
            if after != before:
                self.home.dirty = True
            if refusals:
                if not all(e.reason for e in refusals):
                    raise Broken("refusal without a reason")
                check_untouched(before, after, "frame")
        if self.home.dirty:
            check_folders(self.home.work)
            check_reads_back(self.home.work, self.home.actor, repo_state(repo))


def _decodes(message: bytes) -> bool:
    try:
        wire.decode_sync_message(message)
    except wire.WireError:
        return False
    return True


# -- bundles -------------------------------------------------------------------------------------------------


class BundleTarget:
    name = "bundle"

    def setup(self, workdir: Path) -> None:
        seeds = load()
        self.seeds = seeds
        self.home = Home(workdir, seeds.public("bob"))
        fill(self.home.repo, seeds, seeds.victim)
        self.path = workdir / "input.bundle"
        self.decoded = unpack(seeds.bundle)

    def _mutate_change(self, rng: random.Random, chunk: bytes) -> bytes:
        try:
            body = inflated_body(chunk)
        except wire.WireError:
            return mutate_bytes(rng, chunk)
        return wire.build_chunk("change", mutate_bytes(rng, body))

    def generate(self, rng: random.Random) -> bytes:
        how = rng.random()
        if how < 0.3:
            return mutate_bytes(rng, self.seeds.bundle, [self.seeds.bundle])
        leaf = self._mutate_change if how < 0.6 else None
        bundle = self.decoded
        if how > 0.95:
            bundle = copy.deepcopy(bundle)
            entry = rng.choice(bundle["docs"])
            entry["id"] += rng.choice(ID_SUFFIXES)
        for _ in range(rng.choice((1, 1, 2, 3))):
            bundle = mutate_structure(rng, bundle, leaf)
        return pack(bundle)

    def parts(self, data: bytes) -> tuple[bytes | None, bytes, Any]:
        return self.seeds.bundle, data, lambda b: b

    def run(self, data: bytes) -> None:
        repo = self.home.ready()
        self.path.write_bytes(data)
        before = self.home.state
        try:
            import_bundle(repo, self.path)
        except BundleError as exc:
            if not str(exc):
                raise Broken("refusal without a reason") from None
            after = repo_state(repo)
            if after != before:
                self.home.dirty = True
            check_untouched(before, after, "bundle")
            return
        after = repo_state(repo)
        if after != before:
            self.home.dirty = True
            check_folders(self.home.work)
            check_reads_back(self.home.work, self.home.actor, after)


# -- the store's files ---------------------------------------------------------------------------------------


class StoreTarget:
    """A document whose log or snapshot was damaged on disk: it opens (keeping every record before the
    damage) or the store says it cannot, with its own error type; what opens compacts and reopens."""

    name = "store"

    def setup(self, workdir: Path) -> None:
        seeds = load()
        self.actor = seeds.public("alice")
        self.root = workdir
        self.pristine = workdir / "pristine"
        repo = Repository(self.pristine, self.actor)
        docs = seeds.docs
        project = seeds.signed(docs["project"])
        stored = repo.open(docs["project"], create=True)
        stored.add_verified(project[:4])
        stored.compact()
        for change in project[4:]:  # one record each
            stored.add_verified([change])
        for name in ("alice", "bob"):
            stored = repo.open(docs[name], create=True)
            for change in seeds.signed(docs[name]):
                stored.add_verified([change])
        mallory = seeds.signed(docs["mallory"])
        stored = repo.open(docs["mallory"], create=True)
        stored.add_verified([mallory[0]])
        stored.add_verified([mallory[2]])  # waits for mallory[1]
        stored.compact()
        stored.add_verified([mallory[1]])
        self.files: list[tuple[str, str]] = []
        self.records: dict[str, list[tuple[int, int, bytes]]] = {}  # doc -> (start, end, change hash)
        for doc_id in docs.values():
            folder = self.pristine / "docs" / doc_id
            for name in ("log", "snapshot"):
                if (folder / name).exists():
                    self.files.append((doc_id, name))
            data = (folder / "log").read_bytes()
            records = []
            offset = 0
            for index, payload in enumerate(log.scan(data).payloads):
                end = offset + log.HEADER.size + len(payload)
                if index:
                    records.append((offset, end, change_info(unpack(payload)["c"]).hash))
                offset = end
            self.records[doc_id] = records
        self.work = workdir / "work"

    def generate(self, rng: random.Random) -> bytes:
        doc_id, name = rng.choice(self.files)
        original = self._original(doc_id, name)
        if name == "log" and rng.random() < 0.4:
            # One record's payload changed, its length and CRC made right: only its content is wrong.
            payloads = log.scan(original).payloads
            index = rng.randrange(len(payloads))
            payload = payloads[index]
            try:
                payload = pack(mutate_structure(rng, unpack(payload))) if rng.random() < 0.5 else b""
            except ValueError:
                payload = b""
            payload = payload or mutate_bytes(rng, payloads[index])
            return pack({"doc": doc_id, "file": name, "mode": "record", "index": index, "payload": payload})
        if name == "snapshot" and rng.random() < 0.6:
            data = pack(mutate_structure(rng, unpack(original)))
            return pack({"doc": doc_id, "file": name, "mode": "structure", "data": data})
        edits = _edits(original, mutate_bytes(rng, original))
        return pack({"doc": doc_id, "file": name, "mode": "raw", "edits": edits})

    def _original(self, doc_id: str, name: str) -> bytes:
        return (self.pristine / "docs" / doc_id / name).read_bytes()

    def content(self, spec: dict[str, Any]) -> bytes:
        """The damaged file an input describes, made from today's pristine file: raw edits at offsets,
        one record's payload replaced, or a whole snapshot."""
        original = self._original(spec["doc"], spec["file"])
        if spec["mode"] == "record":
            payloads = log.scan(original).payloads
            index = min(spec["index"], len(payloads) - 1)
            payloads[index] = spec["payload"]
            return b"".join(log.encode_record(p, 1 << 40) for p in payloads)
        if spec["mode"] == "raw":
            return _apply_edits(original, spec["edits"])
        return bytes(spec["data"])

    def parts(self, data: bytes) -> tuple[bytes | None, bytes, Any]:
        spec = unpack(data)
        original = self._original(spec["doc"], spec["file"])
        if spec["mode"] == "record":
            payloads = log.scan(original).payloads
            reference = payloads[min(spec["index"], len(payloads) - 1)]
            return reference, spec["payload"], lambda payload: pack({**spec, "payload": payload})
        if spec["mode"] == "raw":
            content = _apply_edits(original, spec["edits"])
            return original, content, lambda mutated: pack({**spec, "edits": _edits(original, mutated)})
        return original, spec["data"], lambda mutated: pack({**spec, "data": mutated})

    def run(self, data: bytes) -> None:
        spec = unpack(data)
        doc_id, name, mode = spec["doc"], spec["file"], spec["mode"]
        content = self.content(spec)
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.pristine, self.work)
        path = self.work / "docs" / doc_id / name
        original = path.read_bytes()
        path.write_bytes(content)
        repo = Repository(self.work, self.actor)
        try:
            stored = repo.open(doc_id)
        except StoreError:
            return
        present = set(stored.known) | set(stored.pending)
        if name == "log":
            first_damage = next(
                (i for i, (a, b) in enumerate(zip(original, content, strict=False)) if a != b),
                min(len(original), len(content)),
            )
            for start, end, change_hash in self.records[doc_id]:
                intact = end <= first_damage or (mode == "record" and content.find(original[start:end]) >= 0)
                if intact and change_hash not in present:
                    raise Broken(f"an intact {name} record was lost ({mode})", change_hash.hex()[:12])
        check_reads_back(self.work, self.actor, {doc_id: doc_state(repo, doc_id)})


def _edits(original: bytes, mutated: bytes) -> list[list[Any]]:
    """How to make `mutated` from `original`: [start, end, replacement] spans of the original."""
    matcher = difflib.SequenceMatcher(None, original, mutated, autojunk=False)
    return [[i1, i2, mutated[j1:j2]] for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _apply_edits(original: bytes, edits: list[list[Any]]) -> bytes:
    out = bytearray(original)
    for start, end, replacement in sorted(edits, key=lambda e: -e[0]):  # from the end: offsets hold
        out[start:end] = replacement
    return bytes(out)


# -- change application ----------------------------------------------------------------------------------


class ApplyTarget:
    """Mallory mutates one of her own changes, fixes its checksum and signs it again: a batch that passes
    authentication. Delivered through `accept_batch` into a real store, it is refused whole, or it is
    stored and the document still opens, compacts and reopens with the same heads."""

    name = "apply"

    def setup(self, workdir: Path) -> None:
        seeds = load()
        self.seeds = seeds
        mallory = seeds.public("mallory")
        self.cases: list[tuple[str, int]] = []
        self.homes: dict[tuple[str, int], Home] = {}
        self.bodies: dict[tuple[str, int], bytes] = {}
        for name in ("mallory", "project"):
            doc_id = seeds.docs[name]
            history = seeds.signed(doc_id)
            for index, change in enumerate(history):
                if change.info.actor != mallory:
                    continue
                home = Home(workdir / f"{name}-{index}", seeds.public("bob"))
                fill(home.repo, seeds, {doc_id: index})
                self.homes[(doc_id, index)] = home
                self.bodies[(doc_id, index)] = inflated_body(change.info.chunk)
                self.cases.append((doc_id, index))

    def generate(self, rng: random.Random) -> bytes:
        doc_id, index = rng.choice(self.cases)
        body = self.bodies[(doc_id, index)]
        header_end = _header_end(body)
        if rng.random() < 0.8 and header_end < len(body):
            ops = mutate_bytes(rng, body[header_end:], list(self.bodies.values()))
            mutated = body[:header_end] + ops
        else:
            mutated = mutate_bytes(rng, body, list(self.bodies.values()))
        return pack({"doc": doc_id, "index": index, "body": mutated, "compress": rng.random() < 0.3})

    def parts(self, data: bytes) -> tuple[bytes | None, bytes, Any]:
        spec = unpack(data)
        original = self.bodies[(spec["doc"], spec["index"])]
        return original, spec["body"], lambda body: pack({**spec, "body": body})

    def run(self, data: bytes) -> None:
        spec = unpack(data)
        doc_id, index, body = spec["doc"], spec["index"], spec["body"]
        home = self.homes[(doc_id, index)]
        repo = home.ready()
        chunk = compressed_chunk(body) if spec["compress"] else wire.build_chunk("change", body)
        try:
            info = change_info(chunk)
        except wire.WireError:
            return  # not a change at all: nothing a peer could deliver
        change = SignedChange(info, self.seeds.sign("mallory", info.hash))  # her proof: with her certificate
        before = home.state
        try:
            accept_batch(repo, doc_id, [change])
        except Rejected as exc:
            if not exc.reason:
                raise Broken("refusal without a reason") from None
            after = repo_state(repo)
            if after != before:
                home.dirty = True
            check_untouched(before, after, "apply")
            return
        after = repo_state(repo)
        if after != before:
            home.dirty = True
            check_reads_back(home.work, home.actor, after)


def _header_end(body: bytes) -> int:
    """Where a change body's operations start: after deps, actor, seq, start op, time, message, actors."""
    try:
        pos = 0
        n_deps, pos = wire.read_uleb128(body, pos)
        pos += 32 * n_deps
        actor_len, pos = wire.read_uleb128(body, pos)
        pos += actor_len
        _, pos = wire.read_uleb128(body, pos)
        _, pos = wire.read_uleb128(body, pos)
        _, pos = wire.read_sleb128(body, pos)
        message_len, pos = wire.read_uleb128(body, pos)
        pos += message_len
        n_actors, pos = wire.read_uleb128(body, pos)
        for _ in range(n_actors):
            length, pos = wire.read_uleb128(body, pos)
            pos += length
        return pos
    except wire.WireError:
        return 0


LOCALAPI_MAX_REQUEST = 64 * 1024  # the decoder under a small cap, so that the cap itself is reached


def _localapi_seeds() -> list[Any]:
    """Real requests, as the CLI sends them."""
    return [
        {
            "id": 1,
            "op": "item.add",
            "args": {"kind": "offer", "title": "Vélo cargo", "tags": ["vélo", "prêt"]},
        },
        {"id": 2, "op": "item.update", "args": {"item_id": "0123456789abcdef", "status": "archived"}},
        {
            "id": 3,
            "op": "item.answer",
            "args": {"item_id": "0123456789abcdef", "kind": "can_help", "message": "oui"},
        },
        {"id": 4, "op": "code.set", "args": {"section": "values", "text": "Entraide " * 40}},
        {"id": 5, "op": "item.list", "args": {"kinds": ["offer", "need"], "search": "vélo"}},
        {
            "id": 6,
            "op": "project.contribute",
            "args": {"project": "Jardin", "kind": "time", "amount": 90, "unit": "min", "dims": ["joy=3"]},
        },
        {"id": 7, "op": "refresh", "args": {"doc_ids": ["rl" + "a" * 56]}},
        {"id": 8, "op": "subscribe", "args": {}},
        {"id": 9, "op": "status"},
    ]


class LocalApiTarget:
    """What a local client sends, through the owner's reader: frames cut from a stream, each decoded and
    checked against the table. Only FrameError (the connection ends) or ApiError (the request is refused)
    may come out; what passes has exactly the table's argument names and types."""

    name = "localapi"

    def setup(self, workdir: Path) -> None:
        from reliance.localapi.protocol import encode_frame

        self.messages = _localapi_seeds()
        self.frames = [encode_frame(m) for m in self.messages]

    def generate(self, rng: random.Random) -> bytes:
        from reliance.localapi.protocol import encode_frame

        stream = b""
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.5:
                body = pack(mutate_structure(rng, copy.deepcopy(rng.choice(self.messages))))
                frame = len(body).to_bytes(4, "big") + body
            else:
                frame = rng.choice(self.frames)
            stream += mutate_bytes(rng, frame, self.frames) if rng.random() < 0.5 else frame
        if rng.random() < 0.05:
            stream = encode_frame(
                {
                    "id": 1,
                    "op": "code.set",
                    "args": {"section": "x", "text": "y" * rng.randint(60_000, 70_000)},
                }
            )
        return stream

    def run(self, data: bytes) -> None:
        from reliance.localapi import ops
        from reliance.localapi.protocol import ApiError, FrameDecoder, FrameError, decode_body, parse_request

        decoder = FrameDecoder(LOCALAPI_MAX_REQUEST)
        try:
            for cut in range(0, len(data), 7):  # fed in small pieces, as a socket may deliver them
                for body in decoder.feed(data[cut : cut + 7]):
                    if len(body) > LOCALAPI_MAX_REQUEST:
                        raise Broken("a frame over the cap was let through")
                    message = decode_body(body, LOCALAPI_MAX_REQUEST)
                    try:
                        operation, args = ops.TABLE.prepare(parse_request(message))
                    except ApiError:
                        continue
                    if set(args) != set(operation.params):
                        raise Broken("checked arguments are not the table's")
                    for name, param in operation.params.items():
                        value = args[name]
                        if value is not None and value != param.default and not isinstance(value, param.kind):
                            raise Broken(f"argument {name} of {operation.name} has the wrong type")
        except FrameError:
            return


HOSTILE_TITLE = "<script>alert(1)</script>"


class WebTarget:
    """HTTP requests to the web face of a real node (its own event loop on a thread), one connection each."""

    name = "web"

    def setup(self, workdir: Path) -> None:
        import asyncio
        import threading

        from reliance.app.workspace import Workspace
        from reliance.localapi.owner import Owner
        from reliance.model.catalogue import Item, ItemKind
        from reliance.net.config import NodeConfig
        from reliance.net.node import Node
        from reliance.web.server import serve_web

        home = workdir / "web-home"
        shutil.rmtree(home, ignore_errors=True)
        ws = Workspace.create(home, "Alice")
        item = ws.add_item(
            Item(
                id="", kind=ItemKind.EVENT, title=HOSTILE_TITLE, author=ws.peer_id, begins="2026-07-11T14:00"
            )
        )
        config = NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False)
        self.owner = Owner(ws, Node(ws, config), "serve")
        self.face = serve_web(self.owner, host="127.0.0.1", port=0)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-web", daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.owner.start(), self.loop).result(30)
        self.port = self.face.bound_port
        token = self.face.pair()["urls"][0].rsplit("/", 1)[1]
        session = self.face.sessions.pair(token, "127.0.0.1", "fuzz")
        csrf = self.face.csrf(session)
        origin = f"http://127.0.0.1:{self.port}"
        pairing = self.face.pair()["urls"][0].rsplit("/", 1)[1]

        def request(method: str, path: str, body: str = "", cookie: bool = False) -> bytes:
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept-Language: fr"]
            if cookie:
                head.append(f"Cookie: reliance_session={session}")
            if method == "POST":
                head += [f"Origin: {origin}", "Content-Type: application/x-www-form-urlencoded"]
                head.append(f"Content-Length: {len(body.encode())}")
            return ("\r\n".join([*head, "Connection: close", "", ""]) + body).encode()

        self.seeds = [
            request("GET", "/"),
            request("GET", "/programme?day=2026-07-11&place=Grange&page=1"),
            request("GET", "/catalogue?q=f%C3%AAte&kind=event&tag=v%C3%A9lo&author=" + ws.peer_id),
            request("GET", f"/item/{ws.peer_id}/{item.id}"),
            request("GET", f"/item/{ws.peer_id}/{item.id}.ics"),
            request("GET", "/programme.ics"),
            request("GET", f"/people/{ws.peer_id}"),
            request("GET", "/projects"),
            request("GET", "/lang/en?next=/catalogue"),
            request("GET", "/me", cookie=True),
            request("POST", "/pair", f"token={pairing}"),
            request(
                "POST", "/act/item.add", f"csrf={csrf}&kind=offer&title=V%C3%A9lo&tags=a%2Cb", cookie=True
            ),
            request("POST", "/act/item.answer", f"csrf={csrf}&item_id={item.id}&kind=coming", cookie=True),
            request("POST", "/act/code.set", f"csrf={csrf}&section=histoire&text=Bonjour", cookie=True),
            request(
                "POST",
                "/act/project.contribute",
                f"csrf={csrf}&project=x&kind=time&amount=9&unit=min",
                cookie=True,
            ),
        ]

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.owner.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def generate(self, rng: random.Random) -> bytes:
        seed = rng.choice(self.seeds)
        return mutate_bytes(rng, seed, self.seeds) if rng.random() < 0.9 else seed

    def _exchange(self, data: bytes) -> bytes:
        import socket

        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            with contextlib.suppress(OSError):  # the server may answer and close before all is sent
                sock.sendall(data)
            sock.settimeout(0.25)
            received = b""
            half_closed = False
            while len(received) < 8 * 1024 * 1024:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    if half_closed:
                        raise Broken("the web face did not answer nor close within 5 s") from None
                    # It waits for more (a body shorter than announced): nothing more comes.
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_WR)
                    sock.settimeout(5)
                    half_closed = True
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                received += chunk
        return received

    def run(self, data: bytes) -> None:
        answer = self._exchange(data)
        status_line = answer.split(b"\r\n", 1)[0]
        if status_line.startswith(b"HTTP/1.1 5") and not status_line.startswith(b"HTTP/1.1 503"):
            raise Broken("a request made the web face fail", status_line.decode("latin-1")[:80])
        head, _, body = answer.partition(b"\r\n\r\n")
        if b"text/html" in head and HOSTILE_TITLE.encode() in body:
            raise Broken("a page shows another person's text unescaped")
        alive = self._exchange(
            f"GET /catalogue HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nConnection: close\r\n\r\n".encode()
        )
        if not alive.startswith(b"HTTP/1.1 200"):
            raise Broken("the web face stopped serving after a request", alive[:80].decode("latin-1"))


def _recorded_link() -> tuple[Any, dict[str, list[bytes]]]:
    """One real run of the exchange with a fixed code: the messages each side sent, one by one."""
    from reliance.app.devices import DeviceGrant, encode_grant
    from reliance.certificate import decode_certificate
    from reliance.net.pairing.codes import Code
    from reliance.net.pairing.protocol import (
        DeviceRequest,
        Granted,
        Invitation,
        InviterSession,
        JoinerSession,
    )

    seeds = load()
    phone = seeds.certificates["alice-phone"]
    real_grant = encode_grant(
        DeviceGrant(phone, decode_certificate(phone).participant, "Alice", seeds.bundle)
    )
    code = Code(7, ("guitar", "ocean"))
    inviter = InviterSession(Invitation(code))
    joiner = JoinerSession(code, "laptop", bytes(range(32)))
    sent: dict[str, list[bytes]] = {"inviter": [], "joiner": []}
    joiner.start()
    for _ in range(4):
        data = joiner.data_to_send()
        sent["joiner"].append(data)
        for event in inviter.receive_data(data):
            if isinstance(event, DeviceRequest):
                inviter.send_grant(real_grant)
        data = inviter.data_to_send()
        sent["inviter"].append(data)
        for event in joiner.receive_data(data):
            if isinstance(event, Granted):
                joiner.finish()
    return code, {side: [m for m in messages if m] for side, messages in sent.items()}


class LinkTarget:
    """What a stranger on the LAN sends to an invitation, or a fake inviter to a joiner: a stream of the
    real run's messages, some mutated or replaced by random structures. The session only ever ends in one
    `Failed` (never an exception), never asks for a grant or hands one over for bytes that were not the
    real ones, and never answers more than a refusal or its own next message."""

    name = "link"

    def setup(self, workdir: Path) -> None:
        self.code, self.sent = _recorded_link()

    def generate(self, rng: random.Random) -> bytes:
        side = rng.choice(("inviter", "joiner"))
        messages = self.sent["joiner" if side == "inviter" else "inviter"]
        stream = b""
        for message in messages[: rng.randint(1, len(messages))]:
            if rng.random() < 0.3:
                body = pack(mutate_structure(rng, unpack(message[4:])))
                message = len(body).to_bytes(4, "big") + body
            if rng.random() < 0.6:
                message = mutate_bytes(rng, message, messages)
            stream += message
        return pack({"side": side, "stream": stream, "step": rng.randint(1, 64)})

    def parts(self, data: bytes) -> tuple[bytes | None, bytes, Any]:
        spec = unpack(data)
        return None, spec["stream"], lambda stream: pack({**spec, "stream": stream})

    def run(self, data: bytes) -> None:
        from reliance.net.pairing.protocol import (
            DeviceRequest,
            Failed,
            Granted,
            Invitation,
            InviterSession,
            JoinerSession,
        )

        spec = unpack(data)
        stream, step = spec["stream"], max(1, int(spec["step"]))
        session: InviterSession | JoinerSession
        if spec["side"] == "inviter":
            session = InviterSession(Invitation(self.code))
        else:
            session = JoinerSession(self.code, "laptop", bytes(range(32)))
            session.start()
            session.data_to_send()
        events: list[Any] = []
        for cut in range(0, len(stream), step):
            events += session.receive_data(stream[cut : cut + step])
            if len(session.data_to_send()) > 1024:
                raise Broken("answered more than a refusal or its next message")
        failures = [e for e in events if isinstance(e, Failed)]
        if len(failures) > 1 or (failures and events[-1] is not failures[0]):
            raise Broken("events after a failure")
        if any(isinstance(e, DeviceRequest | Granted) for e in events):
            raise Broken("a fresh session trusted recorded or mutated bytes")


class IdentityTarget:
    """Mutated certificates, revocations, proofs and grants: only CertificateError / DeviceError may come
    out; what is accepted is exactly an original (one encoding per content, signatures that hold)."""

    name = "identity"

    def setup(self, workdir: Path) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from reliance.app.devices import DeviceGrant, encode_grant
        from reliance.certificate import make_certificate, make_revocation, sign_change
        from reliance.identity import public_bytes

        participant = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
        device = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
        self.device = public_bytes(device)
        self.hash = bytes(32)
        self.certificates = [
            make_certificate(participant, self.device, name, 1_780_000_000)
            for name in ("laptop", "téléphone de Zoé", "x" * 80)
        ]
        self.revocation = make_revocation(participant, self.device, 1_780_000_100)
        self.proofs = [sign_change(device, c, self.hash) for c in self.certificates] + [
            device.sign(self.hash)
        ]
        self.grants = [
            encode_grant(DeviceGrant(c, public_bytes(participant), "Zoé", b"\x80" * n))
            for n, c in enumerate(self.certificates)
        ]
        self.originals = {*self.certificates, self.revocation, *self.proofs, *self.grants}
        self.seeds = [*self.certificates, self.revocation, *self.proofs, *self.grants]

    def generate(self, rng: random.Random) -> bytes:
        kind = rng.randrange(4)
        data = rng.choice(self.seeds)
        if rng.random() < 0.3 and data in self.grants:
            data = pack(mutate_structure(rng, unpack(data)))
        elif rng.random() < 0.9:
            data = mutate_bytes(rng, data, self.seeds)
        return bytes([kind]) + data

    def run(self, data: bytes) -> None:
        from reliance.app.devices import decode_grant, encode_grant
        from reliance.certificate import decode_certificate, decode_revocation, verify_proof
        from reliance.errors import DeviceError

        if not data:
            return
        kind, body = data[0] % 4, data[1:]
        try:
            if kind == 0:
                found = decode_certificate(body)
                if found.raw != body or body not in self.originals:
                    raise Broken("a certificate that is not an original was accepted")
            elif kind == 1:
                if decode_revocation(body).raw != body or body not in self.originals:
                    raise Broken("a revocation that is not an original was accepted")
            elif kind == 2:
                if verify_proof(self.device, body, self.hash) is not None and body not in self.originals:
                    raise Broken("a proof that is not an original was accepted")
            else:
                grant = decode_grant(body, DEFAULT_LIMITS.replace(device_grant_bytes=64 * 1024))
                if decode_grant(encode_grant(grant)) != grant or grant.certificate not in self.originals:
                    raise Broken("a grant does not read back as itself")
        except DeviceError:
            return


class HelloTarget:
    """What a peer says inside the Noise handshake: mutated real hellos (Alice's linked phone with its
    certificate, her first device, Bob without one, a device its participant revoked, a certificate of
    another key), read as the handshake reads them. Only `HandshakeFailed` may come out; a hello accepted
    carries an original certificate, of its own key, never a revoked device's; it fits the payload bound."""

    name = "hello"

    def setup(self, workdir: Path) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from reliance.certificate import make_certificate
        from reliance.identity import public_bytes
        from reliance.net.hello import PROTOCOL_VERSION, make_hello

        seeds = load()
        self.static = bytes(range(32))  # the Noise static key the handshake authenticated
        participant = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
        revoked = Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35)))
        revoked_cert = make_certificate(participant, public_bytes(revoked), "perdu", 1_780_000_000)
        self.revoked = {(public_bytes(participant), public_bytes(revoked))}
        self.originals = {*seeds.certificates.values(), revoked_cert}

        def hello(key: Ed25519PrivateKey, cert: bytes | None, name: str, port: int | None) -> bytes:
            return make_hello(
                key, self.static, name=name, port=port, version=PROTOCOL_VERSION, certificate=cert
            )

        self.seeds = [
            hello(seeds.key("alice-phone"), seeds.certificates["alice-phone"], "Alice", 7447),
            hello(seeds.key("alice"), seeds.certificates["alice"], "Alice", None),
            hello(seeds.key("bob"), None, "Bob", 7447),  # a participant of its own: no certificate
            hello(revoked, revoked_cert, "Alice", 40000),  # refused: revoked
            hello(seeds.key("alice-phone"), seeds.certificates["mallory"], "Mallory", 1),  # another key's
        ]

    def generate(self, rng: random.Random) -> bytes:
        data = rng.choice(self.seeds)
        if rng.random() < 0.3:
            return pack(mutate_structure(rng, unpack(data)))
        if rng.random() < 0.9:
            return mutate_bytes(rng, data, [*self.seeds, *self.originals])
        return data

    def read(self, data: bytes) -> Any:
        """The hello as a node takes it (None: another protocol version); `HandshakeFailed` when refused."""
        from reliance.net.hello import (
            PROTOCOL_VERSION,
            check_revoked,
            compatible,
            unpack_hello,
            validate_hello,
            verify_hello,
        )

        obj = unpack_hello(data)
        if not compatible(obj["v"], PROTOCOL_VERSION):
            return None  # refused by version, before any field is read
        hello = validate_hello(obj)
        verify_hello(hello, self.static)
        check_revoked(hello, lambda participant, device: (participant, device) in self.revoked)
        return hello

    def run(self, data: bytes) -> None:
        from reliance.net.errors import HandshakeFailed
        from reliance.net.hello import MAX_PAYLOAD

        try:
            hello = self.read(data)
        except HandshakeFailed:
            return
        if hello is None:
            return
        if len(data) > MAX_PAYLOAD:
            raise Broken("a hello above the payload bound was accepted")
        if hello.certificate is not None:
            if hello.certificate.raw not in self.originals:
                raise Broken("a certificate that is not an original was accepted")
            if hello.certificate.device != hello.key:
                raise Broken("a certificate of another key was accepted")
            if (hello.participant, hello.key) in self.revoked:
                raise Broken("a revoked device was accepted")
        elif hello.participant != hello.key:
            raise Broken("a hello without a certificate speaks for someone else")


TARGETS = {
    t.name: t
    for t in (
        WireTarget,
        FrameTarget,
        BundleTarget,
        StoreTarget,
        ApplyTarget,
        LocalApiTarget,
        IdentityTarget,
        LinkTarget,
        WebTarget,
        HelloTarget,
    )
}


def make(name: str) -> Any:
    return TARGETS[name]()


def all_names() -> Iterable[str]:
    return TARGETS.keys()
