"""Network diagnosis in plain words: why does nobody show up?

:func:`diagnose` looks at the local machine only and returns :class:`Finding` objects with a message and an
advice (catalogue entries, worded in the reader's language), written for people who are not network
specialists. It works in two steps:

1. :func:`gather_facts` runs a few small probes, each bounded in time. They only touch the local machine:
   interface list, a route lookup for the mDNS group (no packet sent), joining the mDNS group 224.0.0.251 on
   the local interfaces, binding the TCP port, connecting to ourselves on loopback and on our own addresses,
   and, optionally, a short mDNS browse on the local interfaces. Nothing is sent to any other host.
2. :func:`interpret` turns those facts into findings; it is a pure function.

Whether a Wi-Fi network isolates its clients (common on festival, hotel and guest networks, and on some phone
hotspots) cannot be seen from one machine, so the advice about it is given whenever no peer is found.

:func:`diagnose` blocks for up to ``browse_seconds`` plus a few short timeouts; from asyncio code use
:func:`diagnose_async`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from reliance.i18n import LANGS, Phrase, phrase, t
from reliance.net.discovery import SERVICE_TYPE, InterfaceAddress, list_ipv4_interfaces
from reliance.replication.quota import QuotaUsage

__all__ = [
    "MDNS_GROUP",
    "MDNS_PORT",
    "Facts",
    "Finding",
    "Level",
    "diagnose",
    "diagnose_async",
    "gather_facts",
    "interpret",
    "quota_findings",
]

MDNS_GROUP = "224.0.0.251"
MDNS_PORT = 5353
PROBE_TIMEOUT = 1.0

Level = Literal["ok", "warning", "problem"]
PortState = Literal["free", "in_use", "forbidden", "invalid", "error"]


@dataclass(frozen=True)
class Finding:
    """One thing the diagnosis found: a catalogue entry (`key`, with `params`) and an advice (`advice_key`,
    same parameters), worded in the language of whoever shows it."""

    level: Level
    code: str
    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    advice_key: str = ""

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)

    def advice(self, lang: str) -> str:
        return t(self.advice_key, lang, **self.params) if self.advice_key else ""

    def to_json(self) -> dict[str, str]:
        """Level, code, and the message and advice in every language (`reliance doctor --json`)."""
        languages = sorted(LANGS)  # the order of the fields before the catalogue had them
        return {
            "level": self.level,
            "code": self.code,
            **{f"message_{lang}": self.message(lang) for lang in languages},
            **{f"advice_{lang}": self.advice(lang) for lang in languages},
        }


@dataclass(frozen=True)
class Facts:
    """What the probes saw. ``None`` means "not checked"."""

    interfaces: tuple[InterfaceAddress, ...] = ()
    multicast_route: str | None = None  # local address the system would send mDNS from; None: no route
    multicast_route_error: str | None = None
    multicast_joined: tuple[str, ...] | None = None  # addresses where joining 224.0.0.251:5353 worked
    multicast_error: str | None = None
    port: int | None = None
    port_state: PortState | None = None
    port_error: str | None = None
    self_connect: Mapping[str, bool] = field(default_factory=dict)  # address -> could connect to ourselves
    peers_found: int | None = None


# --------------------------------------------------------------------------------------------- probes


def probe_multicast_route() -> tuple[str | None, str | None]:
    """Ask the routing table which local address would send to the mDNS group. Sends nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((MDNS_GROUP, MDNS_PORT))  # UDP connect: a route lookup, no packet
            return str(sock.getsockname()[0]), None
        except OSError as exc:
            return None, exc.strerror or str(exc)


