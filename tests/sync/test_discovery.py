"""mDNS discovery: pure parsing, real zeroconf on 127.0.0.1, and real hosts in network namespaces."""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from reliance.limits import Limits
from reliance.net import discovery as discovery_module
from reliance.net.discovery import (
    SERVICE_TYPE,
    DiscoveredPeer,
    Discovery,
    InterfaceAddress,
    InvalidAdvertisement,
    advertised_addresses,
    clean_display_name,
    encode_txt,
    instance_name,
    parse_txt,
)
from tests.net.cluster import random_service_type
from tests.netns import netns_network, python_env, require_namespaces

LOOPBACK = ["127.0.0.1"]
# How long a test waits for what must happen: only stops a test that hangs (never what it checks).
PATIENCE = 30.0


# ------------------------------------------------------------------------------------ pure functions


def test_encode_then_parse_roundtrip() -> None:
    txt = encode_txt("Kpeer-id_1=", "  Zoé\x07 au festival ", 3, announce=True)
    assert txt == {"id": "Kpeer-id_1=", "name": "Zoé au festival", "pv": "3"}
    raw = {k.encode(): v.encode() for k, v in txt.items()}
    assert parse_txt(raw) == ("Kpeer-id_1=", "Zoé au festival", 3)


def test_by_default_the_advert_says_only_the_protocol_version() -> None:
    txt = encode_txt("Kpeer-id_1=", "Zoé", 3)
    assert txt == {"pv": "3"}
    assert parse_txt({b"pv": b"3"}) == ("", "", 3)
    assert parse_txt({b"pv": b"3", b"name": b"sans id"}) == ("", "", 3)  # a name without an id: dropped


@pytest.mark.parametrize(
    "props",
    [
        {},
        {b"id": b"a", b"name": b"n"},  # no pv
        {b"id": None, b"name": b"n", b"pv": b"1"},  # key without value
        {b"pv": None},
        {b"id": b"", b"name": b"n", b"pv": b"1"},
        {b"id": b"has space", b"name": b"n", b"pv": b"1"},
        {b"id": "é".encode(), b"name": b"n", b"pv": b"1"},
        {b"id": b"x" * 129, b"name": b"n", b"pv": b"1"},
        {b"id": b"a", b"name": b"\xff\xfe", b"pv": b"1"},
        {b"id": b"a", b"name": b"n", b"pv": b"one"},
        {b"id": b"a", b"name": b"n", b"pv": b"-1"},
        {b"id": b"a", b"name": b"n", b"pv": b" 1"},
        {b"id": b"a", b"name": b"n", b"pv": b"1_0"},
        {b"id": b"a", b"name": b"n", b"pv": "١".encode()},  # Arabic-Indic digit: int() would accept it
        {b"id": b"a", b"name": b"n", b"pv": b"65536"},
    ],
)
def test_parse_txt_rejects_junk(props: dict[bytes, bytes | None]) -> None:
    with pytest.raises(InvalidAdvertisement):
        parse_txt(props)


def test_parse_txt_ignores_unknown_keys_and_cleans_name() -> None:
    props = {b"id": b"abc", b"name": ("x" * 100 + "\n").encode(), b"pv": b"65535", b"future": b"1"}
    assert parse_txt(props) == ("abc", "x" * 64, 65535)


def test_clean_display_name() -> None:
    assert clean_display_name("\u202eevil\u200b name\t") == "evil name"
    assert clean_display_name("") == ""


def test_instance_names_are_random_and_dns_safe() -> None:
    names = {instance_name(SERVICE_TYPE) for _ in range(20)}
    assert len(names) == 20
    for name in names:
        label = name.removesuffix("." + SERVICE_TYPE)
        assert re.fullmatch(r"reliance-[0-9a-f]{12}", label), name


def test_advertised_addresses() -> None:
    interfaces = [
        InterfaceAddress("lo", "127.0.0.1", 8, True, False),
        InterfaceAddress("wlan0", "192.168.1.20", 24, True, True),
        InterfaceAddress("eth0", "10.0.0.9", 24, False, True),  # cable unplugged
        InterfaceAddress("docker0", "172.17.0.1", 16, None, None),  # state unknown: kept
    ]
    assert advertised_addresses(None, interfaces) == ("172.17.0.1", "192.168.1.20")
    assert advertised_addresses(["wlan0", "127.0.0.1"], interfaces) == ("127.0.0.1", "192.168.1.20")
    assert advertised_addresses(["eth0"], interfaces) == ()
    assert advertised_addresses(None, interfaces[:1]) == ("127.0.0.1",)  # no network: same-machine only


