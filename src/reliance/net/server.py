"""The listening side: :func:`serve` and the :class:`Server` it makes, with the slots strangers may hold."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.net.connection import (
    CLOSE_GRACE,
    DEFAULT_CONFIG,
    ReceiveBudget,
    SecureConnection,
    TransportConfig,
    abort,
    peer_address,
    shutdown,
    wait_closed,
)
from reliance.net.errors import HandshakeFailed, TransportError
from reliance.net.frames import KIND_ACCEPT, KIND_REFUSE, FrameWriter
from reliance.net.handshake import Revoked, connect, responder_handshake
from reliance.net.hello import Hello, check_name, encode_reason, public_key

__all__ = [
    "MAKING_ROOM",
    "TOO_MANY_CONNECTIONS",
    "TOO_MANY_FROM_ADDRESS",
    "Server",
    "measure_handshake_ms",
    "serve",
]

log = logging.getLogger(__name__)


def _accept_all(hello: Hello) -> str | None:
    return None


def _nobody_known(key: bytes) -> bool:
    return False


TOO_MANY_CONNECTIONS: Final = "this node serves too many connections; try again later"
TOO_MANY_FROM_ADDRESS: Final = "this node serves too many connections from your address; try again later"
MAKING_ROOM: Final = "making room for a known peer"


@dataclass(eq=False)
class _Slot:
    """An admitted incoming connection (its connection is set once the ACCEPT frame is written)."""

    address: str
    known: bool
    conn: SecureConnection | None = None


class Server:
    """A listening socket that authenticates incoming connections. Made by :func:`serve`.

    What strangers can hold is bounded (``Limits``, section "connections"): sockets still in their
    handshake (in total and per source address: the oldest is dropped for a new one), authenticated
    connections (in total and per address: refused with a reason beyond), and the bytes they sent that
    were not taken yet (:class:`ReceiveBudget`). A known peer (``known(key)``) passes the per-address
    limit, takes a stranger's place when the node is full, and its bytes are never held back.
    """

    def __init__(
        self,
        identity: Ed25519PrivateKey,
        *,
        name: str,
        on_connection: Callable[[SecureConnection], Awaitable[None]],
        accept: Callable[[Hello], str | None],
        config: TransportConfig,
        limits: Limits = DEFAULT_LIMITS,
        known: Callable[[bytes], bool] = _nobody_known,
        certificate: bytes | None = None,
        revoked: Revoked | None = None,
    ) -> None:
        self._identity = identity
        self._certificate = certificate
        self._revoked = revoked
        self._name = name
        self._on_connection = on_connection
        self._accept = accept
        self._config = config
        self._limits = limits
        self._known = known
        self._server: asyncio.Server | None = None
        self._port = 0
        self._handlers: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._handshaking: dict[asyncio.StreamWriter, str] = {}  # oldest first
        self._slots: list[_Slot] = []  # oldest first
        self._closers: set[asyncio.Future[None]] = set()
        self.budget = ReceiveBudget(limits.connections_buffer_total_bytes)

    @property
    def connections(self) -> int:
        """Authenticated incoming connections open now."""
        return len(self._slots)

    @property
    def handshaking(self) -> int:
        """Incoming sockets still in their handshake."""
        return len(self._handshaking)

    @property
    def port(self) -> int:
        """The bound TCP port (useful after binding port 0)."""
        return self._port

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening, close every live connection (their peers see ConnectionClosed) and wait."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        while True:
            handlers = [t for t in self._handlers if not t.done()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            for _ in range(3):  # connections accepted just before close start their handler now
                await asyncio.sleep(0)
            if not self._handlers:
                break
        if self._server is not None:
            await self._server.wait_closed()

    def _admit_socket(self, writer: asyncio.StreamWriter, host: str) -> None:
        """Room for one more socket in its handshake: the oldest one from the same address, or the oldest
        of all, is dropped when there are too many (an honest handshake takes milliseconds)."""
        limits = self._limits
        from_host = [w for w, other in self._handshaking.items() if other == host]
        if len(from_host) >= limits.handshakes_max_per_address:
            self._drop_handshake(from_host[0])
        while len(self._handshaking) >= limits.handshakes_max:
            self._drop_handshake(next(iter(self._handshaking)))
        self._handshaking[writer] = host

    def _drop_handshake(self, writer: asyncio.StreamWriter) -> None:
        del self._handshaking[writer]
        writer.transport.abort()  # its handshake fails at once and its handler ends

    def _admit(self, key: bytes, host: str) -> tuple[_Slot | None, str | None]:
        """A slot for an authenticated connection, or the reason there is none. No await in here:
        counting and taking the slot happen at once."""
        limits = self._limits
        known = self._known(key)
        if not known:
            if len(self._slots) >= limits.connections_max:
                return None, TOO_MANY_CONNECTIONS
            if sum(1 for s in self._slots if s.address == host) >= limits.connections_max_per_address:
                return None, TOO_MANY_FROM_ADDRESS
        elif len(self._slots) >= limits.connections_max:
            strangers = [s for s in self._slots if not s.known and s.conn is not None]
            if not strangers:
                return None, TOO_MANY_CONNECTIONS
            evicted = strangers[0]  # the oldest
            self._slots.remove(evicted)
            assert evicted.conn is not None
            closing = asyncio.ensure_future(evicted.conn.close(MAKING_ROOM))
            self._closers.add(closing)
            closing.add_done_callback(self._closers.discard)
        slot = _Slot(host, known)
        self._slots.append(slot)
        return slot, None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        conn: SecureConnection | None = None
        address = peer_address(writer)
        slot: _Slot | None = None
        try:
            if self._closing:
                return
            self._admit_socket(writer, address[0])
            try:
                conn, slot = await self._handshake(reader, writer, address)
            finally:
                self._handshaking.pop(writer, None)
            if conn is not None:
                try:
                    await self._on_connection(conn)
                except TransportError as exc:
                    log.debug("transport: connection from %s ended: %s", address, exc)
                except Exception:
                    log.warning("transport: on_connection failed for %s", address, exc_info=True)
        except asyncio.CancelledError:
            pass  # Server.close(): this task is a leaf, end it normally (3.11 logs cancelled callbacks)
        except Exception:
            log.warning("transport: unexpected error with %s", address, exc_info=True)
        finally:
            if slot is not None and slot in self._slots:
                self._slots.remove(slot)
            try:
                if conn is not None:
                    await conn.close()
                elif not writer.is_closing():
                    await abort(writer)
                else:
                    await wait_closed(writer, CLOSE_GRACE)
            finally:
                self._handlers.discard(task)

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: tuple[str, int]
    ) -> tuple[SecureConnection | None, _Slot | None]:
        config = self._config
        slot: _Slot | None = None
        try:
            async with asyncio.timeout(config.handshake_timeout):
                noise, hello, refusal = await responder_handshake(
                    reader,
                    writer,
                    self._identity,
                    name=self._name,
                    port=self.port,
                    accept=self._accept,
                    config=config,
                    certificate=self._certificate,
                    revoked=self._revoked,
                )
                if refusal is None:
                    assert hello is not None
                    slot, refusal = self._admit(hello.key, address[0])
                if refusal is not None:
                    log.debug("transport: refusing %s: %s", address, refusal)
                    writer.write(FrameWriter(noise).frame(KIND_REFUSE, encode_reason(refusal)))
                    await shutdown(reader, writer, config.close_grace)
                    return None, None
                writer.write(FrameWriter(noise).frame(KIND_ACCEPT))
                await writer.drain()
        except TimeoutError:
            log.debug("transport: handshake with %s timed out", address)
        except HandshakeFailed as exc:
            log.debug("transport: handshake with %s failed: %s", address, exc)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            log.debug("transport: handshake with %s dropped: %s", address, type(exc).__name__)
        else:
            assert hello is not None and slot is not None
            conn = SecureConnection(
                reader=reader,
                writer=writer,
                noise=noise,
                hello=hello,
                config=config,
                budget=self.budget,
                priority=slot.known,
            )
            slot.conn = conn
            conn._start()
            return conn, slot
        if slot is not None and slot in self._slots:
            self._slots.remove(slot)
        return None, None


async def serve(
    host: str | None,
    port: int,
    identity: Ed25519PrivateKey,
    *,
    name: str,
    on_connection: Callable[[SecureConnection], Awaitable[None]],
    accept: Callable[[Hello], str | None] = _accept_all,
    config: TransportConfig = DEFAULT_CONFIG,
    limits: Limits = DEFAULT_LIMITS,
    known: Callable[[bytes], bool] = _nobody_known,
    certificate: bytes | None = None,
    revoked: Revoked | None = None,
) -> Server:
    """Listen on ``host:port`` (port 0: any free port, see :attr:`Server.port`).

    Each authenticated connection is handed to ``on_connection``, in its own task; the connection is closed
    when that coroutine returns. ``accept(remote_hello)`` returns None to accept or a reason to refuse,
    which the peer receives. Failures of one connection (bad handshakes, errors in ``on_connection``) are
    logged and never affect the listener. ``limits`` bound the connections (see :class:`Server`); a peer
    for which ``known(remote_ed25519_key)`` is true goes first.
    """
    check_name(name)
    server = Server(
        identity,
        name=name,
        on_connection=on_connection,
        accept=accept,
        config=config,
        limits=limits,
        known=known,
        certificate=certificate,
        revoked=revoked,
    )
    server._server = await asyncio.start_server(server._handle, host, port)
    server._port = int(server._server.sockets[0].getsockname()[1])
    return server


async def measure_handshake_ms(rounds: int = 50) -> float:
    """Median time in milliseconds of :func:`connect` (TCP connect, handshake, ACCEPT) on loopback."""
    if rounds < 1:
        raise ValueError("rounds must be positive")
    server_identity = Ed25519PrivateKey.generate()
    client_identity = Ed25519PrivateKey.generate()

    async def wait_for_close(conn: SecureConnection) -> None:
        with contextlib.suppress(TransportError):
            while True:
                await conn.recv()

    server = await serve("127.0.0.1", 0, server_identity, name="bench-server", on_connection=wait_for_close)
    samples: list[float] = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            conn = await connect(
                "127.0.0.1",
                server.port,
                client_identity,
                name="bench-client",
                expected_key=public_key(server_identity),
            )
            samples.append((time.perf_counter() - start) * 1000.0)
            await conn.close()
    finally:
        await server.close()
    return statistics.median(samples)
