"""An established connection: whole messages in order, heartbeats, backpressure, a clean close.

Made by :func:`reliance.net.handshake.connect` and :func:`reliance.net.server.serve` once the handshake
succeeded. The bytes on the wire are :mod:`reliance.net.frames`' business; this module reads and writes
them on an asyncio stream and adds what needs time: liveness, waiting for the application, the shared
receive budget.

PING/PONG (body <= 8 bytes, the PONG echoes the PING's body) may arrive between the fragments of a
message; control frames never carry ``FLAG_MORE``. CLOSE carries an optional UTF-8 reason.

Liveness: each side sends a PING every ``heartbeat_interval`` and answers PINGs with PONGs; a peer from
which no complete frame arrives for ``3 * heartbeat_interval`` (or ``read_timeout``, whichever is shorter)
is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from reliance.limits import DEFAULT_LIMITS
from reliance.net.errors import ConnectionClosed, ConnectionLost, TransportError
from reliance.net.frames import (
    FLAG_MORE,
    KIND_CLOSE,
    KIND_DATA,
    KIND_PING,
    KIND_PONG,
    MAX_PING_BODY,
    Frame,
    FrameReader,
    FrameWriter,
    MessageAssembler,
)
from reliance.net.hello import PROTOCOL_VERSION, Hello, decode_reason, encode_reason

__all__ = [
    "DEFAULT_CONFIG",
    "ReceiveBudget",
    "SecureConnection",
    "TransportConfig",
    "abort",
    "peer_address",
    "shutdown",
    "wait_closed",
]

log = logging.getLogger(__name__)

_SILENCE_INTERVALS = 3
_INBOX_MAX_MESSAGES = 64
_CONTROL_BUFFER_LIMIT = 256 * 1024  # skip PING/PONG while this much is waiting to be written
CLOSE_GRACE: Final = 2.0


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Limits and timers of the transport (seconds, bytes).

    - ``max_message``: largest application message accepted or sent (a larger declared size drops the
      connection before anything is buffered).
    - ``handshake_timeout``: TCP connect, and separately the whole handshake including ACCEPT/REFUSE.
    - ``read_timeout``: upper bound on the wait for each frame of an established connection, and on the
      grace period of a clean close.
    - ``heartbeat_interval``: PING period; a peer with no complete frame for 3 intervals is dropped.
    - ``protocol_version``: sent in the handshake payload; the responder refuses any other version.
    """

    max_message: int = DEFAULT_LIMITS.max_frame  # a node gives its own: `Limits.max_frame`, the one source
    handshake_timeout: float = 10.0
    read_timeout: float = 30.0
    heartbeat_interval: float = 5.0
    protocol_version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        if not 0 <= self.max_message <= 0xFFFFFFFF:
            raise ValueError("max_message must be between 0 and 2**32 - 1")
        for label, value in (
            ("handshake_timeout", self.handshake_timeout),
            ("read_timeout", self.read_timeout),
            ("heartbeat_interval", self.heartbeat_interval),
        ):
            if not value > 0:
                raise ValueError(f"{label} must be positive")
        if isinstance(self.protocol_version, bool) or not 0 <= self.protocol_version <= 0xFFFF:
            raise ValueError("protocol_version must be an integer in 0..65535")

    @property
    def frame_timeout(self) -> float:
        """Longest wait for the next complete frame of an established connection."""
        return min(self.read_timeout, _SILENCE_INTERVALS * self.heartbeat_interval)

    @property
    def close_grace(self) -> float:
        """Longest wait for the peer's end of a clean close."""
        return min(self.read_timeout, CLOSE_GRACE)


DEFAULT_CONFIG: Final = TransportConfig()