def test_constructor_rejects_bad_arguments() -> None:
    def make(**kw: Any) -> Discovery:
        args: dict[str, Any] = dict(
            peer_id="p", name="n", port=7000, protocol_version=1, on_found=print, on_lost=print
        )
        return Discovery(**(args | kw))

    bad_arguments: list[dict[str, Any]] = [
        {"port": 0},
        {"peer_id": "a b", "announce": True},
        {"protocol_version": 70000},
        {"service_type": "bad"},
    ]
    for bad in bad_arguments:
        with pytest.raises(ValueError):
            make(**bad)


# ------------------------------------------------------------------------------------ loopback nodes


@dataclass
class Node:
    discovery: Discovery
    found: list[DiscoveredPeer]
    lost: list[DiscoveredPeer]

    @property
    def lost_ids(self) -> list[str]:
        return [p.peer_id for p in self.lost]

    @property
    def seen_ids(self) -> set[str]:
        return {p.peer_id for p in self.discovery.peers.values()}

    @property
    def peer_id(self) -> str:
        return self.discovery.peer_id


class Cluster:
    """Discovery nodes on 127.0.0.1 sharing a random service type."""

    def __init__(self) -> None:
        self.service_type = random_service_type()
        self.nodes: list[Node] = []

    async def start(self, count: int, *, ids: list[str] | None = None, announce: bool = True) -> list[Node]:
        new = []
        for i in range(count):
            n = len(self.nodes)
            found: list[DiscoveredPeer] = []
            lost: list[DiscoveredPeer] = []
            discovery = Discovery(
                peer_id=ids[i] if ids else f"peer-{n}-{secrets.token_hex(8)}",
                name=f"Node {n}",
                port=7000 + n,
                protocol_version=1,
                on_found=found.append,
                on_lost=lost.append,
                service_type=self.service_type,
                interfaces=LOOPBACK,
                announce=announce,
            )
            self.nodes.append(Node(discovery, found, lost))
            new.append(self.nodes[-1])
        await asyncio.gather(*(node.discovery.start() for node in new))
        return new


