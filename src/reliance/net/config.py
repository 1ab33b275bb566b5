"""The node's settings: `NodeConfig`, the RELIANCE_* overrides `reliance serve` reads, and the address text
(`HOST:PORT`, `[v6]:PORT`) typed by hand and kept in peers.json."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from reliance.errors import RelianceError
from reliance.limits import Limits

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
            raise RelianceError(f"{name} must be a number of seconds between 0 and 3600, not {text!r}")
        setattr(config, attribute, value)
    config.redial_max = max(config.redial_max, config.redial_min)
    service_type = env.get(ENV_SERVICE_TYPE, "").strip()
    if service_type:
        from reliance.net.discovery import _SERVICE_TYPE_RE

        if not _SERVICE_TYPE_RE.fullmatch(service_type):
            raise RelianceError(f"{ENV_SERVICE_TYPE} must look like _name._tcp.local., not {service_type!r}")
        config.service_type = service_type
    interfaces = [i.strip() for i in env.get(ENV_MDNS_INTERFACES, "").split(",") if i.strip()]
    if interfaces:
        config.interfaces = interfaces
    return config


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """`host:port`, `host` (default port) or `[v6]:port`."""
    text = text.strip()
    if not text:
        raise RelianceError("an address is HOST:PORT, e.g. 192.168.1.20:7447")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise RelianceError(f"no host in address {text!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise RelianceError(f"bad port in address {text!r}")
    return host, int(port_text)


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
