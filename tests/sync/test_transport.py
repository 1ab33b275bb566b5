"""Tests of the transport (net/ hello, frames, handshake, connection, server): real TCP on 127.0.0.1,
real Noise, hostile peers written by hand."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import struct
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.limits import DEFAULT_LIMITS
from reliance.net.connection import SecureConnection, TransportConfig
from reliance.net.errors import (
    ConnectFailed,
    ConnectionClosed,
    ConnectionLost,
    FrameTooLarge,
    HandshakeFailed,
    HandshakeRefused,
    PeerMismatch,
    TransportError,
)
from reliance.net.frames import (
    FLAG_MORE,
    KIND_ACCEPT,
    KIND_CLOSE,
    KIND_DATA,
    KIND_PING,
    KIND_PONG,
    KIND_REFUSE,
)
from reliance.net.handshake import connect, new_noise
from reliance.net.hello import (
    MAX_NAME_LENGTH,
    PROTOCOL_VERSION,
    STATIC_KEY_CONTEXT,
    Hello,
    check_name,
    check_port,
    hello_name,
    unpack_hello,
    validate_hello,
)
from reliance.net.server import Server, measure_handshake_ms, serve

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")

HOST = "127.0.0.1"
# Short timers for hostile-peer and heartbeat tests: silence limit = 3 x 0.1 s.
FAST = TransportConfig(handshake_timeout=0.5, read_timeout=2.0, heartbeat_interval=0.1)
# How long a test waits for what must happen: only stops a test that hangs (never what it checks).
PATIENCE = 30.0


def pub(identity: Ed25519PrivateKey) -> bytes:
    return identity.public_key().public_bytes_raw()


def _socket_fds() -> set[int]:
    fds: set[int] = set()
    for entry in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{entry}").startswith("socket:"):
                fds.add(int(entry))
    return fds


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[None]:
    """Fail a test that leaves tasks running or sockets open (runs after every other fixture's teardown)."""
    track_fds = os.path.isdir("/proc/self/fd")
    before = _socket_fds() if track_fds else set()
    yield
    for _ in range(5):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not pending, f"leaked tasks: {pending}"
    if track_fds:
        assert _socket_fds() <= before, "leaked sockets"


# --------------------------------------------------------------------------------------------- helpers


def hello_payload(identity: Ed25519PrivateKey, static_public: bytes, **overrides: Any) -> bytes:
    fields: dict[str, Any] = {
        "v": PROTOCOL_VERSION,
        "key": pub(identity),
        "sig": identity.sign(STATIC_KEY_CONTEXT + static_public),
        "name": "raw",
        "port": None,
    }
    fields.update(overrides)
    packed = msgpack.packb({k: v for k, v in fields.items() if v is not _MISSING}, use_bin_type=True)
    assert isinstance(packed, bytes)
    return packed


class _Missing:
    """A field left out of the hello (a named type so that test ids are the same in every process)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def prefixed(message: bytes) -> bytes:
    return struct.pack(">H", len(message)) + message


async def read_prefixed(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack(">H", await reader.readexactly(2))[0]
    return await reader.readexactly(size)


class RawClient:
    """A hand-written peer speaking (or not) the wire protocol over a plain socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.noise: Any = None

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    async def handshake(self, payload: Callable[[bytes], bytes]) -> tuple[int, bytes] | None:
        """Run the initiator side with a chosen payload; the responder's reply frame, or None if dropped."""
        noise, static_public = new_noise(initiator=True)
        self.noise = noise
        self.write(prefixed(noise.write_message(b"")))
        noise.read_message(await read_prefixed(self.reader))
        self.write(prefixed(noise.write_message(payload(static_public))))
        try:
            reply = noise.decrypt(await read_prefixed(self.reader))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        return reply[0], bytes(reply[1:])

    def send_frame(self, header: int, body: bytes) -> None:
        self.write(prefixed(self.noise.encrypt(bytes((header,)) + body)))

    async def dropped(self, timeout: float = PATIENCE) -> float:
        """Wait until the server drops us (EOF or reset); returns the time it took."""
        start = time.monotonic()
        async with asyncio.timeout(timeout):
            with contextlib.suppress(ConnectionError):
                while await self.reader.read(65536):
                    pass
        return time.monotonic() - start

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


class Net:
    """Owns every server, connection and raw socket a test opens, and closes them at teardown."""

    def __init__(self) -> None:
        self.servers: list[Server] = []
        self.conns: list[SecureConnection] = []
        self.raws: list[RawClient] = []
        self.fakes: list[asyncio.Server] = []
        self.fake_tasks: set[asyncio.Task[Any]] = set()

    async def serve(
        self,
        identity: Ed25519PrivateKey,
        on_connection: Callable[[SecureConnection], Awaitable[None]],
        *,
        name: str = "server",
        **kwargs: Any,
    ) -> Server:
        server = await serve(HOST, 0, identity, name=name, on_connection=on_connection, **kwargs)
        self.servers.append(server)
        return server

    async def connect(
        self, port: int, identity: Ed25519PrivateKey, *, name: str = "client", **kwargs: Any
    ) -> SecureConnection:
        conn = await connect(HOST, port, identity, name=name, **kwargs)
        self.conns.append(conn)
        return conn

    async def raw(self, port: int) -> RawClient:
        reader, writer = await asyncio.open_connection(HOST, port)
        client = RawClient(reader, writer)
        self.raws.append(client)
        return client

    async def accepted_raw(self, port: int, identity: Ed25519PrivateKey, name: str = "raw") -> RawClient:
        """A raw client whose well-formed handshake the server accepted."""
        raw = await self.raw(port)
        reply = await raw.handshake(lambda static: hello_payload(identity, static, name=name))
        assert reply == (KIND_ACCEPT, b"")
        return raw

    async def fake_responder(self, payload: Callable[[bytes], bytes]) -> int:
        """A hand-written responder that sends message 2 with a chosen payload, then waits for EOF."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self.fake_tasks.add(task)
            try:
                noise, static_public = new_noise(initiator=False)
                noise.read_message(await read_prefixed(reader))
                writer.write(prefixed(noise.write_message(payload(static_public))))
                async with asyncio.timeout(3):
                    while await reader.read(65536):
                        pass
            except Exception:
                pass
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

        fake = await asyncio.start_server(handle, HOST, 0)
        self.fakes.append(fake)
        return int(fake.sockets[0].getsockname()[1])

    async def aclose(self) -> None:
        for conn in self.conns:
            await conn.close()
        for raw in self.raws:
            await raw.close()
        for server in self.servers:
            await server.close()
        for fake in self.fakes:
            fake.close()
            await fake.wait_closed()
        await asyncio.gather(*self.fake_tasks, return_exceptions=True)


@pytest.fixture
async def net() -> AsyncIterator[Net]:
    n = Net()
    try:
        yield n
    finally:
        await n.aclose()


@pytest.fixture
def alice() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def bob() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


class Collector:
    """on_connection that records what each peer (by name) sent and how its connection ended."""

    def __init__(self) -> None:
        self.accepted: list[SecureConnection] = []
        self.messages: dict[str, list[bytes]] = defaultdict(list)
        self._endings: dict[str, asyncio.Future[TransportError]] = {}
        self._arrivals: asyncio.Queue[SecureConnection] = asyncio.Queue()

    def ending(self, name: str) -> asyncio.Future[TransportError]:
        if name not in self._endings:
            self._endings[name] = asyncio.get_running_loop().create_future()
        return self._endings[name]

    async def next_connection(self, timeout: float = PATIENCE) -> SecureConnection:
        return await asyncio.wait_for(self._arrivals.get(), timeout)

    async def __call__(self, conn: SecureConnection) -> None:
        self.accepted.append(conn)
        self._arrivals.put_nowait(conn)
        try:
            while True:
                self.messages[conn.remote_name].append(await conn.recv())
        except TransportError as exc:
            future = self.ending(conn.remote_name)
            if not future.done():
                future.set_result(exc)


async def echo(conn: SecureConnection) -> None:
    with contextlib.suppress(TransportError):
        while True:
            await conn.send(await conn.recv())


async def hold(conn: SecureConnection) -> None:
    """Keep a connection open without reading until the server closes."""
    await asyncio.Event().wait()


class FrameLog:
    """The frames a connection reads (kind and loop time of arrival), by wrapping its frame handler: a
    test waits for frames that prove time went by on the connection instead of sleeping."""

    def __init__(self, conn: SecureConnection, monkeypatch: pytest.MonkeyPatch) -> None:
        self.frames: list[tuple[int, float]] = []
        loop = asyncio.get_running_loop()
        handle = conn._handle_frame

        async def logged(header: int, body: bytes) -> None:
            self.frames.append((header & ~FLAG_MORE, loop.time()))
            await handle(header, body)

        monkeypatch.setattr(conn, "_handle_frame", logged)

    def count(self, kind: int) -> int:
        return sum(1 for k, _ in self.frames if k == kind)

    def last_at(self) -> float:
        return self.frames[-1][1]

    async def wait_count(self, kind: int, count: int, stop: Callable[[], bool] = lambda: False) -> None:
        """Until `count` frames of `kind` arrived, or `stop()` (a connection ended: the test then fails on
        what it checks next)."""
        async with asyncio.timeout(PATIENCE):
            while self.count(kind) < count and not stop():
                await asyncio.sleep(0.01)


# ------------------------------------------------------------------------------------ handshake, exchange


async def test_handshake_and_exchange_both_directions(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    seen: list[SecureConnection] = []

    async def greet_then_echo(conn: SecureConnection) -> None:
        seen.append(conn)
        await conn.send(b"hello from the server")
        await echo(conn)

    server = await net.serve(alice, greet_then_echo, name="Alice")
    client = await net.connect(server.port, bob, name="Bob", listen_port=4242, expected_key=pub(alice))
    assert (client.remote_key, client.remote_name, client.remote_port) == (pub(alice), "Alice", server.port)
    assert client.remote_address == (HOST, server.port)
    assert await client.recv() == b"hello from the server"
    await client.send(b"ping?")
    assert await client.recv() == b"ping?"
    (server_side,) = seen
    assert (server_side.remote_key, server_side.remote_name, server_side.remote_port) == (
        pub(bob),
        "Bob",
        4242,
    )
    assert server_side.remote_address[0] == HOST
    assert not client.closed and not server_side.closed


@pytest.mark.parametrize(
    "size",
    [0, 1, 65_513, 65_514, 65_515, 65_535, 65_536, 65_514 + 65_518, 65_514 + 65_518 + 1, 200_003, 5_000_000],
)
async def test_message_sizes_arrive_intact(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, size: int
) -> None:
    server = await net.serve(alice, echo)
    client = await net.connect(server.port, bob)
    data = random.Random(size).randbytes(size)
    await client.send(data)
    assert await client.recv() == data


async def test_full_duplex_large_messages(net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey) -> None:
    """Both sides send 5 MB at the same time: readers run independently of senders, nobody deadlocks."""
    down, up = os.urandom(5_000_000), os.urandom(5_000_000)
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def both_ways(conn: SecureConnection) -> None:
        sending = asyncio.create_task(conn.send(down))
        got.set_result(await conn.recv())
        await sending
        await asyncio.Event().wait()

    server = await net.serve(alice, both_ways)
    client = await net.connect(server.port, bob)
    received, _ = await asyncio.gather(client.recv(), client.send(up))
    assert received == down
    assert await asyncio.wait_for(got, PATIENCE) == up


async def test_concurrent_sends_arrive_whole(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    client = await net.connect(
        server.port, bob, name="sender", config=FAST
    )  # pings interleave with fragments
    rng = random.Random(7)
    messages = [
        bytes([i]) * rng.choice([0, 1, 100, 70_000, 140_000, 300_000]) + bytes([i]) for i in range(40)
    ]
    await asyncio.gather(*(client.send(m) for m in messages))
    await client.send(b"end")
    async with asyncio.timeout(PATIENCE):
        while b"end" not in collector.messages["sender"]:
            await asyncio.sleep(0.01)
    received = collector.messages["sender"][:-1]
    assert sorted(received) == sorted(messages)


async def test_send_rejects_oversized_message_and_stays_usable(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    config = TransportConfig(max_message=1000)
    server = await net.serve(alice, echo, config=config)
    client = await net.connect(server.port, bob, config=config)
    with pytest.raises(FrameTooLarge):
        await client.send(b"x" * 1001)
    await client.send(b"x" * 1000)
    assert await client.recv() == b"x" * 1000


async def test_backpressure_bounds_receiver_memory(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receiver that does not read stops reading its socket; the sender blocks; heartbeats keep it alive."""
    config = TransportConfig(max_message=65_536, heartbeat_interval=0.1)
    arrived: asyncio.Queue[SecureConnection] = asyncio.Queue()

    async def slow_reader(conn: SecureConnection) -> None:
        arrived.put_nowait(conn)
        await asyncio.Event().wait()

    server = await net.serve(alice, slow_reader, config=config)
    client = await net.connect(server.port, bob, config=config)
    receiver = await asyncio.wait_for(arrived.get(), PATIENCE)
    pings = FrameLog(client, monkeypatch)
    messages = [i.to_bytes(4, "big") * 16_000 for i in range(700)]  # 44.8 MB, more than the socket buffers
    sent = 0

    async def send_all() -> None:
        nonlocal sent
        for m in messages:
            await client.send(m)
            sent += 1

    sender = asyncio.create_task(send_all())

    def stalled() -> bool:
        """The receiver's inbox is full (it stopped reading), and what the sender wrote waits in its
        own buffer: the kernel's are full too."""
        return bool(receiver._inbox) and client._writer.transport.get_write_buffer_size() > 0

    async with asyncio.timeout(PATIENCE):
        while not stalled() and not sender.done():
            await asyncio.sleep(0.01)
    assert not sender.done(), "send() should wait for the receiver"
    # Ten of the receiver's heartbeats reach the sender (over three silence limits of its clock): the
    # connection lives on, and the sender is still waiting.
    seen = pings.count(KIND_PING)
    await pings.wait_count(KIND_PING, seen + 10, stop=lambda: client.closed or receiver.closed)
    assert not client.closed and not receiver.closed
    assert not sender.done() and sent < len(messages), "send() should wait for the receiver"
    # What one connection holds (its inbox and the message being read) stays within one max_message.
    assert receiver._inbox_bytes <= config.max_message
    assert server.budget.peak <= config.max_message
    for m in messages:
        assert await receiver.recv() == m
    await sender


# --------------------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "forge",
    ["signature over another static key", "someone else's key", "replayed signature of someone else"],
)
async def test_impostor_initiator_is_refused(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, forge: str
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    mallory = Ed25519PrivateKey.generate()
    victim_static = X25519PrivateKey.generate().public_key().public_bytes_raw()

    def payload(static_public: bytes) -> bytes:
        if forge == "signature over another static key":
            return hello_payload(
                mallory, static_public, sig=mallory.sign(STATIC_KEY_CONTEXT + os.urandom(32))
            )
        if forge == "someone else's key":  # claims Bob's key, signs with its own
            return hello_payload(mallory, static_public, key=pub(bob))
        return hello_payload(bob, static_public, sig=bob.sign(STATIC_KEY_CONTEXT + victim_static))

    raw = await net.raw(server.port)
    reply = await raw.handshake(payload)
    assert reply is not None
    kind, reason = reply
    assert kind == KIND_REFUSE
    assert b"signature" in reason
    await raw.dropped()
    assert collector.accepted == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"v": True},
        {"v": "1"},
        {"key": b"\x01" * 31},
        {"key": "not bytes"},
        {"sig": b"\x00" * 63},
        {"name": "n" * 65},
        {"name": "evil\x1b[2J"},
        {"name": b"bytes"},
        {"port": 0},
        {"port": 70_000},
        {"port": True},
        {"port": "80"},
        {"extra": 1},
        {"port": _MISSING},
    ],
    ids=repr,
)
async def test_malformed_payload_is_rejected(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, overrides: dict[str, Any]
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    raw = await net.raw(server.port)
    reply = await raw.handshake(lambda static: hello_payload(bob, static, **overrides))
    assert reply is None or reply[0] == KIND_REFUSE
    await raw.dropped()
    assert collector.accepted == []


@pytest.mark.parametrize(
    ("garbage", "why"),
    [
        (b"", "malformed"),
        (b"\xc1", "malformed"),
        (b"\x93\x01\x02\x03", "not a map"),
        (msgpack.packb({"v": 1}), "unexpected fields"),
        (msgpack.packb({"v": "one"}), "protocol version"),
        (msgpack.packb({"v": 1, "key": b"k" * 1100}), "too large"),
        (b"\x81" + os.urandom(199), ""),
    ],
    ids=["empty", "invalid msgpack", "array", "version only", "bad version", "too large", "random"],
)
async def test_malformed_hello_is_refused_with_a_reason(
    net: Net, alice: Ed25519PrivateKey, garbage: bytes, why: str
) -> None:
    """The handshake completed (Noise authenticated the channel) but the hello inside is garbage: the
    client is told why, as for a bad signature, instead of a silent hang-up."""
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    raw = await net.raw(server.port)
    reply = await raw.handshake(lambda static: garbage)
    assert reply is not None, "dropped without a reason"
    kind, reason = reply
    assert kind == KIND_REFUSE
    assert reason.startswith(b"handshake rejected: ")
    assert why.encode() in reason
    await raw.dropped()
    assert collector.accepted == []


@pytest.mark.parametrize("forge", ["signature over another static key", "someone else's key", "garbage"])
async def test_impostor_responder_is_rejected(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, forge: str
) -> None:
    mallory = Ed25519PrivateKey.generate()

    def payload(static_public: bytes) -> bytes:
        if forge == "signature over another static key":
            return hello_payload(alice, static_public, sig=alice.sign(STATIC_KEY_CONTEXT + os.urandom(32)))
        if forge == "someone else's key":
            return hello_payload(mallory, static_public, key=pub(alice))
        return b"\x92garbage"

    port = await net.fake_responder(payload)
    with pytest.raises(HandshakeFailed) as info:
        await connect(HOST, port, bob, name="bob", config=FAST)
    assert type(info.value) is HandshakeFailed


async def test_wrong_pinned_key_raises_peer_mismatch(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    with pytest.raises(PeerMismatch):
        await net.connect(server.port, bob, expected_key=pub(Ed25519PrivateKey.generate()), config=FAST)
    # The right pin works, and the mismatching attempt never reached on_connection.
    await net.connect(server.port, bob, name="pinned", expected_key=pub(alice), config=FAST)
    conn = await collector.next_connection()
    assert conn.remote_name == "pinned"
    assert len(collector.accepted) == 1


async def test_incompatible_version_is_refused_with_reason(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    newer = TransportConfig(handshake_timeout=0.5, heartbeat_interval=0.1, protocol_version=2)
    with pytest.raises(HandshakeRefused) as info:
        await net.connect(server.port, bob, config=newer)
    assert info.value.reason == "incompatible protocol version 2, this node speaks 1"

    newer_server = await net.serve(alice, collector, config=newer)
    with pytest.raises(HandshakeRefused) as info:
        await net.connect(newer_server.port, bob, config=FAST)
    assert info.value.reason == "incompatible protocol version 1, this node speaks 2"
    assert collector.accepted == []


async def test_accept_callback_refusal_reaches_the_client(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    carol = Ed25519PrivateKey.generate()
    asked: list[bytes] = []

    def accept(hello: Hello) -> str | None:
        asked.append(hello.key)
        return "blocked peer" if hello.key == pub(bob) else None

    collector = Collector()
    server = await net.serve(alice, collector, accept=accept, config=FAST)
    with pytest.raises(HandshakeRefused) as info:
        await net.connect(server.port, bob, config=FAST)
    assert info.value.reason == "blocked peer"
    await net.connect(server.port, carol, name="carol", config=FAST)
    assert (await collector.next_connection()).remote_key == pub(carol)
    assert asked == [pub(bob), pub(carol)]


async def test_failing_accept_callback_refuses(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    def accept(hello: Hello) -> str | None:
        raise RuntimeError("database is locked")

    server = await net.serve(alice, echo, accept=accept, config=FAST)
    with pytest.raises(HandshakeRefused, match="internal error"):
        await net.connect(server.port, bob, config=FAST)


# ---------------------------------------------------------------------------------------- hostile input


async def test_hostile_clients_are_dropped_while_a_good_client_is_served(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    config = TransportConfig(
        max_message=1 << 20, handshake_timeout=0.5, read_timeout=2.0, heartbeat_interval=0.1
    )
    collector = Collector()
    # All from 127.0.0.1 at once: room for every handshake, so that each is dropped by its own deadline
    # (test_connection_limits checks what happens beyond).
    roomy = DEFAULT_LIMITS.replace(handshakes_max=64, handshakes_max_per_address=64)
    server = await net.serve(alice, collector, config=config, limits=roomy)
    mallory = Ed25519PrivateKey.generate()

    async def good_client() -> None:
        conn = await net.connect(server.port, bob, name="good", config=config)
        for i in range(30):
            await conn.send(i.to_bytes(2, "big") * 1000)
            await asyncio.sleep(0.05)
        await conn.send(b"done")

    async def silent() -> float:
        raw = await net.raw(server.port)
        return await raw.dropped()

    async def dribble(period: float, data: bytes, raw: RawClient | None = None) -> float:
        """Slow-loris: one byte every ``period`` seconds until dropped, which must come before its last
        byte (the deadline is the only thing that can drop it sooner)."""
        raw = raw or await net.raw(server.port)
        start = time.monotonic()
        for byte in data[:-1]:
            raw.write(bytes((byte,)))
            with contextlib.suppress(TimeoutError):
                await raw.dropped(timeout=period)
                return time.monotonic() - start
        raise AssertionError("slow-loris client was not dropped before its last byte")

    async def random_bytes() -> float:
        raw = await net.raw(server.port)
        raw.write(os.urandom(4096))
        return await raw.dropped()

    async def truncated_handshake() -> float:
        raw = await net.raw(server.port)
        raw.write(struct.pack(">H", 100) + b"\x00" * 10)
        return await raw.dropped()

    async def truncated_frame() -> float:
        raw = await net.accepted_raw(server.port, mallory, "truncated")
        raw.write(struct.pack(">H", 1000) + b"\x00" * 10)
        return await raw.dropped()

    async def truncated_then_eof() -> float:
        raw = await net.accepted_raw(server.port, mallory, "eof")
        raw.write(struct.pack(">H", 1000) + b"\x00" * 10)
        raw.writer.write_eof()
        return await raw.dropped()

    async def oversized() -> float:
        raw = await net.accepted_raw(server.port, mallory, "oversized")
        raw.send_frame(KIND_DATA | FLAG_MORE, struct.pack(">I", (1 << 20) + 1) + b"\x00" * 60_000)
        return await raw.dropped()

    async def tampered() -> float:
        raw = await net.accepted_raw(server.port, mallory, "tampered")
        frame = bytearray(prefixed(raw.noise.encrypt(bytes((KIND_DATA,)) + struct.pack(">I", 3) + b"abc")))
        frame[5] ^= 0x01
        raw.write(bytes(frame))
        return await raw.dropped()

    async def dribbled_frame() -> float:
        """After the handshake: bytes arrive often, but no frame completes within 3 intervals."""
        raw = await net.accepted_raw(server.port, mallory, "dribbled")
        frame = prefixed(raw.noise.encrypt(bytes((KIND_DATA,)) + struct.pack(">I", 100) + b"a" * 100))
        return await dribble(0.05, frame, raw)

    async def bad_fragments() -> float:
        raw = await net.accepted_raw(server.port, mallory, "fragments")
        raw.send_frame(KIND_DATA | FLAG_MORE, struct.pack(">I", 3) + b"abc")  # says "more" but is complete
        return await raw.dropped()

    good = asyncio.create_task(good_client())
    times = await asyncio.gather(
        silent(),
        dribble(1.0, b"\x00\x20" + b"\x00" * 32),  # one byte per second
        dribble(0.1, b"\x00\x20" + b"\x00" * 32),  # faster than any per-read timeout: the deadline drops it
        dribbled_frame(),
        random_bytes(),
        truncated_handshake(),
        truncated_frame(),
        truncated_then_eof(),
        oversized(),
        tampered(),
        bad_fragments(),
    )
    await good
    print(f"\nhostile clients dropped after {', '.join(f'{t:.2f}' for t in times)} s")
    async with asyncio.timeout(PATIENCE):
        while b"done" not in collector.messages["good"]:
            await asyncio.sleep(0.01)
    assert collector.messages["good"][:-1] == [i.to_bytes(2, "big") * 1000 for i in range(30)]
    for name in ("truncated", "eof", "oversized", "tampered", "fragments", "dribbled"):
        ending = await asyncio.wait_for(collector.ending(name), PATIENCE)
        assert type(ending) is ConnectionLost, (name, ending)
        assert collector.messages[name] == []
    oversize = collector.ending("oversized").result()
    assert isinstance(oversize.__cause__, FrameTooLarge)


@pytest.mark.parametrize(
    ("header", "body"),
    [
        (KIND_DATA, b"\x00\x00"),  # first fragment without a length
        (KIND_DATA, struct.pack(">I", 2) + b"abc"),  # longer than declared
        (KIND_DATA, struct.pack(">I", 5) + b"abc"),  # last fragment but shorter than declared
        (KIND_PING | FLAG_MORE, b""),
        (KIND_PING, b"123456789"),
        (KIND_ACCEPT, b""),
        (KIND_REFUSE, b"no"),
        (0x7F, b""),
    ],
)
async def test_protocol_violations_end_the_connection(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, header: int, body: bytes
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    raw = await net.accepted_raw(server.port, bob)
    raw.send_frame(header, body)
    await raw.dropped()
    ending = await asyncio.wait_for(collector.ending("raw"), PATIENCE)
    assert type(ending) is ConnectionLost
    assert collector.messages["raw"] == []


async def test_empty_continuation_fragment_is_a_violation(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    raw = await net.accepted_raw(server.port, bob)
    raw.send_frame(KIND_DATA | FLAG_MORE, struct.pack(">I", 4) + b"ab")
    raw.send_frame(KIND_PING, b"")  # control frames may come between fragments
    raw.send_frame(KIND_DATA | FLAG_MORE, b"")
    await raw.dropped()
    assert type(await asyncio.wait_for(collector.ending("raw"), PATIENCE)) is ConnectionLost


async def test_fragments_with_interleaved_pings_reassemble(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    raw = await net.accepted_raw(server.port, bob)
    raw.send_frame(KIND_DATA | FLAG_MORE, struct.pack(">I", 6) + b"ab")
    raw.send_frame(KIND_PING, b"12345678")
    raw.send_frame(KIND_DATA | FLAG_MORE, b"cd")
    raw.send_frame(KIND_DATA, b"ef")
    raw.send_frame(KIND_CLOSE, b"bye")
    await raw.dropped()
    ending = await asyncio.wait_for(collector.ending("raw"), PATIENCE)
    assert type(ending) is ConnectionClosed
    assert "bye" in str(ending)
    assert collector.messages["raw"] == [b"abcdef"]


# --------------------------------------------------------------------------------------------- liveness


async def test_authenticated_but_silent_peer_is_dropped(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    start = time.monotonic()  # before the handshake, hence before the server's wait for a frame began
    await net.accepted_raw(server.port, bob, "mute")
    ending = await asyncio.wait_for(collector.ending("mute"), PATIENCE)
    elapsed = time.monotonic() - start
    assert type(ending) is ConnectionLost
    # Dropped by the silence limit, 3 heartbeats (not by read_timeout, 2 s), and not before it.
    assert "silent: no complete frame for 0.3 s" in str(ending)
    assert elapsed >= 0.3 - 0.01


@pytest.mark.parametrize("frozen_side", ["client", "server"])
async def test_frozen_peer_is_detected_within_three_intervals(
    net: Net,
    alice: Ed25519PrivateKey,
    bob: Ed25519PrivateKey,
    frozen_side: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    client = await net.connect(server.port, bob, config=FAST)
    server_side = await collector.next_connection()
    frozen, alive = (client, server_side) if frozen_side == "client" else (server_side, client)
    heard = FrameLog(alive, monkeypatch)
    await heard.wait_count(KIND_PING, 2)  # heartbeats flowing
    frozen._pause_for_tests()
    if alive is client:
        with pytest.raises(ConnectionLost) as info:
            await asyncio.wait_for(client.recv(), PATIENCE)
        ending: TransportError = info.value
    else:
        ending = await asyncio.wait_for(collector.ending("client"), PATIENCE)
    detected = asyncio.get_running_loop().time()
    assert type(ending) is ConnectionLost
    # By the silence limit, 3 heartbeats (not by read_timeout, 2 s), counted from the last frame heard.
    assert "silent: no complete frame for 0.3 s" in str(ending)
    assert detected - heard.last_at() >= 0.3 - 0.01
    frozen._resume_for_tests()


async def test_idle_connection_stays_alive_with_mismatched_intervals(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PONGs answer PINGs: a side with a short interval is kept alive by a peer with a long one."""
    server = await net.serve(alice, echo, config=TransportConfig(heartbeat_interval=1.0))
    client = await net.connect(server.port, bob, config=FAST)
    heard = FrameLog(client, monkeypatch)
    # Eight answers to its pings, one per 0.1 s: the client outlived its silence limit (3 x 0.1 s) more
    # than twice over, though the server pings only once a second.
    await heard.wait_count(KIND_PONG, 8, stop=lambda: client.closed)
    assert not client.closed
    await client.send(b"still there?")
    assert await client.recv() == b"still there?"


# ------------------------------------------------------------------------------------------------ close


async def test_client_close_gives_connection_closed_after_pending_messages(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    collector = Collector()
    server = await net.serve(alice, collector, config=FAST)
    client = await net.connect(server.port, bob, config=FAST)
    await client.send(b"one")
    await client.send(b"two")
    await client.close()
    ending = await asyncio.wait_for(collector.ending("client"), PATIENCE)
    assert type(ending) is ConnectionClosed
    assert collector.messages["client"] == [b"one", b"two"]
    assert client.closed
    with pytest.raises(ConnectionClosed):
        await client.send(b"three")
    with pytest.raises(ConnectionClosed):
        await client.recv()
    await client.close()  # idempotent


async def test_server_side_close_raises_connection_closed_on_client(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    async def say_goodbye(conn: SecureConnection) -> None:
        await conn.send(b"goodbye")
        # returning closes the connection

    server = await net.serve(alice, say_goodbye, config=FAST)
    client = await net.connect(server.port, bob, config=FAST)
    assert await client.recv() == b"goodbye"
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(client.recv(), PATIENCE)
    with pytest.raises(ConnectionClosed):
        await client.send(b"late")


async def test_server_close_closes_live_connections(alice: Ed25519PrivateKey, bob: Ed25519PrivateKey) -> None:
    server = await serve(HOST, 0, alice, name="server", on_connection=hold, config=FAST)
    clients = [await connect(HOST, server.port, bob, name=f"c{i}", config=FAST) for i in range(3)]
    await server.close()
    for client in clients:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(client.recv(), PATIENCE)
        await client.close()
    with pytest.raises(ConnectFailed):
        await connect(HOST, server.port, bob, name="late", config=FAST)


async def test_error_in_on_connection_does_not_affect_the_listener(
    net: Net, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey
) -> None:
    calls = 0

    async def flaky(conn: SecureConnection) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("bug in the application")
        await echo(conn)

    server = await net.serve(alice, flaky, config=FAST)
    first = await net.connect(server.port, bob, config=FAST)
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(first.recv(), PATIENCE)
    second = await net.connect(server.port, bob, config=FAST)
    await second.send(b"works")
    assert await second.recv() == b"works"


async def test_context_managers_close(alice: Ed25519PrivateKey, bob: Ed25519PrivateKey) -> None:
    async with await serve(HOST, 0, alice, name="s", on_connection=echo, config=FAST) as server:
        async with await connect(HOST, server.port, bob, name="c", config=FAST) as client:
            await client.send(b"x")
            assert await client.recv() == b"x"
        assert client.closed


# ------------------------------------------------------------------------------------------ edge cases


async def test_connect_to_closed_port_raises_connect_failed(bob: Ed25519PrivateKey) -> None:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectFailed):
        await connect(HOST, port, bob, name="c", config=FAST)


async def test_handshake_timeout_on_client(net: Net, bob: Ed25519PrivateKey) -> None:
    """A responder that accepts TCP but never answers: connect gives up after handshake_timeout."""

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        net.fake_tasks.add(task)
        with contextlib.suppress(Exception):
            await reader.read()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

    fake = await asyncio.start_server(mute, HOST, 0)
    net.fakes.append(fake)
    start = time.monotonic()
    with pytest.raises(HandshakeFailed, match=r"timed out after 0\.5 s"):  # FAST's, not the default 10 s
        await connect(HOST, int(fake.sockets[0].getsockname()[1]), bob, name="c", config=FAST)
    assert time.monotonic() - start >= 0.5 - 0.01


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        TransportConfig(heartbeat_interval=0)
    with pytest.raises(ValueError):
        TransportConfig(max_message=-1)
    with pytest.raises(ValueError):
        TransportConfig(protocol_version=70_000)
    with pytest.raises(ValueError):
        check_name("x" * 65)
    with pytest.raises(ValueError):
        check_port(0)


async def test_invalid_local_arguments_fail_before_connecting(bob: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError):
        await connect(HOST, 1, bob, name="bad\nname")
    with pytest.raises(ValueError):
        await connect(HOST, 1, bob, name="c", expected_key=b"short")
    with pytest.raises(ValueError):
        await connect(HOST, 1, bob, name="c", listen_port=65_536)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_payload_parser_only_raises_handshake_failed_on_bytes(data: bytes) -> None:
    with contextlib.suppress(HandshakeFailed):
        validate_hello(unpack_hello(data))


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.binary(max_size=70),
    st.text(max_size=70),
    st.floats(),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["v", "key", "sig", "name", "port", "x"]), _values))
def test_payload_validator_only_raises_handshake_failed_on_maps(fields: dict[str, Any]) -> None:
    packed = msgpack.packb(fields, use_bin_type=True)
    with contextlib.suppress(HandshakeFailed):
        hello = validate_hello(unpack_hello(packed))
        assert len(hello.key) == 32 and len(hello.sig) == 64 and len(hello.name) <= 64


async def test_measure_handshake_ms() -> None:
    median = await measure_handshake_ms(rounds=5)
    assert 0 < median < 1000


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_any_profile_name_becomes_a_name_the_handshake_takes(name: str) -> None:
    """`hello_name` turns whatever an older version let into a profile into a name every peer accepts;
    a name the handshake takes already is sent as it is."""
    sent = hello_name(name)
    assert check_name(sent) == sent
    if name == name.strip() and len(name) <= MAX_NAME_LENGTH:
        with contextlib.suppress(ValueError):
            assert hello_name(check_name(name)) == name