async def wait_until(predicate: Callable[[], bool], timeout: float) -> float:
    """Poll ``predicate``; return the elapsed time, fail after ``timeout`` seconds."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    """A Cluster whose nodes are all stopped at the end; fails if threads or asyncio tasks leak."""
    threads = set(threading.enumerate())
    cluster = Cluster()
    try:
        yield cluster
    finally:
        await asyncio.gather(*(node.discovery.stop() for node in cluster.nodes))
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not tasks, f"leaked tasks: {tasks}"
    assert set(threading.enumerate()) <= threads, "leaked threads"


def full_mesh(nodes: list[Node]) -> bool:
    ids = {n.peer_id for n in nodes}
    return all(n.seen_ids == ids - {n.peer_id} and len(n.discovery.peers) == len(ids) - 1 for n in nodes)


async def test_two_nodes_find_each_other(cluster: Cluster) -> None:
    before = time.time()
    t0 = time.monotonic()
    a, b = await cluster.start(2)
    started = time.monotonic() - t0
    await wait_until(lambda: full_mesh([a, b]), timeout=PATIENCE)
    print(f"\nloopback, 2 nodes: start() {started:.2f} s, full mesh {time.monotonic() - t0:.2f} s")
    [peer] = a.discovery.peers.values()
    assert (peer.name, peer.port, peer.protocol_version, peer.addresses) == ("Node 1", 7001, 1, ["127.0.0.1"])
    assert before <= peer.seen_at <= time.time()  # a wall-clock time, of when it was seen
    assert a.found == [peer]  # on_found once, own advertisement ignored
    assert [p.peer_id for p in b.found] == [a.peer_id]
    assert a.discovery.instance_name is not None
    assert a.discovery.instance_name.endswith(cluster.service_type)
    assert a.discovery.addresses == ["127.0.0.1"]


async def test_by_default_nodes_find_each_other_without_a_name_or_a_stable_id(cluster: Cluster) -> None:
    a, b = await cluster.start(2, announce=False)
    await wait_until(lambda: len(a.discovery.peers) == 1 and len(b.discovery.peers) == 1, timeout=PATIENCE)
    for node, other in ((a, b), (b, a)):
        [seen] = node.discovery.peers.values()
        assert (seen.peer_id, seen.name, seen.port, seen.addresses) == (
            "",
            "",
            other.discovery._port,
            LOOPBACK,
        )
        assert seen.instance == (other.discovery.instance_name or "").lower()
    # What anyone on the network reads in the advert: the protocol version, nothing that names a person.
    aiozc = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    try:
        name = a.discovery.instance_name
        assert name is not None
        info = AsyncServiceInfo(cluster.service_type, name)
        assert await info.async_request(aiozc.zeroconf, 3000)
        assert set(info.properties) == {b"pv"}
        assert a.peer_id[:8] not in name and "Node" not in name
        assert a.peer_id.encode() not in (info.server or "").encode()
    finally:
        await aiozc.async_close()
    # A new run is a new instance: nothing links two appearances of the same node.
    before = a.discovery.instance_name
    await a.discovery.stop()
    await a.discovery.start()
    assert a.discovery.instance_name not in (None, before)


async def test_three_nodes_full_mesh_and_clean_stop(cluster: Cluster) -> None:
    t0 = time.monotonic()
    nodes = await cluster.start(3)
    await wait_until(lambda: full_mesh(nodes), timeout=PATIENCE)
    print(f"\nloopback, 3 nodes: full mesh {time.monotonic() - t0:.2f} s")
    leaving, *staying = nodes
    stopping = asyncio.create_task(leaving.discovery.stop())
    # Without a goodbye the others would only notice when the records expire (75 min).
    noticed = await wait_until(lambda: all(leaving.peer_id in n.lost_ids for n in staying), timeout=PATIENCE)
    print(f"loopback: clean stop noticed {noticed:.2f} s after stop() began")
    await stopping
    assert all(leaving.peer_id not in n.seen_ids for n in staying)
    assert all(n.seen_ids == {m.peer_id for m in staying} - {n.peer_id} for n in staying)
    assert leaving.discovery.peers == {}


async def test_name_conflict_is_renamed(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    # Instance names are random; force two alike: zeroconf renames the later one. (It has no tie-break for
    # two nodes probing the same name at the same moment, hence one after the other here.)
    monkeypatch.setattr(discovery_module, "instance_name", lambda service_type: f"same.{service_type}")
    (a,) = await cluster.start(1)
    (b,) = await cluster.start(1)
    await wait_until(lambda: full_mesh([a, b]), timeout=PATIENCE)
    names = {a.discovery.instance_name, b.discovery.instance_name}
    assert len(names) == 2
    assert any(n and n.startswith("same-2.") for n in names)


async def test_reannounce_recreates_zeroconf(cluster: Cluster) -> None:
    a, b = await cluster.start(2)
    await wait_until(lambda: full_mesh([a, b]), timeout=PATIENCE)
    await a.discovery.reannounce()
    # Re-creating sends goodbyes, then the node is found again.
    await wait_until(lambda: b.lost_ids == [a.peer_id] and len(b.found) == 2, timeout=PATIENCE)
    assert a.peer_id in b.seen_ids
    assert await a.discovery.check_interfaces() is False  # loopback only: nothing changes


async def test_malformed_txt_is_ignored(
    cluster: Cluster, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG, logger="reliance.net.discovery")
    service_type = cluster.service_type
    (node,) = await cluster.start(1)
    own_id = node.peer_id
    resolved: set[str] = set()  # services whose resolution ran to its end (a cancelled one runs again)
    resolve = node.discovery._resolve

    async def recorded(name: str, zeroconf: Any) -> None:
        await resolve(name, zeroconf)
        resolved.add(name.lower())

    monkeypatch.setattr(node.discovery, "_resolve", recorded)
    junk: list[dict[str, Any] | bytes] = [
        {"name": "no pv", "id": "x"},
        {"id": "bad id", "name": "space in id", "pv": "1"},
        {"id": "x", "name": "n", "pv": "NaN"},
        {"id": "x", "name": b"\xff\xfe\xfd", "pv": "1"},
        {"id": own_id, "name": "impostor of ourselves", "pv": "1"},
        b"\x05id=ab\x09name\x02pv=",  # truncated entries, a key without a value, an empty entry
        b"",
    ]

    def service(label: str, port: int, properties: dict[str, Any] | bytes) -> AsyncServiceInfo:
        return AsyncServiceInfo(
            service_type,
            f"{label}.{service_type}",
            port=port,
            properties=properties,
            server=f"{label}-{secrets.token_hex(3)}.local.",
            parsed_addresses=["127.0.0.1"],
        )

    aiozc = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    try:
        infos = [service(f"junk{i}", 9000 + i, props) for i, props in enumerate(junk)]
        # Also a service with a valid TXT but port 0, and finally a good one to prove we are still alive.
        infos.append(service("zeroport", 0, {"id": "zp", "name": "n", "pv": "1"}))
        infos.append(service("good", 9100, {"id": "good", "name": "Good", "pv": "2"}))
        # cooperating_responders: skip the name probing (~1 s per service), the names are unique anyway.
        await asyncio.gather(*(aiozc.async_register_service(i, cooperating_responders=True) for i in infos))
        names = {info.name.lower() for info in infos}
        await wait_until(lambda: names <= resolved, timeout=PATIENCE)  # every one was looked at, to its end
        assert node.seen_ids == {"good"}
        assert [p.peer_id for p in node.found] == ["good"]
        [good] = node.discovery.peers.values()
        assert good.protocol_version == 2
        malformed = [r for r in caplog.records if "malformed" in r.getMessage()]
        assert len(malformed) >= 4
        assert all(r.levelno == logging.DEBUG for r in malformed)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        await aiozc.async_close()


# ------------------------------------------------------------------------------------ network namespaces


class EventStream:
    """JSON lines from a selftest process, read by a thread into a queue."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.events: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with_json = line.strip()
            if with_json.startswith("{"):
                self._queue.put(json.loads(with_json))
        self._queue.put(None)

    def drain(self) -> None:
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return
            if event is not None:
                self.events.append(event)

    def found(self) -> dict[str, dict[str, Any]]:
        return {e["peer"]["peer_id"]: e["peer"] for e in self.events if e["event"] == "found"}

    def close(self) -> None:
        self._thread.join(timeout=5)


