"""The owner's side of the local API: a thin asyncio server over `protocol` (which does the checking).

Each connection reads its frames through a `FrameDecoder` (a header over `localapi_max_request` ends it
before its body is read), handles its requests one after the other, and sends through its own outbox: a
client that stops reading only fills its own outbox (`localapi_outbox_bytes`), and is dropped then, or
when one frame is not taken within `localapi_frame_seconds`. A frame started must be finished within the
same time; a connection that did not subscribe may stay silent `localapi_idle_seconds`. Beyond
`localapi_max_clients` a new connection is told `busy` and closed. Nothing a client sends can raise out
of its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from reliance.errors import RelianceError
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.localapi import unix
from reliance.localapi.ops import TABLE, NodeControl
from reliance.localapi.ownership import socket_path
from reliance.localapi.protocol import (
    BAD_REQUEST,
    BUSY,
    INTERNAL,
    MAX_REQUEST_ID,
    NODE,
    READ,
    REFUSED,
    SESSION,
    UNAVAILABLE,
    WRITE,
    ApiError,
    FrameDecoder,
    FrameError,
    Operation,
    Outcome,
    decode_body,
    error_frame,
    event_frame,
    parse_request,
    response_frame,
)

log = logging.getLogger("reliance.localapi")

READ_CHUNK = 64 * 1024


class Backend(Protocol):
    """What the server needs from the owner."""

    @property
    def control(self) -> NodeControl | None: ...

    async def run_store(self, op: Operation, args: dict[str, Any]) -> Outcome: ...

    def announce(self, doc_ids: tuple[str, ...], origin: str) -> None: ...


class _Client:
    """One connection's outbox, sent in order by one task."""

    def __init__(self, writer: asyncio.StreamWriter, limits: Limits) -> None:
        self.writer = writer
        self.limit = limits.localapi_outbox_bytes
        self.stall = float(limits.localapi_frame_seconds)
        self.frames: deque[bytes] = deque()
        self.size = 0
        self.failure = ""
        self.subscribed = False
        self._ready = asyncio.Event()
        self._task = asyncio.ensure_future(self._pump())

    def send(self, frame: bytes) -> None:
        if self.failure:
            return
        self.frames.append(frame)
        self.size += len(frame)
        if self.size > self.limit:
            self.fail(f"client does not read: {self.size} bytes waiting")
            return
        self._ready.set()

    def fail(self, reason: str) -> None:
        if not self.failure:
            self.failure = reason
            log.info("local API client dropped: %s", reason)
            self.frames.clear()
            self.size = 0
            self.writer.transport.abort()  # the reading side sees the end at once

    async def flush(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.frames and not self.failure and not self._task.done():
                    await asyncio.sleep(0.005)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self.writer.transport.abort()

    async def _pump(self) -> None:
        while True:
            if not self.frames:
                self._ready.clear()
                await self._ready.wait()
                continue
            frame = self.frames.popleft()
            self.size -= len(frame)
            try:
                self.writer.write(frame)
                async with asyncio.timeout(self.stall + len(frame) / (1 << 20)):
                    await self.writer.drain()
            except TimeoutError:
                self.fail(f"client does not read: a {len(frame)}-byte frame not taken in time")
                return
            except (ConnectionError, RuntimeError):
                self.fail("client gone")
                return


class ApiServer:
    """Serves `TABLE` on HOME/api.sock for one owner."""

    def __init__(
        self, home: Path, backend: Backend, hello: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.path = socket_path(home)
        self.backend = backend
        self.hello = dict(hello)
        self.limits = limits
        self._server: asyncio.Server | None = None
        self._clients: set[_Client] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inode: int | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def subscribers(self) -> int:
        return sum(1 for c in self._clients if c.subscribed)

    async def start(self) -> None:
        sock = unix.listen(self.path)
        self._inode = os.lstat(self.path).st_ino
        self._server = await asyncio.start_unix_server(self._on_connection, sock=sock, limit=READ_CHUNK)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for client in list(self._clients):
            await client.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(OSError):
            if self._inode is not None and os.lstat(self.path).st_ino == self._inode:
                os.unlink(self.path)  # ours still: a later owner's socket is left alone

    def publish(self, kind: str, data: Mapping[str, Any]) -> None:
        """Push an event to every subscribed client (each from its own outbox)."""
        subscribed = [c for c in self._clients if c.subscribed]
        if not subscribed:
            return
        frame = event_frame(kind, data)
        for client in subscribed:
            client.send(frame)

    # -- one connection ----------------------------------------------------------------------------------
    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except Exception as exc:  # never out of one connection
            log.warning("local API connection failed: %s: %s", type(exc).__name__, exc)
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        uid = unix.peer_uid(sock) if sock is not None else None
        if uid is not None and uid != os.getuid():
            return
        if len(self._clients) >= self.limits.localapi_max_clients:
            with contextlib.suppress(Exception):
                writer.write(error_frame(0, BUSY, "the owner of this home has too many clients"))
                async with asyncio.timeout(1):
                    await writer.drain()
            return
        client = _Client(writer, self.limits)
        self._clients.add(client)
        try:
            client.send(event_frame("hello", self.hello))
            await self._read_loop(reader, client)
        finally:
            self._clients.discard(client)
            await client.close()

    async def _read_loop(self, reader: asyncio.StreamReader, client: _Client) -> None:
        limits = self.limits
        decoder = FrameDecoder(limits.localapi_max_request)
        started = 0.0
        while not client.failure:
            timeout: float | None
            if decoder.partial:
                timeout = max(0.0, started + limits.localapi_frame_seconds - time.monotonic())
            else:
                timeout = None if client.subscribed else float(limits.localapi_idle_seconds)
            try:
                async with asyncio.timeout(timeout):
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                what = "a frame not finished" if decoder.partial else "silent"
                log.info("local API client dropped: %s in time", what)
                return
            except ConnectionError:
                return
            if not data:
                return
            if not decoder.partial:
                started = time.monotonic()
            try:
                bodies = decoder.feed(data)
            except FrameError as exc:
                client.send(error_frame(0, BAD_REQUEST, str(exc)))
                await client.flush(1.0)
                return
            for body in bodies:
                if not await self._handle(client, body):
                    await client.flush(1.0)
                    return
            if bodies and decoder.partial:
                started = time.monotonic()

    async def _handle(self, client: _Client, body: bytes) -> bool:
        """Answer one request; False when the connection must end (not a message at all)."""
        try:
            message = decode_body(body, self.limits.localapi_max_request, self.limits)
        except FrameError as exc:
            client.send(error_frame(0, BAD_REQUEST, str(exc)))
            return False
        raw_id = message.get("id")
        request_id = raw_id if type(raw_id) is int and 0 <= raw_id <= MAX_REQUEST_ID else 0
        try:
            request = parse_request(message)
            op, args = TABLE.prepare(request)
            outcome = await self._run(client, op, args)
            frame = response_frame(request.id, outcome.result)
        except ApiError as exc:
            frame = error_frame(request_id, exc.code, exc)
        except RelianceError as exc:  # its key and parameters: the client words it in its language
            frame = error_frame(request_id, REFUSED, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug of the owner: the client is told, the owner keeps serving
            log.exception("local API operation failed")
            frame = error_frame(request_id, INTERNAL, f"{type(exc).__name__} in the owner (see its log)")
        client.send(frame)
        return True

    async def _run(self, client: _Client, op: Operation, args: dict[str, Any]) -> Outcome:
        if op.kind == SESSION:
            if op.name == "subscribe":
                client.subscribed = True
            result: Outcome = op.handler(None, args)
            return result
        if op.kind in (READ, WRITE):
            outcome = await self.backend.run_store(op, args)
            if op.kind == WRITE and outcome.changed:
                self.backend.announce(outcome.changed, "api")
            return outcome
        if op.kind == NODE:
            control = self.backend.control
            if control is None:
                raise ApiError(UNAVAILABLE, "localapi.error.no_node")
            node_result: Outcome = await op.handler(control, args)
            return node_result
        raise ApiError(BAD_REQUEST, "localapi.error.cannot_run", op=op.name)
