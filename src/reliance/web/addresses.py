"""Where a home's web face is served, from its settings: what `reliance web url` says with no node running,
and what the app's Home shows as a QR code (no aiohttp imported here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reliance.app import settings
from reliance.net.config import format_url, reachable_hosts


def configured(home: Path, listen: str = "0.0.0.0") -> dict[str, Any]:
    """`{"urls", "fingerprint", "error", "on"}` as the settings have it (web, web_port, web_tls)."""
    from reliance.web.tls import read_fingerprint

    config = settings.load_config(home)
    scheme = "https" if config["web_tls"] else "http"
    return {
        "on": bool(config["web"]),
        "urls": [format_url(scheme, host, config["web_port"]) for host in reachable_hosts(listen)],
        "fingerprint": read_fingerprint(home) if config["web_tls"] else "",
        "error": "",
    }