def wait_for(predicate: Callable[[], bool], streams: list[EventStream], timeout: float) -> float:
    start = time.monotonic()
    while True:
        for stream in streams:
            stream.drain()
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s: {[s.events for s in streams]}")
        time.sleep(0.02)


@pytest.mark.netns
def test_three_hosts_in_namespaces() -> None:
    require_namespaces()
    service_type = random_service_type()
    env = python_env()
    with netns_network(3) as net:
        ids = [f"ns-node-{i}-{secrets.token_hex(4)}" for i in range(3)]
        t0 = time.monotonic()

        def selftest(i: int) -> list[str]:
            return [
                *(sys.executable, "-m", "reliance.net.discovery", "--selftest"),
                *("--peer-id", ids[i], "--name", f"Host {i}", "--port", str(7000 + i), "--announce"),
                *("--service-type", service_type, "--reannounce-interval", "0.5", "--duration", "30"),
            ]

        popen = [net.popen(i, selftest(i), stdout=subprocess.PIPE, text=True, env=env) for i in range(3)]
        streams = [EventStream(proc) for proc in popen]
        try:

            def mesh() -> bool:
                return all(set(s.found()) == set(ids) - {ids[i]} for i, s in enumerate(streams))

            wait_for(mesh, streams, timeout=PATIENCE)
            total = time.monotonic() - t0
            inner = max(e["t"] for s in streams for e in s.events if e["event"] == "found")
            print(f"\nnamespaces, 3 hosts: full mesh {total:.2f} s after spawn ({inner:.2f} s after start)")
            for i, stream in enumerate(streams):
                for j, peer in stream.found().items():
                    k = ids.index(j)
                    assert peer["addresses"] == [net.nodes[k].address]
                    assert (peer["name"], peer["port"], peer["protocol_version"]) == (
                        f"Host {k}",
                        7000 + k,
                        1,
                    )
                assert not [e for e in stream.events if e["event"] == "lost"], i

            # An interface change (a new address on host 0) is re-announced to the others.
            t1 = time.monotonic()
            net.add_address(0, "10.231.0.200")
            wait_for(
                lambda: all("10.231.0.200" in s.found()[ids[0]]["addresses"] for s in streams[1:]),
                streams,
                timeout=PATIENCE,  # without a new announcement: never (the records live 75 min)
            )
            print(f"namespaces: new address seen by the others after {time.monotonic() - t1:.2f} s")
            assert not [e for s in streams for e in s.events if e["event"] == "lost"]  # no goodbye on the way

            # A clean stop is noticed by the others.
            t2 = time.monotonic()
            streams[0].proc.terminate()
            wait_for(
                lambda: all(any(e.get("peer_id") == ids[0] for e in s.events) for s in streams[1:]),
                streams,
                timeout=PATIENCE,  # without a goodbye: when the records expire (75 min)
            )
            print(f"namespaces: clean stop noticed after {time.monotonic() - t2:.2f} s")
            assert streams[0].proc.wait(timeout=PATIENCE) == 0
        finally:
            net.close()
            for stream in streams:
                stream.close()


def test_the_adverts_tracked_at_once_are_bounded() -> None:
    found: list[DiscoveredPeer] = []
    discovery = Discovery(
        peer_id="p",
        name="n",
        port=7000,
        protocol_version=1,
        on_found=found.append,
        on_lost=print,
        limits=Limits().replace(max_discovered_services=3),
    )
    for i in range(10):
        instance = f"flood-{i}.{SERVICE_TYPE}"
        discovery._accept(instance, DiscoveredPeer("", "", ["10.0.0.1"], 7000 + i, 1, 0.0, instance))
    assert len(discovery.peers) == 3 and len(found) == 3
