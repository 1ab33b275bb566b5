"""The owner's local API against hostile and clumsy clients, over its real Unix socket, with a real node.

Every test keeps a well-behaved client beside the bad one and checks that it is served at once: a frame
over the cap, garbage, a slow client, too many clients, a client that vanishes mid-request, a subscriber
that stops reading. And the ownership rules: one owner per home, a socket only its user reaches.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from reliance.app.workspace import Workspace
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.localapi import unix
from reliance.localapi.client import AsyncApiClient
from reliance.localapi.owner import HomeOwned, Owner
from reliance.localapi.ownership import current_owner, socket_path
from reliance.localapi.protocol import (
    BAD_REQUEST,
    BUSY,
    HEADER,
    Event,
    FrameDecoder,
    Response,
    decode_body,
    encode_frame,
    parse_server_message,
    request_frame,
)
from reliance.net.config import NodeConfig
from reliance.net.node import Node

PATIENCE = 20.0  # only stops a test that hangs

SMALL = DEFAULT_LIMITS.replace(
    localapi_max_request=4096,
    localapi_max_clients=4,
    localapi_frame_seconds=1,
    localapi_outbox_bytes=64 * 1024,
)


def make_owner(home: Path, limits: Limits = SMALL, kind: str = "serve") -> Owner:
    ws = Workspace.open(home) if home.exists() else Workspace.create(home, "Alice")
    config = NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False, limits=limits)
    return Owner(ws, Node(ws, config), kind)


@pytest.fixture
async def owner(tmp_path: Path) -> AsyncIterator[Owner]:
    started = make_owner(tmp_path / "home")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


class Raw:
    """A client that sends exactly the bytes it is told to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = FrameDecoder(1 << 24)
        self.ready: list[Response | Event] = []

    @classmethod
    async def open(cls, home: Path) -> Raw:
        sock = unix.connect(socket_path(home), 5)
        sock.setblocking(False)
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def next(self) -> Response | Event | None:
        """The next message, or None at the end of the connection."""
        async with asyncio.timeout(PATIENCE):
            while not self.ready:
                data = await self.reader.read(1 << 16)
                if not data:
                    return None
                for body in self.decoder.feed(data):
                    self.ready.append(parse_server_message(decode_body(body, 1 << 24, max_map=1 << 20)))
        return self.ready.pop(0)

    async def ended(self) -> bool:
        """Read until the owner closes the connection (True), whatever it sends before."""
        while True:
            try:
                if await self.next() is None:
                    return True
            except ConnectionError:
                return True

    def close(self) -> None:
        self.writer.transport.abort()


async def good_client(home: Path, events: list[Event] | None = None) -> AsyncApiClient:
    return await AsyncApiClient.connect(
        home, (events.append if events is not None else lambda e: None), lambda: None, DEFAULT_LIMITS
    )


async def served(home: Path) -> None:
    """A well-behaved client is answered at once."""
    client = await good_client(home)
    try:
        async with asyncio.timeout(5):
            assert (await client.call("whoami"))["name"] == "Alice"
    finally:
        await client.close()


async def wait_for(condition: Callable[[], object], what: str) -> None:
    async with asyncio.timeout(PATIENCE):
        while not condition():
            await asyncio.sleep(0.02)
    del what


async def test_a_frame_over_the_cap_ends_that_connection_only(owner: Owner) -> None:
    raw = await Raw.open(owner.home)
    hello = await raw.next()
    assert isinstance(hello, Event) and hello.kind == "hello" and hello.data["owner"] == "serve"
    await raw.send(HEADER.pack(SMALL.localapi_max_request + 1))  # no body follows: none is waited for
    refused = await raw.next()
    assert isinstance(refused, Response) and refused.code == BAD_REQUEST and "4097 bytes" in refused.message
    assert await raw.ended()
    await served(owner.home)


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        HEADER.pack(5) + b"\xc1\xc1\xc1\xc1\xc1",
        HEADER.pack(3) + b"\x92\x01\x02",  # msgpack, but not a map
        HEADER.pack(4) + b"\xdf\xff\xff\xff",  # a map announcing four billion entries
    ],
)
async def test_garbage_ends_that_connection_only(owner: Owner, garbage: bytes) -> None:
    raw = await Raw.open(owner.home)
    await raw.next()
    await raw.send(garbage)
    assert await raw.ended()
    await served(owner.home)


async def test_a_bad_request_is_answered_and_the_connection_goes_on(owner: Owner) -> None:
    raw = await Raw.open(owner.home)
    await raw.next()
    await raw.send(encode_frame({"id": 7, "op": "item.add", "args": {"kind": 3}}))
    await raw.send(encode_frame({"id": 8, "nonsense": True}))
    await raw.send(request_frame(9, "whoami"))
    answers = [await raw.next() for _ in range(3)]
    assert [(a.id, a.ok, a.code) for a in answers if isinstance(a, Response)] == [
        (7, False, BAD_REQUEST),
        (8, False, BAD_REQUEST),
        (9, True, ""),
    ]
    raw.close()


