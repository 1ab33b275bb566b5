"""The only module that imports automerge.

It wraps the binding's hazards (DESIGN.md section 5) behind a small typed surface:
transactions are always closed by a `with` block, every call into the binding that
may panic catches `BaseException` and marks the document poisoned, Counter and unknown
scalars are never written and read defensively, Text is edited one character at a time,
and the actor id is set again after every load.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from automerge.core import ROOT, Document, Message, ObjType, ScalarType, SyncState, Transaction

from reliance.automerge import wire
from reliance.errors import DocumentError, RelianceError
from reliance.i18n import phrase

# Keep Rust's panic hook short: a panic is an expected, handled event here.
os.environ.pop("RUST_BACKTRACE", None)

ObjId = bytes
Scalar = str | int | float | bool | bytes | None
Plain = Scalar | dict[str, "Plain"] | list["Plain"]
ROOT_ID: ObjId = ROOT


class CrdtPanic(DocumentError):
    """The automerge binding panicked; the in-memory document must be dropped and reloaded."""


class CrdtError(DocumentError):
    """The binding refused an operation or could not decode bytes."""


class BindingMisuse(TypeError):
    """A value the wrapper never writes, or a transaction that made several changes: a bug in reliance's code
    (what people and peers give is checked into scalars before it reaches a `Writer`), never a reader's
    doing, so not worded for one; inside a transaction `_guard` turns it into a `CrdtError` all the same."""


class ChangeInfo(NamedTuple):
    """What reliance needs to know about one change. A NamedTuple, as immutable as a frozen dataclass but
    made three times faster: one is made per change sent and per change received (bench/sync.py)."""

    hash: bytes
    chunk: bytes
    deps: tuple[bytes, ...]
    actor: bytes
    seq: int


class HistoryEntry(NamedTuple):
    """Where a change sits in its author's history; `chunk()` reads its bytes when needed."""

    hash: bytes
    actor: bytes
    seq: int
    start_op: int
    max_op: int  # counter of its last operation (start_op - 1 if it has none)
    handle: Any  # the binding's change object

    def chunk(self) -> bytes:
        data: bytes = self.handle.bytes
        return data


@dataclass(frozen=True)
class Effect:
    """One visible effect of a range of changes: where it happened and what it did."""

    path: tuple[str | int, ...]  # keys from the root down to the object that changed
    action: str  # PutMap, DeleteMap, PutSeq, Insert, DeleteSeq, SpliceText, Increment, Mark, ...
    key: str | int | None
    forbidden_scalar: bool  # a Counter or an unknown scalar type was written


def _scalar(value: Scalar) -> tuple[ScalarType, Scalar]:
    # bool before int: bool is an int subclass.
    if value is None:
        return ScalarType.Null, None
    if isinstance(value, bool):
        return ScalarType.Boolean, value
    if isinstance(value, int):
        return ScalarType.Int, value
    if isinstance(value, float):
        return ScalarType.F64, value
    if isinstance(value, str):
        return ScalarType.Str, value
    if isinstance(value, bytes):
        return ScalarType.Bytes, value
    raise BindingMisuse(f"unsupported value type {type(value).__name__}")


def _object_id(found: Any) -> ObjId | None:
    """The object id in a binding `get` result; None for a scalar or nothing."""
    if found is None or not isinstance(found[0], ObjType):
        return None
    object_id: ObjId = found[1]
    return object_id


