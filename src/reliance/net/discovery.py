"""Finding peers on the local network with mDNS / DNS-SD (python-zeroconf).

Each node advertises one service instance of type ``_reliance._tcp.local.``. By default the advert names
nobody: its instance name is random and new at every start (``reliance-`` and 12 hex digits), its host name
too, and its TXT record carries only

- ``pv``: the protocol version, a decimal integer.

Whoever answers at the advertised address proves who they are in the transport handshake, where both sides
learn the other's key and name. A node whose owner chose to announce itself (``announce``, the setting
``reliance config set announce on``) adds

- ``id``: its peer id (only a *claim*: nothing in mDNS is authenticated; the handshake proves it or not);
- ``name``: a display name (never taken over a name the peer gave in its handshake).

:class:`Discovery` browses for the same type, resolves every instance it sees
(``AsyncServiceInfo.async_request``), validates the TXT data and reports adverts through ``on_found``,
keyed by their instance name (at most ``Limits.max_discovered_services`` at once). Its own advertisement is
ignored; malformed advertisements are logged at debug level and ignored. The zeroconf callbacks only parse
and hand off: resolution runs in tasks, never in the callback.

**Liveness is not judged from mDNS.** zeroconf notices a *clean* goodbye almost at once (``on_lost``), but a
peer that crashed, lost its battery or walked out of Wi-Fi range is not reported gone in useful time (its PTR
record lives ~20 minutes in zeroconf's cache). ``on_lost`` is therefore only a hint that a peer left cleanly:
use mDNS to *find* peers, TCP heartbeats to know they are *alive*, and re-resolve after a disconnect.

Network changes: the set of usable IPv4 interface addresses is polled every ``reannounce_interval`` seconds
(``ifaddr``); when it changed, the sockets and the advertised addresses are updated and the service is
re-announced (``async_update_interfaces`` on zeroconf >= 0.150; on older versions the zeroconf instance is
re-created and the service registered again, which peers see as a goodbye followed by a new arrival).
:meth:`Discovery.reannounce` forces a fresh zeroconf instance, e.g. after the machine wakes up.

Only IPv4 is used (IPv6 link-local addresses need scope ids that the transport does not handle).

Selftest entry (used by the network-namespace tests)::

    python -m reliance.net.discovery --selftest --peer-id ID [--announce] [--port P] [--service-type T]
        [--interface IP]

prints one JSON line per event (``started``, ``found``, ``lost``, ``stopped``) until SIGTERM/SIGINT or
``--duration`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import secrets
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import ifaddr
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from reliance.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "SERVICE_TYPE",
    "DiscoveredPeer",
    "Discovery",
    "InterfaceAddress",
    "InvalidAdvertisement",
    "advertised_addresses",
    "clean_display_name",
    "encode_txt",
    "list_ipv4_interfaces",
    "parse_txt",
    "peer_from_service_info",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SERVICE_TYPE = "_reliance._tcp.local."

MAX_PEER_ID_LENGTH = 128
MAX_NAME_LENGTH = 64
MAX_PROTOCOL_VERSION = 65535
RESOLVE_TIMEOUT_MS = 3000

_PEER_ID_RE = re.compile(rf"[\x21-\x7e]{{1,{MAX_PEER_ID_LENGTH}}}")  # printable ASCII, no space
_PV_RE = re.compile(rb"[0-9]{1,5}")
_SERVICE_TYPE_RE = re.compile(r"_[A-Za-z0-9](?:[A-Za-z0-9-]{0,14})\._(?:tcp|udp)\.local\.")

# Linux interface flags (include/uapi/linux/if.h).
_IFF_UP = 0x1
_IFF_MULTICAST = 0x1000
_SYS_NET = Path("/sys/class/net")

# zeroconf >= 0.150 can reconcile its sockets with the live interface set without being re-created.
_HAS_UPDATE_INTERFACES = hasattr(AsyncZeroconf, "async_update_interfaces")


class InvalidAdvertisement(ValueError):
    """A service advertisement that is not a well-formed reliance advertisement."""


@dataclass(frozen=True)
class DiscoveredPeer:
    """An advert seen on the local network. ``peer_id`` and ``name`` are "" unless the node announces itself
    (and are then claims, not proofs); ``instance`` is the lower-cased service instance name; ``seen_at`` is
    Unix time of the last resolution."""

    peer_id: str
    name: str
    addresses: list[str]
    port: int
    protocol_version: int
    seen_at: float
    instance: str = ""

    def same_advertisement(self, other: DiscoveredPeer) -> bool:
        """True when both carry the same data (ignoring ``seen_at``)."""
        return (self.peer_id, self.name, self.addresses, self.port, self.protocol_version, self.instance) == (
            other.peer_id,
            other.name,
            other.addresses,
            other.port,
            other.protocol_version,
            other.instance,
        )


# --------------------------------------------------------------------------------------------- pure functions


def clean_display_name(name: str) -> str:
    """Remove control/format characters and surrounding blanks, and cut to MAX_NAME_LENGTH characters."""
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return kept.strip()[:MAX_NAME_LENGTH].strip()


def _check_peer_id(peer_id: str) -> str:
    if not _PEER_ID_RE.fullmatch(peer_id):
        raise InvalidAdvertisement(f"peer id must be 1-{MAX_PEER_ID_LENGTH} printable ASCII characters")
    return peer_id


def encode_txt(peer_id: str, name: str, protocol_version: int, *, announce: bool = False) -> dict[str, str]:
    """The TXT properties advertised for a node: the protocol version, and the peer id and name only when
    it announces itself. Raises ValueError for an unusable peer id (when announced) or version."""
    if not 0 <= protocol_version <= MAX_PROTOCOL_VERSION:
        raise ValueError(f"protocol version out of range: {protocol_version}")
    if not announce:
        return {"pv": str(protocol_version)}
    _check_peer_id(peer_id)
    return {"id": peer_id, "name": clean_display_name(name), "pv": str(protocol_version)}


def parse_txt(properties: Mapping[bytes, bytes | None]) -> tuple[str, str, int]:
    """Validate TXT properties and return ``(peer_id, name, protocol_version)``; id and name are "" when
    the advert does not announce them (a name without an id is dropped: it would name nobody).

    Raises InvalidAdvertisement for a missing version, non-UTF-8 names, non-ASCII or oversized ids, a version
    that is not a plain decimal number, and so on. Unknown keys are ignored (room for later versions).
    """
    raw_id = properties.get(b"id", b"")
    raw_name = properties.get(b"name", b"")
    raw_pv = properties.get(b"pv")
    if raw_pv is None or raw_id is None or raw_name is None:
        raise InvalidAdvertisement("missing pv, or a key without a value")
    try:
        peer_id = raw_id.decode("ascii")
        name = raw_name.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidAdvertisement(f"undecodable TXT value: {exc}") from None
    if b"id" in properties:
        _check_peer_id(peer_id)
    if not _PV_RE.fullmatch(raw_pv) or int(raw_pv) > MAX_PROTOCOL_VERSION:
        raise InvalidAdvertisement(f"bad protocol version {raw_pv[:16]!r}")
    return peer_id, clean_display_name(name) if peer_id else "", int(raw_pv)


def _usable_remote_address(text: str) -> bool:
    try:
        addr = ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return not (addr.is_unspecified or addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255"))


def peer_from_service_info(info: AsyncServiceInfo, *, now: float | None = None) -> DiscoveredPeer:
    """Build a DiscoveredPeer from a resolved service, or raise InvalidAdvertisement."""
    peer_id, name, version = parse_txt(info.properties)
    port = info.port
    if port is None or not 1 <= port <= 65535:
        raise InvalidAdvertisement(f"bad port {port!r}")
    addresses = sorted({a for a in info.parsed_addresses(IPVersion.V4Only) if _usable_remote_address(a)})
    if not addresses:
        raise InvalidAdvertisement("no usable IPv4 address")
    return DiscoveredPeer(
        peer_id=peer_id,
        name=name,
        addresses=addresses,
        port=port,
        protocol_version=version,
        seen_at=time.time() if now is None else now,
        instance=info.name.lower(),
    )


def instance_name(service_type: str) -> str:
    """A service instance name that says nothing about its node: random, new at every start (zeroconf still
    renames it on the unlikely conflict)."""
    return f"reliance-{secrets.token_hex(6)}.{service_type}"


# --------------------------------------------------------------------------------------------- interfaces


@dataclass(frozen=True)
class InterfaceAddress:
    """An IPv4 address of a local interface. ``up``/``multicast`` are None when the platform cannot tell."""

    interface: str
    address: str
    prefix: int
    up: bool | None
    multicast: bool | None

    @property
    def is_loopback(self) -> bool:
        return ipaddress.IPv4Address(self.address).is_loopback

    @property
    def is_link_local(self) -> bool:
        return ipaddress.IPv4Address(self.address).is_link_local

    @property
    def is_usable(self) -> bool:
        """Reaches other machines: not loopback, and not known to be down."""
        return self.up is not False and not self.is_loopback


def _linux_link_state(interface: str) -> tuple[bool, bool] | None:
    """(up, multicast) from sysfs, or None when unknown. ``up`` needs IFF_UP and an operational link."""
    device = _SYS_NET / interface.split(":", 1)[0]  # aliases ("eth0:1") share the device's state
    try:
        flags = int((device / "flags").read_text().strip(), 16)
        operstate = (device / "operstate").read_text().strip()
    except (OSError, ValueError):
        return None
    # IFF_RUNNING is not exported in sysfs flags; operstate is "unknown" for loopback and some drivers.
    up = bool(flags & _IFF_UP) and operstate in ("up", "unknown")
    return up, bool(flags & _IFF_MULTICAST)


def list_ipv4_interfaces() -> list[InterfaceAddress]:
    """All local IPv4 interface addresses (loopback included), with their up/multicast state where known."""
    result: list[InterfaceAddress] = []
    for adapter in ifaddr.get_adapters():
        state = _linux_link_state(adapter.name) if sys.platform.startswith("linux") else None
        up, multicast = state if state is not None else (None, None)
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                result.append(InterfaceAddress(adapter.name, ip.ip, ip.network_prefix, up, multicast))
    return result


def advertised_addresses(
    requested: Sequence[str] | None, interfaces: Iterable[InterfaceAddress] | None = None
) -> tuple[str, ...]:
    """The IPv4 addresses to bind and advertise, sorted.

    ``requested`` None means every usable (up, non-loopback) address, or 127.0.0.1 when there is none, so a
    machine with no network still works for nodes on the same machine. Otherwise each entry is an IPv4 address
    (kept as given) or an interface name (replaced by its usable addresses).
    """
    current = list(list_ipv4_interfaces() if interfaces is None else interfaces)
    if requested is None:
        chosen = {i.address for i in current if i.is_usable}
        return tuple(sorted(chosen, key=ipaddress.IPv4Address)) or ("127.0.0.1",)
    chosen = set()
    for entry in requested:
        try:
            chosen.add(str(ipaddress.IPv4Address(entry)))
        except ValueError:
            chosen.update(i.address for i in current if i.interface == entry and i.up is not False)
    return tuple(sorted(chosen, key=ipaddress.IPv4Address))


# --------------------------------------------------------------------------------------------- Discovery


class Discovery:
    """Advertise this node and report the other nodes on the local network.

    Callbacks run in the event loop: ``on_found`` when an advert is first seen and whenever its data (id,
    name, addresses, port, version) changes; ``on_lost`` with the last advert when its node said goodbye.
    ``interfaces``: None for all usable interfaces, else IPv4 addresses or interface names (tests pass
    ``["127.0.0.1"]``). ``reannounce_interval`` <= 0 disables interface polling. ``announce``: put the peer id
    and name in the advert (by default it carries neither).
    """

    def __init__(
        self,
        *,
        peer_id: str,
        name: str,
        port: int,
        protocol_version: int,
        on_found: Callable[[DiscoveredPeer], None],
        on_lost: Callable[[DiscoveredPeer], None],
        service_type: str = SERVICE_TYPE,
        interfaces: list[str] | None = None,
        reannounce_interval: float = 10.0,
        announce: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if not 1 <= port <= 65535:
            raise ValueError(f"port out of range: {port}")
        if not _SERVICE_TYPE_RE.fullmatch(service_type):
            raise ValueError(f"bad service type {service_type!r}")
        self._txt = encode_txt(peer_id, name, protocol_version, announce=announce)
        self._max_services = limits.max_discovered_services
        self._peer_id = peer_id
        self._port = port
        self._on_found = on_found
        self._on_lost = on_lost
        self._service_type = service_type
        self._interfaces = list(interfaces) if interfaces is not None else None
        self._reannounce_interval = reannounce_interval
        # Our instance and host names, random and new at every start. The host name is our own because
        # zeroconf derives one from the instance name *before* a conflict rename, so two nodes whose names
        # collide would otherwise publish A records for the same host.
        self._instance = instance_name(service_type)
        self._server = f"reliance-{secrets.token_hex(6)}.local."

        self.peers: dict[str, DiscoveredPeer] = {}  # lower-cased instance name -> its advert
        self._resolving: dict[str, asyncio.Task[None]] = {}

        self._aiozc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._announcing: asyncio.Future[object] | None = None
        self._addresses: tuple[str, ...] = ()
        self._poll_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._running = False

    # ------------------------------------------------------------------ public

    @property
    def peer_id(self) -> str:
        return self._peer_id

    @property
    def instance_name(self) -> str | None:
        """Our service instance name once registered (it may carry a ``-2`` suffix after a name conflict)."""
        return self._info.name if self._info is not None else None

    @property
    def addresses(self) -> list[str]:
        """The IPv4 addresses currently advertised."""
        return list(self._addresses)

    async def start(self) -> None:
        """Bind, start browsing and register our service (returns after conflict probing, ~0.5-1 s)."""
        async with self._lock:
            if self._running:
                return
            self._instance = instance_name(self._service_type)  # nothing links two runs of the same node
            self._server = f"reliance-{secrets.token_hex(6)}.local."
            await self._open(advertised_addresses(self._interfaces))
            self._running = True
        if self._reannounce_interval > 0:
            self._poll_task = asyncio.create_task(self._poll_interfaces(), name="reliance-discovery-poll")

    async def stop(self) -> None:
        """Say goodbye (others notice within a second), close every socket and forget the peers."""
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None
        async with self._lock:
            self._running = False
            await self._close()
            self.peers.clear()

    async def reannounce(self) -> None:
        """Re-create the zeroconf instance on the current interfaces and register again.

        Peers see a goodbye followed by a new arrival.
        """
        async with self._lock:
            if not self._running:
                return
            await self._close()
            await self._open(advertised_addresses(self._interfaces))

    async def check_interfaces(self) -> bool:
        """Re-read the usable interface addresses; adapt and return True if they changed."""
        addresses = advertised_addresses(self._interfaces)
        async with self._lock:
            if not self._running or not addresses:
                return False
            if self._aiozc is not None and addresses == self._addresses:
                return False
            log.info("network interfaces changed: %s -> %s", self._addresses, addresses)
            if self._aiozc is not None and _HAS_UPDATE_INTERFACES:
                try:
                    await self._update_interfaces(addresses)
                    return True
                except Exception:
                    log.warning("updating zeroconf's interfaces failed, re-creating it", exc_info=True)
            # Also the retry path: after a failed re-creation there is no instance; the next poll lands here.
            await self._close()
            await self._open(addresses)
            return True

    # ------------------------------------------------------------------ zeroconf lifecycle

    def _service_info(self, name: str, addresses: tuple[str, ...]) -> AsyncServiceInfo:
        return AsyncServiceInfo(
            self._service_type,
            name,
            port=self._port,
            properties=self._txt,
            server=self._server,
            parsed_addresses=list(addresses),
        )

    async def _open(self, addresses: tuple[str, ...]) -> None:
        aiozc = AsyncZeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
        self._aiozc = aiozc
        self._addresses = addresses
        try:
            # Browse first so the others are found while our name is being probed.
            self._browser = AsyncServiceBrowser(
                aiozc.zeroconf, self._service_type, handlers=[self._on_service_state_change]
            )
            info = self._service_info(self._instance, addresses)
            self._info = info
            self._announcing = asyncio.ensure_future(
                await aiozc.async_register_service(info, allow_name_change=True)
            )
        except BaseException:
            await self._close()
            raise
        log.debug("registered %s on %s", info.name, ", ".join(addresses))

    async def _update_interfaces(self, addresses: tuple[str, ...]) -> None:
        aiozc, info = self._aiozc, self._info
        assert aiozc is not None and info is not None
        new_info = self._service_info(info.name, addresses)
        self._info = new_info
        self._addresses = addresses
        await aiozc.async_update_interfaces(interfaces=list(addresses))
        if self._announcing is not None:
            self._announcing.cancel()
        self._announcing = asyncio.ensure_future(await aiozc.async_update_service(new_info))

    async def _close(self) -> None:
        tasks = list(self._resolving.values())
        self._resolving.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._announcing is not None:
            self._announcing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._announcing
            self._announcing = None
        if self._browser is not None:
            await self._browser.async_cancel()
            self._browser = None
        if self._aiozc is not None:
            aiozc, self._aiozc = self._aiozc, None
            try:
                await aiozc.async_close()  # sends the goodbyes of registered services
            except Exception:
                log.warning("error while closing zeroconf", exc_info=True)
        self._info = None

    async def _poll_interfaces(self) -> None:
        while True:
            await asyncio.sleep(self._reannounce_interval)
            try:
                await self.check_interfaces()
            except Exception:
                log.warning("could not adapt to a network interface change", exc_info=True)

    # ------------------------------------------------------------------ browsing

    def _on_service_state_change(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        """zeroconf callback: only hand off, never block."""
        if zeroconf is not (self._aiozc.zeroconf if self._aiozc else None):
            return  # a late event from an instance being replaced
        if state_change is ServiceStateChange.Removed:
            self._handle_removed(name)
            return
        key = name.lower()
        previous = self._resolving.pop(key, None)
        if previous is not None:
            previous.cancel()
        elif key not in self.peers and len(self.peers) + len(self._resolving) >= self._max_services:
            log.debug("ignoring advertisement %r: %d services tracked already", name, self._max_services)
            return
        task = asyncio.create_task(self._resolve(name, zeroconf), name=f"reliance-resolve-{name}")
        self._resolving[key] = task
        task.add_done_callback(self._resolve_done)

    def _resolve_done(self, task: asyncio.Task[None]) -> None:
        for key, running in list(self._resolving.items()):
            if running is task:
                del self._resolving[key]

    async def _resolve(self, name: str, zeroconf: Zeroconf) -> None:
        # No shortcut on our own instance name: it may still change (conflict rename) while we browse.
        try:
            info = AsyncServiceInfo(self._service_type, name)
            if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
                log.debug("could not resolve %s", name)
                return
            peer = peer_from_service_info(info)
        except InvalidAdvertisement as exc:
            log.debug("ignoring malformed advertisement %r: %s", name, exc)
            return
        except Exception as exc:  # zeroconf raises its own errors on junk names/records
            log.debug("ignoring advertisement %r that failed to resolve: %r", name, exc)
            return
        if (peer.peer_id and peer.peer_id == self._peer_id) or (
            info.server or ""
        ).lower() == self._server.lower():
            return  # ourselves (our host name is random and our own), or someone claiming our id
        self._accept(peer.instance, peer)

    def _accept(self, key: str, peer: DiscoveredPeer) -> None:
        if key not in self.peers and len(self.peers) >= self._max_services:
            log.debug("ignoring advertisement %r: %d services tracked already", key, self._max_services)
            return
        previous = self.peers.get(key)
        self.peers[key] = peer
        if previous is None or not previous.same_advertisement(peer):
            self._call(self._on_found, peer)

    def _handle_removed(self, name: str) -> None:
        key = name.lower()
        task = self._resolving.pop(key, None)
        if task is not None:
            task.cancel()
        peer = self.peers.pop(key, None)
        if peer is not None:
            self._call(self._on_lost, peer)

    @staticmethod
    def _call(callback: Callable[[_T], None], arg: _T) -> None:
        try:
            callback(arg)
        except Exception:
            log.exception("discovery callback failed")


# --------------------------------------------------------------------------------------------- selftest entry


def _selftest(argv: Sequence[str]) -> int:
    import argparse
    import json
    import signal

    parser = argparse.ArgumentParser(prog="python -m reliance.net.discovery")
    parser.add_argument("--selftest", action="store_true", required=True)
    parser.add_argument("--peer-id", required=True)
    parser.add_argument("--announce", action="store_true", help="Put the peer id and name in the advert.")
    parser.add_argument("--name", default="selftest")
    parser.add_argument("--port", type=int, default=7000)
    parser.add_argument("--protocol-version", type=int, default=1)
    parser.add_argument("--service-type", default=SERVICE_TYPE)
    parser.add_argument("--interface", action="append", help="IPv4 address or interface name (repeatable)")
    parser.add_argument("--reannounce-interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args(argv)
    t0 = time.monotonic()

    def emit(event: str, **data: object) -> None:
        print(json.dumps({"event": event, "t": round(time.monotonic() - t0, 3), **data}), flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        discovery = Discovery(
            peer_id=args.peer_id,
            name=args.name,
            port=args.port,
            protocol_version=args.protocol_version,
            on_found=lambda p: emit("found", peer=asdict(p)),
            on_lost=lambda p: emit("lost", peer_id=p.peer_id, instance=p.instance),
            service_type=args.service_type,
            interfaces=args.interface,
            reannounce_interval=args.reannounce_interval,
            announce=args.announce,
        )
        await discovery.start()
        emit("started", addresses=discovery.addresses, instance=discovery.instance_name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.duration)
        await discovery.stop()
        emit("stopped")

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(_selftest(sys.argv[1:]))