def probe_multicast_join(addresses: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """Bind UDP 5353 (shared, like every mDNS stack) and join 224.0.0.251 on each local address."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        return (), exc.strerror or str(exc)
    joined: list[str] = []
    error: str | None = None
    with sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("", MDNS_PORT))
        except OSError as exc:
            return (), f"port {MDNS_PORT}: {exc.strerror or exc}"
        for address in addresses:
            mreq = struct.pack("=4s4s", socket.inet_aton(MDNS_GROUP), socket.inet_aton(address))
            try:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            except OSError as exc:
                error = f"{address}: {exc.strerror or exc}"
            else:
                joined.append(address)
    return tuple(joined), error


def probe_port(
    port: int, connect_to: Sequence[str], *, bind_address: str = "0.0.0.0", timeout: float = PROBE_TIMEOUT
) -> tuple[PortState, str | None, dict[str, bool]]:
    """Can we listen on TCP ``port`` (as a node would, on every interface), and connect to ourselves on it
    at each address of ``connect_to``? The listening socket lives for a few milliseconds only."""
    if not 1 <= port <= 65535:
        return "invalid", None, {}
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        if os.name == "posix":  # as asyncio servers do; on Windows it would allow stealing the port
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((bind_address, port))
            listener.listen(len(connect_to) + 1)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "in_use", None, {}
            if exc.errno == errno.EACCES:
                return "forbidden", None, {}
            return "error", exc.strerror or str(exc), {}
        results = {}
        for address in connect_to:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
                client.settimeout(timeout)
                try:
                    client.connect((address, port))
                    results[address] = True
                except OSError:
                    results[address] = False
        listener.settimeout(0.0)
        with contextlib.suppress(OSError):
            while True:
                listener.accept()[0].close()
    return "free", None, results


def browse_peers(service_type: str, addresses: Sequence[str], seconds: float) -> int:
    """Count the instances of ``service_type`` seen within ``seconds`` on the given local addresses."""
    if not _loop_running():
        return _browse(service_type, addresses, seconds)
    # Inside a running event loop zeroconf would attach to it and we would block it: use a thread.
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(_browse(service_type, addresses, seconds)))
    worker.start()
    worker.join()
    return result[0] if result else 0


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _browse(service_type: str, addresses: Sequence[str], seconds: float) -> int:
    from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

    names: set[str] = set()

    def on_change(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Added:
            names.add(name.lower())

    zc = Zeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
    try:
        browser = ServiceBrowser(zc, service_type, handlers=[on_change])
        time.sleep(seconds)
        browser.cancel()
    finally:
        zc.close()
    return len(names)


def _usable(interfaces: Sequence[InterfaceAddress]) -> list[InterfaceAddress]:
    return [i for i in interfaces if i.is_usable]


def gather_facts(
    port: int | None,
    *,
    service_type: str = SERVICE_TYPE,
    peers_found: int | None = None,
    network_probes: bool = True,
    browse_seconds: float = 2.0,
) -> Facts:
    """Run the probes. ``network_probes=False`` touches loopback only (no multicast join, no browse, the
    port is bound and connected to on 127.0.0.1 only); ``peers_found`` skips the browse (a running node
    knows how many peers it has)."""
    interfaces = tuple(list_ipv4_interfaces())
    usable = [i.address for i in _usable(interfaces)]
    route, route_error = probe_multicast_route()
    joined: tuple[str, ...] | None = None
    join_error: str | None = None
    if network_probes and usable:
        joined, join_error = probe_multicast_join(usable)
    port_state: PortState | None = None
    port_error: str | None = None
    self_connect: dict[str, bool] = {}
    if port is not None:
        if network_probes:
            port_state, port_error, self_connect = probe_port(port, ["127.0.0.1", *usable])
        else:
            port_state, port_error, self_connect = probe_port(port, ["127.0.0.1"], bind_address="127.0.0.1")
    if peers_found is None and network_probes and joined and browse_seconds > 0:
        peers_found = browse_peers(service_type, joined, browse_seconds)
    return Facts(
        interfaces=interfaces,
        multicast_route=route,
        multicast_route_error=route_error,
        multicast_joined=joined,
        multicast_error=join_error,
        port=port,
        port_state=port_state,
        port_error=port_error,
        self_connect=self_connect,
        peers_found=peers_found,
    )


# --------------------------------------------------------------------------------------------- interpretation


def _best_address(facts: Facts) -> str | None:
    usable = _usable(facts.interfaces)
    for interface in usable:
        if interface.address == facts.multicast_route:
            return interface.address
    ordered = sorted(usable, key=lambda i: (i.is_link_local, ipaddress.IPv4Address(i.address)))
    return ordered[0].address if ordered else None


def _typed_address(facts: Facts) -> Phrase:
    mine = _best_address(facts)
    if mine is not None and facts.port is not None:
        return phrase(
            "doctor.typed_address", own=phrase("doctor.own_address", address=f"{mine}:{facts.port}")
        )
    return phrase("doctor.typed_address", own="")


def _network_findings(facts: Facts) -> list[Finding]:
    usable = _usable(facts.interfaces)
    if not usable:
        return [Finding("problem", "no_network", "doctor.no_network", advice_key="doctor.no_network_advice")]
    addresses = ", ".join(i.address for i in usable)
    if all(i.is_link_local for i in usable):
        return [
            Finding(
                "warning",
                "no_address",
                "doctor.no_address",
                {"addresses": addresses},
                "doctor.no_address_advice",
            )
        ]
    return [Finding("ok", "network", "doctor.network", {"addresses": addresses})]


def _multicast_findings(facts: Facts) -> list[Finding]:
    usable = _usable(facts.interfaces)
    no_flag = bool(usable) and all(i.multicast is False for i in usable)
    join_failed = facts.multicast_joined is not None and not facts.multicast_joined
    # Without a multicast route zeroconf still works (it picks the interface itself): only a hint, used when
    # joining the group was not tried.
    unsure = facts.multicast_joined is None and facts.multicast_route is None
    if not (no_flag or join_failed or unsure):
        return [Finding("ok", "multicast", "doctor.multicast")]
    detail = facts.multicast_error or facts.multicast_route_error
    params = {
        "detail": phrase("doctor.detail", detail=detail) if detail else "",
        "own": _typed_address(facts).params["own"],
    }
    if unsure and not (no_flag or join_failed):
        return [
            Finding("warning", "multicast_unsure", "doctor.multicast_unsure", params, "doctor.typed_address")
        ]
    return [Finding("problem", "no_multicast", "doctor.no_multicast", params, "doctor.typed_address")]


def _port_findings(facts: Facts) -> list[Finding]:
    port = facts.port
    if port is None or facts.port_state is None:
        return []
    params = {"port": port, "other": port + 1 if port < 65535 else 7000, "error": facts.port_error}
    state = facts.port_state
    if state in ("invalid", "in_use", "forbidden"):
        key = f"doctor.port_{state}"
        return [Finding("problem", f"port_{state}", key, params, key + "_advice")]
    if state == "error":
        return [
            Finding("warning", "port_unknown", "doctor.port_unknown", params, "doctor.port_unknown_advice")
        ]
    findings = [Finding("ok", "port_free", "doctor.port_free", params)]
    if facts.self_connect.get("127.0.0.1") is False:
        findings.append(
            Finding(
                "problem",
                "self_connect_failed",
                "doctor.self_connect_failed",
                params,
                "doctor.firewall_advice",
            )
        )
    elif blocked := sorted(a for a, ok in facts.self_connect.items() if not ok):
        findings.append(
            Finding(
                "warning",
                "firewall",
                "doctor.firewall",
                {**params, "addresses": ", ".join(blocked)},
                "doctor.firewall_advice",
            )
        )
    elif facts.self_connect:
        findings.append(Finding("ok", "self_connect", "doctor.self_connect", params))
    return findings


def _peer_findings(facts: Facts) -> list[Finding]:
    if facts.peers_found is None:
        return []
    if facts.peers_found > 0:
        return [Finding("ok", "peers_found", "doctor.peers_found", {"count": facts.peers_found})]
    return [
        Finding(
            "warning",
            "no_peers",
            "doctor.no_peers",
            {"typed": _typed_address(facts)},
            "doctor.no_peers_advice",
        )
    ]


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _finding(level: Level, code: str, key: str, advice: str = "", **params: object) -> Finding:
    return Finding(level, code, key, params, advice)


def quota_findings(usage: QuotaUsage) -> list[Finding]:
    """What the quotas on other people's documents hold, and whether one is reached. Pure."""
    findings = [
        _finding(
            "ok",
            "quota",
            "doctor.quota",
            documents=usage.documents,
            max_documents=usage.max_documents,
            mib=_mib(usage.bytes),
            max_mib=_mib(usage.max_bytes),
        )
    ]
    if usage.full:
        largest = usage.largest[0] if usage.largest else None
        findings.append(
            _finding(
                "warning",
                "quota_full",
                "doctor.quota_full",
                "doctor.quota_full_advice",
                author=largest.author if largest else "-",
                documents=largest.documents if largest else 0,
                mib=_mib(largest.bytes if largest else 0),
            )
        )
    if usage.at_limit:
        findings.append(
            _finding(
                "warning",
                "quota_author",
                "doctor.quota_author",
                "doctor.quota_author_advice",
                count=len(usage.at_limit),
                max_documents=usage.author_max_documents,
                max_mib=_mib(usage.author_max_bytes),
                author=usage.at_limit[0].author,
            )
        )
    if usage.declined:
        findings.append(
            _finding(
                "warning",
                "quota_declined",
                "doctor.quota_declined",
                "doctor.quota_full_advice",
                count=usage.declined,
                reason=usage.last_declined,
                author=usage.largest[0].author if usage.largest else "-",
                documents=usage.largest[0].documents if usage.largest else 0,
                mib=_mib(usage.largest[0].bytes if usage.largest else 0),
            )
        )
    return findings


def interpret(facts: Facts) -> list[Finding]:
    """Turn probe results into findings, most basic first. Pure."""
    findings = _network_findings(facts)
    connected = findings[0].code != "no_network"
    multicast = _multicast_findings(facts) if connected else []
    findings += multicast
    findings += _port_findings(facts)
    if connected and not (multicast and multicast[0].code == "no_multicast"):
        findings += _peer_findings(facts)
    return findings


def diagnose(
    port: int | None,
    *,
    service_type: str = SERVICE_TYPE,
    peers_found: int | None = None,
    network_probes: bool = True,
    browse_seconds: float = 2.0,
    listening_port: int | None = None,
) -> list[Finding]:
    """Check the local network setup for reliance on TCP ``port`` (None: skip the port checks).

    Blocks up to ``browse_seconds`` plus short probe timeouts; pass ``peers_found`` when a node is running
    (no browse then). See :func:`gather_facts` for ``network_probes``. ``listening_port`` is the port a
    running node already holds: it is not probed (it would only look "in use") but the advice gives it
    with our address.
    """
    facts = gather_facts(
        None if listening_port is not None else port,
        service_type=service_type,
        peers_found=peers_found,
        network_probes=network_probes,
        browse_seconds=browse_seconds,
    )
    if listening_port is not None:
        facts = replace(facts, port=listening_port)
    return interpret(facts)


async def diagnose_async(
    port: int | None,
    *,
    service_type: str = SERVICE_TYPE,
    peers_found: int | None = None,
    network_probes: bool = True,
    browse_seconds: float = 2.0,
) -> list[Finding]:
    """:func:`diagnose` in a worker thread, for asyncio callers (the TUI)."""
    return await asyncio.to_thread(
        diagnose,
        port,
        service_type=service_type,
        peers_found=peers_found,
        network_probes=network_probes,
        browse_seconds=browse_seconds,
    )
