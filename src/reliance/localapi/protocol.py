"""The local API's wire protocol, sans-IO: frames, messages, and the table of operations.

A frame is a 4-byte big-endian length and that many bytes of msgpack. The length is checked against the
reader's cap before a byte of the body is kept, and the body is checked by `packing.check` (sizes, depth,
what it would cost in memory) before it is decoded. Three kinds of message:

- a request, client to owner: ``{"id": int, "op": str, "args": {...}}``;
- a response, owner to client: ``{"id": int, "ok": true, "result": ...}`` or
  ``{"id": int, "ok": false, "error": {"code": str, "message": str, "key": str, "params": {...}}}``:
  a refusal is its catalogue key and parameters, worded by the client in its reader's language; `message`
  is the English text, which a client shows (cleaned and bounded) when it does not know the key or cannot
  word it with those parameters (an older or newer owner);
- an event, owner to client: ``{"event": str, "data": {...}}``. The first frame of every connection is the
  ``hello`` event (API version, who owns the home); the others go to connections that asked ``subscribe``.

Operations are declared in a table (`Operation`: name, kind, parameters with types and bounds); `Dispatcher`
checks a request against it and returns what to run. Nothing here touches a socket or a file: the asyncio
server and client (`server.py`, `client.py`) move the bytes, and tests drive this module directly.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack

from reliance.display import clean
from reliance.errors import RelianceError
from reliance.i18n import LANGS, MESSAGES, Describable, Phrase, Worded, t
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import PackError, Shape, unpack

API_VERSION = 1
HEADER = struct.Struct(">I")
MAX_OP_NAME = 64
MAX_REQUEST_ID = 2**32 - 1

# Bounds of the operations' arguments, checked before an operation runs (the model applies its own after).
SHORT = 4096  # a name, an id, a date, a unit
TEXT = 4 * 1024 * 1024  # a social-code section, a description, a note
AMOUNT = 2**62  # an amount in minor units, a factor
Args = dict[str, Any]  # an operation's arguments, checked against its parameters

# Error codes a response may carry.
BAD_REQUEST = "bad_request"  # not a request this table knows, or arguments outside their bounds
REFUSED = "refused"  # the operation said no (a RelianceError: its message is for the person)
UNAVAILABLE = "unavailable"  # the owner cannot do it now (no network node, stopping)
INTERNAL = "internal"  # a bug in the owner: logged there
BUSY = "busy"  # too many clients


class ApiError(RelianceError):
    """A local API failure, with the code the other side sent or would send, and its catalogue key and
    parameters (an already worded text passes as the key: see `reliance.errors`)."""

    def __init__(self, code: str, key: str, /, *, field: str = "", **params: object) -> None:
        super().__init__(key, field=field, **params)
        self.code = code


# -- refusals on the wire -------------------------------------------------------------------------------

_PARAM_NAME = re.compile(r"[a-z_][a-z0-9_]{0,31}")  # fullmatch; `field` is the error's own, never a param
_FIELD = re.compile(r"[a-z_][a-z0-9_\-]{0,31}")  # fullmatch
MAX_ERROR_PARAMS = 16
MAX_ERROR_DEPTH = 3  # a phrase in a phrase in a refusal (« écriture e1 : le montant »)


def _param_to_wire(value: object, depth: int, limits: Limits) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Phrase | RelianceError) and value.key in MESSAGES and depth < MAX_ERROR_DEPTH:
        return {"key": value.key, "params": _params_to_wire(value.params, depth + 1, limits)}
    if isinstance(value, Describable):  # a date, a kind: as each language words it
        return {"worded": [value.describe(lang)[: limits.localapi_error_chars] for lang in LANGS]}
    return str(value)[: limits.localapi_error_chars]


def _params_to_wire(params: Mapping[str, object], depth: int, limits: Limits) -> dict[str, Any]:
    return {
        name: _param_to_wire(value, depth, limits) for name, value in list(params.items())[:MAX_ERROR_PARAMS]
    }


def error_to_wire(code: str, error: RelianceError, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """A refusal as the owner sends it: its code, its English text, and its key and parameters when the
    catalogue has the key (a text worded elsewhere goes as its text only)."""
    wire: dict[str, Any] = {"code": code, "message": str(error)[: limits.localapi_error_chars]}
    if error.key in MESSAGES:
        wire["key"] = error.key
        wire["params"] = _params_to_wire(error.params, 0, limits)
    if error.field and _FIELD.fullmatch(error.field):
        wire["field"] = error.field
    return wire


def _param_from_wire(raw: object, depth: int, limits: Limits) -> object:
    """One parameter of a refusal from the owner, checked: ValueError when it is not one this side words."""
    if raw is None or isinstance(raw, bool | int | float):
        return raw
    if isinstance(raw, str):
        return clean(raw[: limits.localapi_error_chars])
    if isinstance(raw, dict) and set(raw) == {"key", "params"} and depth < MAX_ERROR_DEPTH:
        key = raw["key"]
        if not isinstance(key, str) or key not in MESSAGES:
            raise ValueError("an unknown phrase")
        return Phrase(key, _params_from_wire(raw["params"], depth + 1, limits))
    if isinstance(raw, dict) and set(raw) == {"worded"}:
        texts = raw["worded"]
        if (
            not isinstance(texts, list)
            or len(texts) != len(LANGS)
            or not all(isinstance(x, str) for x in texts)
        ):
            raise ValueError("not a worded value")
        return Worded(tuple(clean(x[: limits.localapi_error_chars]) for x in texts))
    raise ValueError("not a parameter")


def _params_from_wire(raw: object, depth: int, limits: Limits) -> dict[str, object]:
    if not isinstance(raw, dict) or len(raw) > MAX_ERROR_PARAMS:
        raise ValueError("not parameters")
    if not all(isinstance(name, str) and _PARAM_NAME.fullmatch(name) for name in raw):
        raise ValueError("not a parameter name")
    if depth == 0 and "field" in raw:  # the error's own (the form field at fault), never a parameter
        raise ValueError("not a parameter name")
    return {name: _param_from_wire(value, depth, limits) for name, value in raw.items()}


def error_from_wire(response: Response, limits: Limits = DEFAULT_LIMITS) -> ApiError:
    """The refusal the owner sent, to be worded in this side's language: its key and parameters when this
    catalogue has the key and can word it with them in every language, else its text, cleaned (one line, no
    control characters) and bounded. Nothing the owner sends makes this raise."""
    message, code, key, field = (
        value if isinstance(value, str) else ""
        for value in (response.message, response.code, response.key, response.field)
    )
    code = code or INTERNAL
    fallback = clean(message[: limits.localapi_error_chars]) or clean(code[: limits.localapi_error_chars])
    field = field if _FIELD.fullmatch(field) else ""
    if key in MESSAGES:
        try:
            params = _params_from_wire(response.params, 0, limits)
            worded = [t(key, lang, **params) for lang in LANGS]  # it can be worded, in each
            if all(len(text) <= limits.localapi_error_chars * 4 for text in worded):
                return ApiError(code, key, field=field, **params)
        except Exception:  # a parameter this catalogue's text cannot format: the text then
            pass
    return ApiError(code, fallback, field=field)


class FrameError(ValueError):
    """Bytes that are not a frame of this protocol, or a frame over the cap: the connection ends."""


# -- frames -------------------------------------------------------------------------------------------------


def message_shape(max_frame: int, limits: Limits = DEFAULT_LIMITS, *, max_map: int | None = None) -> Shape:
    """What a message may hold: texts up to the frame's size (a social-code section), no bin, maps of at
    most `max_packed_map` entries (a request; a response lists documents: `max_map`), little nesting,
    and the usual bound on the cost of decoding."""
    return Shape(
        max_str=max_frame,
        max_bin=0,
        max_map=limits.max_packed_map if max_map is None else max_map,
        max_depth=8,
        memory_multiple=limits.packed_memory_multiple,
    )


def encode_frame(message: Mapping[str, Any]) -> bytes:
    body: bytes = msgpack.packb(message, use_bin_type=True)
    return HEADER.pack(len(body)) + body


class FrameDecoder:
    """Cuts a byte stream into frame bodies. It never holds more than one frame and a header beyond what
    it was fed last: `feed` refuses a header announcing more than `max_frame` before keeping its body."""

    def __init__(self, max_frame: int) -> None:
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._expected: int | None = None

    @property
    def partial(self) -> bool:
        """A frame has started and is not complete (a client that stops here is slow, not idle)."""
        return bool(self._buffer) or self._expected is not None

    def wanted(self) -> int:
        """Bytes still needed to complete the frame in progress (or its header)."""
        if self._expected is None:
            return HEADER.size - len(self._buffer)
        return self._expected - len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """The frame bodies completed by `data`, in order; FrameError on a bad header."""
        bodies: list[bytes] = []
        view = memoryview(data)
        while view:
            take = self.wanted()
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) < (HEADER.size if self._expected is None else self._expected):
                break
            if self._expected is None:
                (length,) = HEADER.unpack(self._buffer)
                self._buffer.clear()
                if length == 0 or length > self.max_frame:
                    raise FrameError(f"a frame of {length} bytes (at most {self.max_frame})")
                self._expected = length
            else:
                bodies.append(bytes(self._buffer))
                self._buffer.clear()
                self._expected = None
        return bodies


def decode_body(
    body: bytes, max_frame: int, limits: Limits = DEFAULT_LIMITS, *, max_map: int | None = None
) -> dict[str, Any]:
    """One message: checked against the shape before it is decoded; a map with string keys."""
    try:
        message = unpack(body, message_shape(max_frame, limits, max_map=max_map))
    except PackError as exc:
        raise FrameError(f"not a message: {exc}") from None
    if not isinstance(message, dict):
        raise FrameError("a message is a map")
    return message


# -- messages -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    id: int
    op: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Response:
    id: int
    ok: bool
    result: Any = None
    code: str = ""
    message: str = ""
    key: str = ""
    params: Any = None  # unchecked: error_from_wire checks them
    field: str = ""


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any]


def parse_request(message: Mapping[str, Any]) -> Request:
    """A request's envelope; ApiError(BAD_REQUEST) naming what is wrong (the id, when it could be read,
    lets the owner answer it)."""
    request_id = message.get("id")
    if type(request_id) is not int or not 0 <= request_id <= MAX_REQUEST_ID:
        raise ApiError(BAD_REQUEST, "localapi.error.request_id")
    op = message.get("op")
    if not isinstance(op, str) or not 0 < len(op) <= MAX_OP_NAME:
        raise ApiError(BAD_REQUEST, "localapi.error.request_op")
    args = message.get("args", {})
    if not isinstance(args, dict):
        raise ApiError(BAD_REQUEST, "localapi.error.request_args")
    if set(message) - {"id", "op", "args"}:
        raise ApiError(BAD_REQUEST, "localapi.error.request_fields")
    return Request(request_id, op, args)


def parse_server_message(message: Mapping[str, Any]) -> Response | Event:
    """What the owner sent: a response or an event (FrameError for anything else)."""
    if "event" in message:
        kind, data = message.get("event"), message.get("data", {})
        if not isinstance(kind, str) or not isinstance(data, dict):
            raise FrameError("an event has a name and a map of data")
        return Event(kind, data)
    request_id, ok = message.get("id"), message.get("ok")
    if type(request_id) is not int or type(ok) is not bool:
        raise FrameError("a response has an integer id and ok")
    if ok:
        return Response(request_id, True, message.get("result"))
    error = message.get("error")
    if not isinstance(error, dict):
        raise FrameError("a failed response carries an error")
    code, text, key, field = (error.get(name) for name in ("code", "message", "key", "field"))
    return Response(
        request_id,
        False,
        None,
        code if isinstance(code, str) and code else INTERNAL,
        text if isinstance(text, str) else "",
        key if isinstance(key, str) else "",
        error.get("params"),
        field if isinstance(field, str) else "",
    )


def request_frame(request_id: int, op: str, args: Mapping[str, Any] | None = None) -> bytes:
    return encode_frame({"id": request_id, "op": op, "args": dict(args or {})})


def response_frame(request_id: int, result: Any) -> bytes:
    return encode_frame({"id": request_id, "ok": True, "result": result})


def error_frame(request_id: int, code: str, message: str | RelianceError) -> bytes:
    """A failed response: a refusal (an error: its key and parameters too) or a text."""
    error = (
        error_to_wire(code, message)
        if isinstance(message, RelianceError)
        else {"code": code, "message": message}
    )
    return encode_frame({"id": request_id, "ok": False, "error": error})


def event_frame(kind: str, data: Mapping[str, Any]) -> bytes:
    return encode_frame({"event": kind, "data": dict(data)})


# -- the table of operations --------------------------------------------------------------------------------

READ = "read"  # reads the store (run where the owner's store work runs)
WRITE = "write"  # writes the store: its changed documents are announced to peers and subscribers
NODE = "node"  # asks the network node (peers, status, accept, refresh...)
SESSION = "session"  # about this connection (subscribe)


@dataclass(frozen=True)
class Param:
    """One argument: its type (str, int, bool, or list of str), whether it must be there, and its bound
    (characters of a string, items of a list, absolute value of an int)."""

    kind: type
    required: bool = False
    most: int = SHORT
    default: Any = None

    def check(self, name: str, value: Any) -> Any:
        if self.kind is list:
            if not isinstance(value, list) or len(value) > self.most:
                raise ApiError(BAD_REQUEST, "localapi.error.arg_list", name=name, most=self.most)
            if not all(isinstance(v, str) and len(v) <= SHORT for v in value):
                raise ApiError(BAD_REQUEST, "localapi.error.arg_texts", name=name)
            return list(value)
        if self.kind is bool:
            if type(value) is not bool:
                raise ApiError(BAD_REQUEST, "localapi.error.arg_bool", name=name)
            return value
        if self.kind is int:
            if type(value) is not int or abs(value) > self.most:
                raise ApiError(BAD_REQUEST, "localapi.error.arg_int", name=name, most=self.most)
            return value
        if not isinstance(value, str) or len(value) > self.most:
            raise ApiError(BAD_REQUEST, "localapi.error.arg_text", name=name, most=self.most)
        return value


@dataclass(frozen=True)
class Outcome:
    """What an operation returns: its result (plain data), and the documents it changed."""

    result: Any = None
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    name: str
    kind: str
    handler: Callable[..., Any]  # (workspace, args) -> Outcome for READ/WRITE; (node, args) for NODE
    params: Mapping[str, Param] = field(default_factory=dict)
    doc: str = ""

    def check_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(args) - set(self.params)
        if unknown:
            raise ApiError(BAD_REQUEST, "localapi.error.arg_unknown", op=self.name, name=sorted(unknown)[0])
        checked: dict[str, Any] = {}
        for name, param in self.params.items():
            if name in args and args[name] is not None:
                checked[name] = param.check(name, args[name])
            elif param.required:
                raise ApiError(BAD_REQUEST, "localapi.error.arg_required", op=self.name, name=name)
            else:
                checked[name] = param.default
        return checked


class Dispatcher:
    """The table: which operations exist, and the checked call a request stands for."""

    def __init__(self, operations: Sequence[Operation]) -> None:
        self.operations = {op.name: op for op in operations}

    def prepare(self, request: Request) -> tuple[Operation, dict[str, Any]]:
        op = self.operations.get(request.op)
        if op is None:
            raise ApiError(BAD_REQUEST, "localapi.error.no_operation", op=request.op[:MAX_OP_NAME])
        return op, op.check_args(request.args)

    def describe(self) -> list[dict[str, Any]]:
        """The table as data (for `reliance api` and the web face)."""
        return [
            {
                "op": op.name,
                "kind": op.kind,
                "params": {
                    n: {"type": p.kind.__name__, "required": p.required} for n, p in op.params.items()
                },
                "doc": op.doc,
            }
            for op in sorted(self.operations.values(), key=lambda o: o.name)
        ]
