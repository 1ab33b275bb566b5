"""The clients' side of the local API: a blocking client for the CLI, an asyncio one for the app.

Both read the owner's frames through the same `FrameDecoder` and checks as the owner reads theirs (a
response is bounded by `localapi_max_response`). `connect_owner` says whether an owner runs on a home:
it looks at the lock (`ownership.current_owner`), then connects; an owner that holds the lock but does
not listen yet (it is starting) is waited for a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.localapi import unix
from reliance.localapi.ownership import current_owner, socket_path
from reliance.localapi.protocol import (
    API_VERSION,
    BUSY,
    UNAVAILABLE,
    ApiError,
    Event,
    FrameDecoder,
    FrameError,
    Response,
    decode_body,
    error_from_wire,
    parse_server_message,
    request_frame,
)
from reliance.localapi.unix import NoOwner

CONNECT_SECONDS = 5.0  # an owner that holds the lock is given this long to listen
CALL_SECONDS = 300.0  # a store operation on a large home can take a while; a hung owner cannot hang us
RESPONSE_MAX_MAP = 1 << 20  # a response may list many documents; its cost is bounded by the shape anyway


def _decode(body: bytes, limits: Limits) -> Response | Event:
    message = decode_body(body, limits.localapi_max_response, limits, max_map=RESPONSE_MAX_MAP)
    return parse_server_message(message)


def _check_hello(message: Response | Event) -> dict[str, Any]:
    if isinstance(message, Response) and not message.ok:
        raise error_from_wire(message)
    if not isinstance(message, Event) or message.kind != "hello":
        raise NoOwner("localapi.error.no_greeting")
    if message.data.get("api") != API_VERSION:
        raise NoOwner("localapi.error.version", theirs=repr(message.data.get("api"))[:40], ours=API_VERSION)
    return message.data


class ApiClient:
    """A blocking connection to the owner (the CLI)."""

    def __init__(self, sock: socket.socket, limits: Limits = DEFAULT_LIMITS) -> None:
        self.sock = sock
        self.limits = limits
        self._decoder = FrameDecoder(limits.localapi_max_response)
        self._pending: deque[Response | Event] = deque()
        self._ids = itertools.count(1)
        self.hello = _check_hello(self._next())

    @classmethod
    def connect(cls, home: Path, limits: Limits = DEFAULT_LIMITS, timeout: float = CALL_SECONDS) -> ApiClient:
        sock = unix.connect(socket_path(home), timeout)
        try:
            return cls(sock, limits)
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _next(self) -> Response | Event:
        while not self._pending:
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                raise ApiError(UNAVAILABLE, "localapi.error.timeout") from None
            except OSError as exc:
                raise NoOwner("localapi.error.went_away_because", reason=exc.strerror or exc) from None
            if not data:
                raise NoOwner("localapi.error.owner_closed")
            try:
                bodies = self._decoder.feed(data)
                self._pending.extend(_decode(body, self.limits) for body in bodies)
            except FrameError as exc:
                raise NoOwner("localapi.error.unreadable", reason=exc) from None
        return self._pending.popleft()

    def call(self, op: str, args: Mapping[str, Any] | None = None, timeout: float | None = None) -> Any:
        """The result of `op`; ApiError with the owner's code and message when it says no. `timeout`: how
        long this call may wait for its answer, when not the connection's (a sync of a given length)."""
        if timeout is None:
            return self._call(op, args)
        before = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            return self._call(op, args)
        finally:
            self.sock.settimeout(before)

    def _call(self, op: str, args: Mapping[str, Any] | None) -> Any:
        request_id = next(self._ids)
        try:
            self.sock.sendall(request_frame(request_id, op, {k: v for k, v in (args or {}).items()}))
        except OSError as exc:
            raise NoOwner("localapi.error.went_away_because", reason=exc.strerror or exc) from None
        events: list[Event] = []
        try:
            while True:
                message = self._next()
                if isinstance(message, Event):
                    events.append(message)  # kept for `events()`, in order
                elif message.id == request_id or (message.id == 0 and not message.ok):
                    if not message.ok:
                        raise error_from_wire(message, self.limits)
                    return message.result
        finally:
            self._pending.extendleft(reversed(events))

    def events(self) -> Iterator[Event]:
        """The events pushed on this connection (after `call("subscribe")`), until it closes."""
        while True:
            try:
                message = self._next()
            except NoOwner:
                return
            if isinstance(message, Event):
                yield message


def connect_owner(home: Path, limits: Limits = DEFAULT_LIMITS) -> ApiClient | None:
    """A client of the owner of `home`, or None when no process serves it: nobody owns it, or a command
    holds it while it writes the store itself (the CLI then works directly, once it holds the home)."""
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        holder = current_owner(home)
        if holder is None or holder["kind"] == "cli":
            return None
        try:
            return ApiClient.connect(home, limits)
        except ApiError as exc:
            if exc.code == BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(0.05)


class AsyncApiClient:
    """An asyncio connection to the owner (the app beside `serve`): calls, and events to `on_event`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        limits: Limits,
        on_event: Callable[[Event], None],
        on_close: Callable[[], None],
    ) -> None:
        self.reader, self.writer, self.limits = reader, writer, limits
        self.on_event, self.on_close = on_event, on_close
        self.hello: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._greeted: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._read())
        self.closed = False

    @classmethod
    async def connect(
        cls,
        home: Path,
        on_event: Callable[[Event], None],
        on_close: Callable[[], None],
        limits: Limits = DEFAULT_LIMITS,
    ) -> AsyncApiClient:
        sock = unix.connect(socket_path(home), CONNECT_SECONDS)
        sock.setblocking(False)
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=1 << 16)
        client = cls(reader, writer, limits, on_event, on_close)
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                client.hello = await client._greeted
        except BaseException:
            await client.close()
            raise
        return client

    async def call(
        self, op: str, args: Mapping[str, Any] | None = None, timeout: float = CALL_SECONDS
    ) -> Any:
        if self.closed:
            raise NoOwner("localapi.error.closed")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            self.writer.write(request_frame(request_id, op, dict(args or {})))
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise ApiError(UNAVAILABLE, "localapi.error.timeout") from None
        finally:
            self._waiting.pop(request_id, None)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self.writer.transport.abort()
        self._closed()

    def _closed(self) -> None:
        if self.closed:
            return
        self.closed = True
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(NoOwner("localapi.error.went_away"))
        if not self._greeted.done():
            self._greeted.set_exception(NoOwner("localapi.error.owner_closed"))
        self.on_close()

    async def _read(self) -> None:
        decoder = FrameDecoder(self.limits.localapi_max_response)
        try:
            while True:
                data = await self.reader.read(1 << 16)
                if not data:
                    return
                for body in decoder.feed(data):
                    self._dispatch(_decode(body, self.limits))
        except (FrameError, ConnectionError, ApiError):
            return
        finally:
            self._closed()

    def _dispatch(self, message: Response | Event) -> None:
        if not self._greeted.done():
            try:
                self._greeted.set_result(_check_hello(message))
            except ApiError as exc:
                self._greeted.set_exception(exc)
            return
        if isinstance(message, Event):
            self.on_event(message)
            return
        future = self._waiting.get(message.id)
        if future is None or future.done():
            return
        if message.ok:
            future.set_result(message.result)
        else:
            future.set_exception(error_from_wire(message, self.limits))