class Writer:
    """Typed operations inside one open transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def put(self, obj: ObjId, key: str, value: Scalar) -> None:
        kind, scalar = _scalar(value)
        self._tx.put(obj, key, kind, scalar)

    def put_map(self, obj: ObjId, key: str) -> ObjId:
        return self._tx.put_object(obj, key, ObjType.Map)

    def put_list(self, obj: ObjId, key: str, values: Sequence[Scalar] = ()) -> ObjId:
        list_id = self._tx.put_object(obj, key, ObjType.List)
        for index, value in enumerate(values):
            kind, scalar = _scalar(value)
            self._tx.insert(list_id, index, kind, scalar)
        return list_id

    def put_text(self, obj: ObjId, key: str, text: str) -> ObjId:
        text_id = self._tx.put_object(obj, key, ObjType.Text)
        self._insert_chars(text_id, 0, text)
        return text_id

    def append(self, list_id: ObjId, value: Scalar) -> None:
        kind, scalar = _scalar(value)
        self._tx.insert(list_id, self._tx.length(list_id), kind, scalar)

    def append_map(self, list_id: ObjId) -> ObjId:
        return self._tx.insert_object(list_id, self._tx.length(list_id), ObjType.Map)

    def delete(self, obj: ObjId, key: str | int) -> None:
        self._tx.delete(obj, key)

    def child(self, obj: ObjId, key: str) -> ObjId | None:
        return _object_id(self._tx.get(obj, key))

    def keys(self, obj: ObjId) -> list[str]:
        return self._tx.keys(obj)

    def list_values(self, list_id: ObjId) -> list[Scalar]:
        values: list[Scalar] = []
        for index in range(self._tx.length(list_id)):
            found = self._tx.get(list_id, index)
            if found is not None and not isinstance(found[0], ObjType):
                scalar = found[0][1]
                values.append(scalar if isinstance(scalar, str | int | float | bool | bytes) else None)
        return values

    def text(self, text_id: ObjId) -> str:
        return self._tx.text(text_id)

    def set_text(self, obj: ObjId, key: str, new: str) -> ObjId:
        """Make the Text at obj[key] read `new`, editing only the changed middle, char by char."""
        text_id = self.child(obj, key)
        if text_id is None or self._tx.object_type(text_id) != ObjType.Text:
            return self.put_text(obj, key, new)
        old = self._tx.text(text_id)
        if old == new:
            return text_id
        prefix = 0
        limit = min(len(old), len(new))
        while prefix < limit and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
            suffix += 1
        for _ in range(len(old) - prefix - suffix):
            self._tx.delete(text_id, prefix)
        self._insert_chars(text_id, prefix, new[prefix : len(new) - suffix])
        return text_id

    def _insert_chars(self, text_id: ObjId, index: int, chars: str) -> None:
        # A multi-character insert would create one element: insert each character.
        for offset, char in enumerate(chars):
            self._tx.insert(text_id, index + offset, ScalarType.Str, char)


class CrdtDoc:
    """An automerge document with this device as its actor."""

    def __init__(self, document: Document, actor: bytes) -> None:
        self._doc = document
        self.actor = actor
        self.poisoned = False

    @classmethod
    def new(cls, actor: bytes) -> CrdtDoc:
        return cls(Document(actor), actor)

    @classmethod
    def load(cls, data: bytes, actor: bytes) -> CrdtDoc:
        with _guard("load"):
            document = Document.load(data)
            document.set_actor(actor)  # load() picks a random actor
        return cls(document, actor)

    # -- writing -------------------------------------------------------------------------------------

    def change(self, edit: Callable[[Writer], object]) -> ChangeInfo | None:
        """Run `edit` in one transaction; return the new change, or None if it changed nothing."""
        before = self.heads()
        with _guard("change", self), self._doc.transaction() as tx:
            edit(Writer(tx))
        changes = self.changes_since(before)
        if not changes:
            return None
        if len(changes) != 1:
            raise BindingMisuse(f"a transaction produced {len(changes)} changes")
        return changes[0]

    def apply(self, chunks: Sequence[bytes]) -> None:
        """Apply change chunks whose dependencies are all present (verified by the caller)."""
        if not chunks:
            return
        message = wire.apply_message(chunks)
        with _guard("apply", self):
            self._doc.receive_sync_message(SyncState(), Message.decode(message))

    def save(self) -> bytes:
        with _guard("save", self):
            return self._doc.save()

    def fork(self) -> CrdtDoc:
        with _guard("fork", self):
            forked = self._doc.fork()
            forked.set_actor(self.actor)
        return CrdtDoc(forked, self.actor)

    # -- sync (automerge's own protocol) ----------------------------------------------------------------

    def generate_sync(self, state: SyncStateHandle) -> bytes | None:
        with _guard("generate_sync", self):
            message = self._doc.generate_sync_message(state.state)
        return None if message is None else message.encode()

    def receive_sync(self, state: SyncStateHandle, message: bytes) -> None:
        with _guard("receive_sync", self):
            self._doc.receive_sync_message(state.state, Message.decode(message))

    # -- reading ------------------------------------------------------------------------------------------

    def heads(self) -> list[bytes]:
        with _guard("heads", self):
            return sorted(self._doc.get_heads())

    def changes_since(self, heads: Sequence[bytes]) -> list[ChangeInfo]:
        """Changes not in `heads`' history. Every hash in `heads` must be known to the document."""
        with _guard("changes", self):
            raw = self._doc.get_changes(list(heads))
        return [ChangeInfo(c.hash, c.bytes, tuple(c.deps), c.actor_id, c.seq) for c in raw]

    def history_since(self, heads: Sequence[bytes]) -> list[HistoryEntry]:
        """Like `changes_since`, in the order automerge applied them, without copying their bytes."""
        with _guard("changes", self):
            raw = self._doc.get_changes(list(heads))
            return [HistoryEntry(c.hash, c.actor_id, c.seq, c.start_op, c.max_op, c) for c in raw]

    def child(self, obj: ObjId, key: str, heads: Sequence[bytes] | None = None) -> ObjId | None:
        return _object_id(self._get(obj, key, heads))

    def child_at(self, list_id: ObjId, index: int, heads: Sequence[bytes] | None = None) -> ObjId | None:
        return _object_id(self._get(list_id, index, heads))

    def keys(self, obj: ObjId, heads: Sequence[bytes] | None = None) -> list[str]:
        with _guard("keys", self):
            return self._doc.keys(obj, list(heads) if heads is not None else None)

    def length(self, obj: ObjId, heads: Sequence[bytes] | None = None) -> int:
        with _guard("length", self):
            return self._doc.length(obj, list(heads) if heads is not None else None)

    def scalar(self, obj: ObjId, key: str | int, heads: Sequence[bytes] | None = None) -> Scalar:
        """A scalar value, Text read as str; anything else (or unreadable) is None."""
        found = self._get(obj, key, heads)
        if found is None:
            return None
        value, obj_id = found
        if isinstance(value, ObjType):
            if value == ObjType.Text:
                return self.text(obj_id, heads)
            return None
        kind, scalar = value
        if kind in (ScalarType.Counter, ScalarType.Unknown):
            return None
        if isinstance(scalar, datetime):
            return scalar.isoformat()
        return scalar if isinstance(scalar, str | int | float | bool | bytes) else None

    def text(self, obj: ObjId, heads: Sequence[bytes] | None = None) -> str:
        with _guard("text", self):
            return self._doc.text(obj, list(heads) if heads is not None else None)

    def read(self, obj: ObjId = ROOT_ID, heads: Sequence[bytes] | None = None, depth: int = 0) -> Plain:
        """Materialise an object as plain Python, defensively (JavaScript documents welcome)."""
        if depth > 64:
            return None
        with _guard("read", self):
            kind = self._doc.object_type(obj)
        if kind == ObjType.Text:
            return self.text(obj, heads)
        if kind == ObjType.Map:
            out: dict[str, Plain] = {}
            for key in self.keys(obj, heads):
                out[key] = self._read_entry(obj, key, heads, depth)
            return out
        items: list[Plain] = []
        for index in range(self.length(obj, heads)):
            items.append(self._read_entry(obj, index, heads, depth))
        return items

    def _read_entry(self, obj: ObjId, key: str | int, heads: Sequence[bytes] | None, depth: int) -> Plain:
        found = self._get(obj, key, heads)
        if found is None:
            return None
        value, obj_id = found
        if isinstance(value, ObjType):
            return self.read(obj_id, heads, depth + 1)
        return self.scalar(obj, key, heads)

    def _get(self, obj: ObjId, key: str | int, heads: Sequence[bytes] | None) -> Any:
        self._check()  # a poisoned document must fail loudly, not read as empty
        try:
            return self._doc.get(obj, key, list(heads) if heads is not None else None)
        except BaseException as exc:  # a read panic (e.g. a Counter) leaves the document usable
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return None

    # -- effects of changes (for authorisation) -----------------------------------------------------------

    def effects(self, before: Sequence[bytes], after: Sequence[bytes]) -> list[Effect]:
        """What changed between two sets of heads, as paths and actions."""
        with _guard("diff", self):
            patches = self._doc.diff(list(before), list(after))
        return [parse_patch(repr(patch)) for patch in patches]

    def _check(self) -> None:
        if self.poisoned:
            raise CrdtPanic("crdt.error.poisoned")