async def test_a_slow_client_is_dropped_and_never_delays_the_others(owner: Owner) -> None:
    raw = await Raw.open(owner.home)
    await raw.next()
    await raw.send(HEADER.pack(100) + b"\x80" * 10)  # a frame started, then nothing more
    await served(owner.home)  # while the slow one still holds its half frame
    assert await raw.ended()  # dropped after `localapi_frame_seconds`


async def test_beyond_the_most_clients_a_newcomer_is_told_busy(owner: Owner) -> None:
    server = owner.server
    assert server is not None
    held = [await Raw.open(owner.home) for _ in range(SMALL.localapi_max_clients)]
    for raw in held:
        assert isinstance(await raw.next(), Event)
    extra = await Raw.open(owner.home)
    busy = await extra.next()
    assert isinstance(busy, Response) and busy.code == BUSY
    assert await extra.ended()
    held.pop().close()
    await wait_for(lambda: server.clients < SMALL.localapi_max_clients, "a place freed")
    await served(owner.home)
    for raw in held:
        raw.close()


async def test_a_client_that_vanishes_mid_request_changes_nothing_for_the_others(owner: Owner) -> None:
    events: list[Event] = []
    watcher = await good_client(owner.home, events)
    await watcher.call("subscribe")
    raw = await Raw.open(owner.home)
    await raw.next()
    await raw.send(request_frame(1, "item.add", {"kind": "offer", "title": "Vélo cargo"}))
    raw.close()  # gone before its answer
    # The write it asked for is made and announced once, to the subscribers as to the peers.
    await wait_for(lambda: any(e.kind == "documents" for e in events), "the write announced")
    (announced,) = [e for e in events if e.kind == "documents"]
    assert announced.data == {"doc_ids": [owner.ws.peer_id], "origin": "api"}
    assert [i.title for i in owner.ws.items()] == ["Vélo cargo"]
    await served(owner.home)
    await watcher.close()


async def test_a_subscriber_that_stops_reading_is_dropped_alone(owner: Owner) -> None:
    server = owner.server
    assert server is not None
    raw = await Raw.open(owner.home)
    await raw.next()
    await raw.send(request_frame(1, "subscribe"))
    assert isinstance(await raw.next(), Response)
    watching = server.subscribers
    # It reads nothing more: what the owner publishes piles up in its outbox, never in the owner's loop.
    for _ in range(400):
        server.publish("test", {"blob": "x" * 60_000})
        await asyncio.sleep(0)
        if server.subscribers < watching:
            break
    await wait_for(lambda: server.subscribers < watching, "the subscriber that does not read dropped")
    await served(owner.home)
    raw.close()


async def test_one_owner_per_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = make_owner(home)
    await first.start()
    try:
        assert current_owner(home) == {"pid": os.getpid(), "kind": "serve"}
        second = make_owner(home, kind="app")
        with pytest.raises(HomeOwned, match=r"owned by 'reliance serve' \(pid \d+\)"):
            await second.start()
        await served(home)  # the refused one did not touch the first one's socket
    finally:
        await first.stop()
    assert current_owner(home) is None and not socket_path(home).exists()
    third = make_owner(home, kind="app")
    await third.start()
    try:
        assert current_owner(home) == {"pid": os.getpid(), "kind": "app"}
        await served(home)
    finally:
        await third.stop()


async def test_the_socket_is_private_and_never_reached_through_a_link(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Workspace.create(home, "Alice")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    socket_path(home).symlink_to(elsewhere / "api.sock")  # planted before the owner starts
    owner = make_owner(home)
    await owner.start()
    try:
        info = os.lstat(socket_path(home))
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
        assert not (elsewhere / "api.sock").exists()  # the link was replaced, its target never made
        link = tmp_path / "link-home"
        link.mkdir(mode=0o700)
        (link / "api.sock").symlink_to(socket_path(home))
        with pytest.raises(unix.NoOwner, match="not this user's socket"):
            unix.connect(link / "api.sock", 1)
    finally:
        await owner.stop()
    (socket_path(home)).write_text("not a socket")
    blocked = make_owner(home)
    with pytest.raises(Exception, match="in the way"):
        await blocked.start()
    assert current_owner(home) is None  # the lock was given back


async def test_a_long_home_path_is_served(tmp_path: Path) -> None:
    home = tmp_path / ("deep-" * 20) / "home"  # beyond what a socket address holds
    home.parent.mkdir(parents=True)
    owner = make_owner(home)
    await owner.start()
    try:
        assert len(os.fsencode(socket_path(home))) > 108
        await served(home)
    finally:
        await owner.stop()


async def test_node_operations_and_status(owner: Owner) -> None:
    events: list[Event] = []
    client = await good_client(owner.home, events)
    try:
        status: dict[str, Any] = await client.call("status")
        assert status["owner"] == "serve" and status["peer_id"] == owner.ws.peer_id
        assert status["listen"].startswith("127.0.0.1:")
        assert await client.call("peers") == []
        added = await client.call("peer.add", {"address": "127.0.0.1:9"})
        assert added == {"address": "127.0.0.1:9"}
        assert (await client.call("refresh", {"doc_ids": ["../../etc", owner.ws.peer_id]})) == {"changed": []}
    finally:
        await client.close()
