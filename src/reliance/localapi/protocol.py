"""The local API's wire protocol, sans-IO: frames, messages, and the table of operations.

A frame is a 4-byte big-endian length and that many bytes of msgpack. The length is checked against the
reader's cap before a byte of the body is kept, and the body is checked by `packing.check` (sizes, depth,
what it would cost in memory) before it is decoded. Three kinds of message:

- a request, client to owner: ``{"id": int, "op": str, "args": {...}}``;
- a response, owner to client: ``{"id": int, "ok": true, "result": ...}`` or
  ``{"id": int, "ok": false, "error": {"code": str, "message": str}}``;
- an event, owner to client: ``{"event": str, "data": {...}}``. The first frame of every connection is the
  ``hello`` event (API version, who owns the home); the others go to connections that asked ``subscribe``.

Operations are declared in a table (`Operation`: name, kind, parameters with types and bounds); `Dispatcher`
checks a request against it and returns what to run. Nothing here touches a socket or a file: the asyncio
server and client (`server.py`, `client.py`) move the bytes, and tests drive this module directly.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack

from reliance.errors import RelianceError
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.packing import PackError, Shape, unpack

API_VERSION = 1
HEADER = struct.Struct(">I")
MAX_OP_NAME = 64
MAX_REQUEST_ID = 2**32 - 1

# Error codes a response may carry.
BAD_REQUEST = "bad_request"  # not a request this table knows, or arguments outside their bounds
REFUSED = "refused"  # the operation said no (a RelianceError: its message is for the person)
UNAVAILABLE = "unavailable"  # the owner cannot do it now (no network node, stopping)
INTERNAL = "internal"  # a bug in the owner: logged there
BUSY = "busy"  # too many clients


class ApiError(RelianceError):
    """A local API failure, with the code the other side sent or would send."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any]


def parse_request(message: Mapping[str, Any]) -> Request:
    """A request's envelope; ApiError(BAD_REQUEST) naming what is wrong (the id, when it could be read,
    lets the owner answer it)."""
    request_id = message.get("id")
    if type(request_id) is not int or not 0 <= request_id <= MAX_REQUEST_ID:
        raise ApiError(BAD_REQUEST, "a request has an integer id")
    op = message.get("op")
    if not isinstance(op, str) or not 0 < len(op) <= MAX_OP_NAME:
        raise ApiError(BAD_REQUEST, "a request names its operation (op)")
    args = message.get("args", {})
    if not isinstance(args, dict):
        raise ApiError(BAD_REQUEST, "a request's args are a map")
    if set(message) - {"id", "op", "args"}:
        raise ApiError(BAD_REQUEST, "a request has only id, op and args")
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
    code, text = error.get("code"), error.get("message")
    return Response(request_id, False, None, str(code or INTERNAL), str(text or ""))


def request_frame(request_id: int, op: str, args: Mapping[str, Any] | None = None) -> bytes:
    return encode_frame({"id": request_id, "op": op, "args": dict(args or {})})


def response_frame(request_id: int, result: Any) -> bytes:
    return encode_frame({"id": request_id, "ok": True, "result": result})


def error_frame(request_id: int, code: str, message: str) -> bytes:
    return encode_frame({"id": request_id, "ok": False, "error": {"code": code, "message": message}})


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
    most: int = 4096
    default: Any = None

    def check(self, name: str, value: Any) -> Any:
        if self.kind is list:
            if not isinstance(value, list) or len(value) > self.most:
                raise ApiError(BAD_REQUEST, f"{name}: a list of at most {self.most} texts")
            if not all(isinstance(v, str) and len(v) <= 4096 for v in value):
                raise ApiError(BAD_REQUEST, f"{name}: a list of texts")
            return list(value)
        if self.kind is bool:
            if type(value) is not bool:
                raise ApiError(BAD_REQUEST, f"{name}: true or false")
            return value
        if self.kind is int:
            if type(value) is not int or abs(value) > self.most:
                raise ApiError(BAD_REQUEST, f"{name}: an integer of at most {self.most}")
            return value
        if not isinstance(value, str) or len(value) > self.most:
            raise ApiError(BAD_REQUEST, f"{name}: a text of at most {self.most} characters")
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
            raise ApiError(BAD_REQUEST, f"{self.name}: unknown argument {sorted(unknown)[0]!r}")
        checked: dict[str, Any] = {}
        for name, param in self.params.items():
            if name in args and args[name] is not None:
                checked[name] = param.check(name, args[name])
            elif param.required:
                raise ApiError(BAD_REQUEST, f"{self.name}: {name} is required")
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
            raise ApiError(BAD_REQUEST, f"no operation {request.op[:MAX_OP_NAME]!r}")
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