class SyncStateHandle:
    """Automerge's per-peer sync state (cannot be saved: a new one per connection)."""

    def __init__(self) -> None:
        self.state = SyncState()


def changes_in_document_chunk(chunk: bytes) -> list[ChangeInfo]:
    """List the changes a whole-document chunk holds, by loading it in a sandbox document."""
    with _guard("read_chunk"):
        sandbox = Document.load(chunk)
        raw = sandbox.get_changes([])
    return [ChangeInfo(c.hash, c.bytes, tuple(c.deps), c.actor_id, c.seq) for c in raw]


@contextmanager
def _guard(action: str, doc: CrdtDoc | None = None) -> Iterator[None]:
    """Run a call into the binding; `action` names it (`crdt.action.<action>` in the catalogue)."""
    if doc is not None:
        doc._check()  # every guarded call on a poisoned document fails, none reads as empty
    try:
        yield
    except (KeyboardInterrupt, SystemExit, RelianceError):
        raise  # our own errors (a model rule inside an edit, CrdtError, CrdtPanic) pass unchanged
    except Exception as exc:
        raise CrdtError(
            "crdt.error.refused", action=phrase(f"crdt.action.{action}"), detail=str(exc)
        ) from None
    except BaseException as exc:  # PanicException derives from BaseException
        if doc is not None:
            doc.poisoned = True
        raise CrdtPanic(
            "crdt.error.panic", action=phrase(f"crdt.action.{action}"), kind=type(exc).__name__
        ) from None