async def wait_closed(writer: asyncio.StreamWriter, timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    except Exception:
        pass


async def abort(writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def shutdown(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, grace: float) -> None:
    """Half-close, discard what the peer still sends until its EOF (so that our close sends no RST), close."""
    try:
        async with asyncio.timeout(grace):
            if writer.can_write_eof():
                writer.write_eof()
            await writer.drain()
            while await reader.read(65536):
                pass
    except Exception:  # TimeoutError, connection errors: we are closing anyway
        pass
    writer.close()
    await wait_closed(writer, grace)


def peer_address(writer: asyncio.StreamWriter) -> tuple[str, int]:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return ("", 0)


class ReceiveBudget:
    """Bytes received on a set of connections and not yet taken by ``recv()``, against one limit.

    A connection takes its share fragment by fragment, as the bytes arrive, and gives it back when the
    application takes the message (or the connection ends). A priority connection (a known peer's) always
    gets its share, counted all the same; the others wait for room, and are dropped if none comes in time.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.peak = 0
        self._freed = asyncio.Event()

    def take(self, size: int, *, priority: bool = False) -> bool:
        if priority or self.used == 0 or self.used + size <= self.limit:
            self.used += size
            self.peak = max(self.peak, self.used)
            return True
        return False

    def give_back(self, size: int) -> None:
        if size:
            self.used -= size
            self._freed.set()

    async def wait_and_take(self, size: int, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                while not self.take(size):
                    self._freed.clear()
                    await self._freed.wait()
        except TimeoutError:
            return False
        return True


# -------------------------------------------------------------------------------------------- connection


class SecureConnection:
    """An authenticated, encrypted, message-oriented connection. Made by :func:`connect` and :func:`serve`.

    ``recv()`` returns whole messages in order; after the connection ended it raises :class:`ConnectionClosed`
    (clean close by either side; messages that arrived before a remote close are still returned first) or
    :class:`ConnectionLost` (silence, reset, protocol violation). Always ``close()`` a connection.
    """

    remote_key: bytes
    remote_name: str
    remote_port: int | None
    remote_address: tuple[str, int]

    def __init__(
        self,
        *,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        noise: Any,
        hello: Hello,
        config: TransportConfig,
        budget: ReceiveBudget | None = None,
        priority: bool = False,
    ) -> None:
        self.remote_key = hello.key
        self.remote_name = hello.name
        self.remote_port = hello.port
        # whom the key is a device of (its certificate's participant, else itself), and the device's name
        self.remote_participant = hello.participant
        self.certified_participant = hello.certified_participant
        self.remote_device_name = hello.device_name
        self.remote_address = peer_address(writer)
        self._reader = reader
        self._writer = writer
        self._config = config
        self._send_lock = asyncio.Lock()
        self._inbox: deque[bytes] = deque()
        self._inbox_bytes = 0
        self._budget = budget
        self.priority = priority  # a known peer's: takes its share of the budget without waiting
        self._held = 0  # bytes taken from the budget: partial message and inbox
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._running = asyncio.Event()  # cleared by the test hook _pause_for_tests()
        self._running.set()
        self._error: TransportError | None = None
        self._frames_out = FrameWriter(noise)
        self._frames_in = FrameReader(noise)
        self._assembler = MessageAssembler(config.max_message)
        self._reader_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        key = self.remote_key[:8].hex()
        return f"<SecureConnection {self.remote_name!r} {key} {self.remote_address} {state}>"

    def _start(self) -> None:
        label = self.remote_key[:4].hex()
        self._reader_task = asyncio.create_task(self._read_loop(), name=f"transport-read-{label}")
        self._heartbeat_task = asyncio.create_task(self._heartbeat_loop(), name=f"transport-ping-{label}")

    @property
    def closed(self) -> bool:
        """True once the connection ended (closed by either side, or lost)."""
        return self._error is not None

    async def __aenter__(self) -> SecureConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- sending

    def _raise_if_ended(self) -> None:
        error = self._error
        if error is not None:
            raise type(error)(*error.args) from error.__cause__

    def _write_frame(self, header: int, body: bytes) -> None:
        # Encryption and write happen without an await in between: Noise nonces follow the write order.
        self._writer.write(self._frames_out.frame(header, body))

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._fail(ConnectionLost(f"connection error while sending: {type(exc).__name__}"))
        self._raise_if_ended()

    async def send(self, data: bytes) -> None:
        """Send one message (``len(data) <= max_message``); waits while the peer does not read."""
        if not isinstance(data, bytes | bytearray):
            raise TypeError("data must be bytes")
        fragments = self._frames_out.message(data, self._config.max_message)
        async with self._send_lock:
            self._raise_if_ended()
            for frame in fragments:  # each fragment is encrypted just before it is written
                self._writer.write(frame)
                await self._drain()

    # -- receiving

    async def recv(self) -> bytes:
        """The next message. Raises ConnectionClosed / ConnectionLost once the connection has ended."""
        while True:
            if self._inbox:
                message = self._inbox.popleft()
                self._inbox_bytes -= len(message)
                self._give_back(len(message))
                self._space.set()
                return message
            self._raise_if_ended()
            self._readable.clear()
            await self._readable.wait()

    async def _read_frame(self) -> Frame:
        timeout = self._config.frame_timeout
        frames = self._frames_in
        try:
            async with asyncio.timeout(timeout):
                while (frame := frames.next_frame()) is None:
                    try:
                        frames.feed(await self._reader.readexactly(frames.wanted))
                    except asyncio.IncompleteReadError as exc:
                        if exc.partial or frames.buffered:
                            raise ConnectionLost("truncated frame") from None
                        raise ConnectionLost("connection closed by peer without a close frame") from None
        except TimeoutError:
            raise ConnectionLost(f"peer silent: no complete frame for {timeout:g} s") from None
        except (ConnectionError, OSError) as exc:
            raise ConnectionLost(f"connection error: {type(exc).__name__}") from None
        return frame

    async def _read_loop(self) -> None:
        try:
            while True:
                if not self._running.is_set():
                    await self._running.wait()
                frame = await self._read_frame()
                await self._handle_frame(frame.header, frame.body)
        except asyncio.CancelledError:
            raise
        except TransportError as exc:
            self._fail(exc)
        except Exception as exc:
            log.warning("transport: unexpected error in reader: %s", type(exc).__name__, exc_info=True)
            self._fail(ConnectionLost(f"internal error: {type(exc).__name__}"))

    async def _handle_frame(self, header: int, body: bytes) -> None:
        kind, more = header & ~FLAG_MORE, bool(header & FLAG_MORE)
        if kind == KIND_DATA:
            await self._on_data(more, body)
            return
        if more:
            raise ConnectionLost(f"protocol violation: control frame {kind} with the more-fragments flag")
        if kind == KIND_PING:
            if len(body) > MAX_PING_BODY:
                raise ConnectionLost("protocol violation: ping too long")
            if self._writer.transport.get_write_buffer_size() <= _CONTROL_BUFFER_LIMIT:
                self._write_frame(KIND_PONG, body)
        elif kind == KIND_PONG:
            if len(body) > MAX_PING_BODY:
                raise ConnectionLost("protocol violation: pong too long")
        elif kind == KIND_CLOSE:
            reason = decode_reason(body)
            raise ConnectionClosed(f"closed by peer: {reason}" if reason else "closed by peer")
        else:
            raise ConnectionLost(f"protocol violation: unexpected frame kind {kind}")

    async def _on_data(self, more: bool, body: bytes) -> None:
        assembler = self._assembler
        if not assembler.in_message:
            declared = assembler.declared_size(body)
            # Backpressure before reading a message: what waits in the inbox plus this message stays
            # within one max_message (this message alone when the inbox is empty), so that a
            # connection never holds more than that.
            while self._error is None and (
                len(self._inbox) >= _INBOX_MAX_MESSAGES
                or (self._inbox and self._inbox_bytes + declared > self._config.max_message)
            ):
                self._space.clear()  # stop reading the socket until recv() makes room
                await self._space.wait()
        await self._take(assembler.kept_by(body))
        message = assembler.add(more, body)
        if message is None or self._error is not None:
            return
        self._inbox.append(message)
        self._inbox_bytes += len(message)
        self._readable.set()

    async def _take(self, size: int) -> None:
        """Take `size` bytes of the shared receive budget, waiting (not reading) while it is full."""
        budget = self._budget
        if budget is None or not size:
            return
        if not budget.take(size, priority=self.priority):
            if not await budget.wait_and_take(size, self._config.frame_timeout):
                raise ConnectionLost("the node's receive buffers stayed full")
            if self._error is not None:  # closed while waiting: nothing more is kept
                budget.give_back(size)
                return
        self._held += size

    def _give_back(self, size: int) -> None:
        if self._budget is not None:
            size = min(size, self._held)
            self._held -= size
            self._budget.give_back(size)

    # -- liveness

    async def _heartbeat_loop(self) -> None:
        interval = self._config.heartbeat_interval
        while self._error is None:
            await asyncio.sleep(interval)
            if not self._running.is_set():
                await self._running.wait()
                continue
            if self._error is not None or self._writer.is_closing():
                return
            if self._writer.transport.get_write_buffer_size() <= _CONTROL_BUFFER_LIMIT:
                try:
                    self._write_frame(KIND_PING, b"")
                except Exception as exc:
                    self._fail(ConnectionLost(f"cannot send heartbeat: {type(exc).__name__}"))

    # -- ending

    def _fail(self, error: TransportError) -> None:
        """End the connection with ``error`` (first error wins); called from the connection's own tasks."""
        if self._error is not None:
            return
        self._error = error
        log.debug("transport: connection with %s ended: %s", self.remote_key[:8].hex(), error)
        current = asyncio.current_task()
        for task in (self._reader_task, self._heartbeat_task):
            if task is not None and task is not current:
                task.cancel()
        if isinstance(error, ConnectionClosed):
            self._writer.close()
        else:
            self._writer.transport.abort()
        self._give_back(self._held - self._inbox_bytes)  # the partial message; the inbox is still read
        self._readable.set()
        self._space.set()

    async def close(self, reason: str = "") -> None:
        """Send a close frame (with `reason`, if any), close the socket and wait for it (idempotent)."""
        graceful = self._error is None
        self._inbox.clear()
        self._inbox_bytes = 0
        self._give_back(self._held)
        if graceful:
            self._error = ConnectionClosed("connection closed locally")
            self._readable.set()
            self._space.set()
        current = asyncio.current_task()
        tasks = [t for t in (self._reader_task, self._heartbeat_task) if t is not None and t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        grace = self._config.close_grace
        if graceful and not self._writer.is_closing():
            with contextlib.suppress(Exception):
                self._write_frame(KIND_CLOSE, encode_reason(reason))
            await shutdown(self._reader, self._writer, grace)
        else:
            self._writer.close()
            await wait_closed(self._writer, grace)

    # -- test hooks

    def _pause_for_tests(self) -> None:
        """Simulate a frozen process: stop reading frames and sending heartbeats."""
        self._running.clear()

    def _resume_for_tests(self) -> None:
        self._running.set()
