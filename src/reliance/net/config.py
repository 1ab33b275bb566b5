"""The node's settings: `NodeConfig`, the RELIANCE_* overrides `reliance serve` reads, and the address text
(`HOST:PORT`, `[v6]:PORT`) typed by hand and kept in peers.json."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reliance.errors import RelianceError
from reliance.limits import Limits
from reliance.model.messages import InputError, shown

if TYPE_CHECKING:
    from reliance.net.discovery import InterfaceAddress

DEFAULT_PORT = 7447

# Environment variables read by `reliance serve` (see docs/operations.md): tests and benchmarks shorten the
# timers with them, and run each test on its own mDNS service type.
ENV_TIMERS = {
    "RELIANCE_HEARTBEAT": "heartbeat_interval",
    "RELIANCE_HANDSHAKE_TIMEOUT": "handshake_timeout",
    "RELIANCE_REDIAL_MIN": "redial_min",
    "RELIANCE_REDIAL_MAX": "redial_max",
    "RELIANCE_POLL_INTERVAL": "poll_interval",
}
ENV_SERVICE_TYPE = "RELIANCE_SERVICE_TYPE"
ENV_MDNS_INTERFACES = "RELIANCE_MDNS_INTERFACES"


@dataclass
class NodeConfig:
    port: int = DEFAULT_PORT
    listen: str = "0.0.0.0"
    mdns: bool = True
    service_type: str | None = None  # None: the standard _reliance._tcp.local.
    interfaces: list[str] | None = None
    heartbeat_interval: float = 5.0
    handshake_timeout: float = 10.0
    redial_min: float = 1.0
    redial_max: float = 60.0
    poll_interval: float = 30.0  # the store is read again for writers outside the local API
    tick_interval: float = 0.5  # redials and settings are looked at this often
    write_state: bool = True
    # False: no TCP listener and no mDNS; peers come only through `Node.attach` (nodes joined in one process).
    serve: bool = True
    # False: dial nobody either (a node that only serves the home's local API: a `device invite` owning it).
    dial: bool = True
    # Seconds `stop` waits for the connections, then as long for the sync worker (a store write under way),
    # then as long for the last file writes; past each, it logs what it leaves behind and goes on.
    stop_timeout: float = 10.0
    # Every limit the node enforces, the largest message (`max_frame`) included; None: the workspace's,
    # which are the home's (config.json's `limits`, then `RELIANCE_LIMIT_*`): the door and the store agree.
    limits: Limits | None = None


def config_from_env(config: NodeConfig, environ: Mapping[str, str] | None = None) -> NodeConfig:
    """Apply the RELIANCE_* overrides (timers in seconds, mDNS service type and interfaces) to `config`."""
    env = os.environ if environ is None else environ
    for name, attribute in ENV_TIMERS.items():
        text = env.get(name, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value <= 3600:
            raise RelianceError("net.config.seconds", name=name, value=repr(text[:100]))
        setattr(config, attribute, value)
    config.redial_max = max(config.redial_max, config.redial_min)
    service_type = env.get(ENV_SERVICE_TYPE, "").strip()
    if service_type:
        from reliance.net.discovery import _SERVICE_TYPE_RE

        if not _SERVICE_TYPE_RE.fullmatch(service_type):
            raise RelianceError(
                "net.config.service_type", name=ENV_SERVICE_TYPE, value=repr(service_type[:100])
            )
        config.service_type = service_type
    interfaces = [i.strip() for i in env.get(ENV_MDNS_INTERFACES, "").split(",") if i.strip()]
    if interfaces:
        config.interfaces = interfaces
    return config


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
WILDCARDS = ("", "0.0.0.0", "::")


def check_host(host: str) -> str:
    """`host` if it can be dialled: an IPv4 or IPv6 address, or a host name (letters, digits and hyphens
    in dot-separated labels, as DNS and mDNS names are: `fournil.local`); otherwise an InputError."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if (
        not name
        or len(name) > 253
        or not all(_HOST_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()  # 1.2.3.999: a mistyped address, not a name
    ):
        raise InputError("net.address.not_an_address", address=shown(host))
    return host


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """`host:port`, `host` (default port) or `[v6]:port`; the host must be an address or a host name
    (`check_host`), the port a number from 1 to 65535. Refusals are InputErrors (in the face's language)."""
    text = text.strip()
    if not text:
        raise InputError("net.address.empty")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:  # a host alone, or a bare IPv6 address (more than one colon)
        host, port_text = text, ""
    host = check_host(host)
    if not port_text:
        return host, default_port
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise InputError("net.address.bad_port", address=shown(text))
    return host, int(port_text)


def typeable_addresses(
    listen_host: str, port: int, interfaces: Iterable[InterfaceAddress] | None = None
) -> list[str]:
    """The addresses another machine can type to reach a node listening on `listen_host:port`: for a node
    listening everywhere (0.0.0.0), this machine's usable IPv4 addresses (up, not loopback); for one bound to
    one address, that address. Empty when the machine has no network address others could reach."""
    from reliance.net.discovery import list_ipv4_interfaces

    if listen_host not in WILDCARDS:
        return [format_address(listen_host, port)]
    found = list(list_ipv4_interfaces() if interfaces is None else interfaces)
    usable = sorted({i.address for i in found if i.is_usable}, key=ipaddress.IPv4Address)
    return [format_address(address, port) for address in usable]


def format_address(host: str, port: int) -> str:
    """The text `parse_address` reads back: an IPv6 host goes in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


ANY_ADDRESS = ("", "0.0.0.0", "::")


def reachable_hosts(listen: str) -> list[str]:
    """The addresses other machines can open for a server listening on `listen`: that address itself, or,
    for every address (0.0.0.0), each usable LAN address (127.0.0.1 when the machine has none). Never
    0.0.0.0, which nobody can open."""
    if listen.strip() not in ANY_ADDRESS:
        return [listen.strip()]
    from reliance.net.discovery import advertised_addresses

    return list(advertised_addresses(None))


def format_url(scheme: str, host: str, port: int, path: str = "/") -> str:
    """`scheme://host:port/path`, an IPv6 host in brackets."""
    return f"{scheme}://{format_address(host, port)}{path}"