# -- parsing the binding's Patch representation ------------------------------------------------------------
# The binding exposes patches only through their Rust Debug text; this reads it with a small tokenizer
# that understands string literals, so keys and values can never be confused with structure.

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|-?\d+|\S', re.S)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def _unescape(literal: str) -> str:
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = body[i + 1]
        if code == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        else:
            out.append(_ESCAPES.get(code, code))
            i += 2
    return "".join(out)


class PatchParseError(CrdtError):
    pass


def parse_patch(text: str) -> Effect:
    tokens = _TOKEN.findall(text)
    forbidden = False
    for index in range(len(tokens) - 2):
        if tokens[index] == "Scalar" and tokens[index + 1] == "(":
            forbidden = forbidden or tokens[index + 2] in ("Counter", "Unknown")
    try:
        start = tokens.index("path")
        action_at = tokens.index("action", start)
    except ValueError:
        raise PatchParseError("crdt.error.patch") from None
    path: list[str | int] = []
    i = start
    while i < action_at:
        token = tokens[i]
        if token == "Map" and tokens[i + 1] == "(" and tokens[i + 2].startswith('"'):
            path.append(_unescape(tokens[i + 2]))
            i += 3
        elif token == "Seq" and tokens[i + 1] == "(" and tokens[i + 2].lstrip("-").isdigit():
            path.append(int(tokens[i + 2]))
            i += 3
        else:
            i += 1
    action = tokens[action_at + 2]
    key: str | int | None = None
    depth = 0
    for j in range(action_at + 3, len(tokens) - 2):
        token = tokens[j]
        if token in "{([":
            depth += 1
        elif token in "})]":
            depth -= 1
        elif depth == 1 and token in ("key", "index") and tokens[j + 1] == ":":
            value = tokens[j + 2]
            key = _unescape(value) if value.startswith('"') else int(value)
            break
    return Effect(tuple(path), action, key, forbidden)
