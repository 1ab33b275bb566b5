"""A store operation run by a process that is not the home's owner (the app with no node of its own yet,
or offline): with the home held for the length of the write, as a CLI command does, or asked of the owner
when one runs — so that nothing writes a home's documents beside its owner."""

from __future__ import annotations

import time
from typing import Any

from reliance.app.workspace import Workspace
from reliance.limits import Limits
from reliance.localapi.ops import LocalApi, run_here
from reliance.localapi.protocol import Outcome


def run_holding_home(ws: Workspace, name: str, args: dict[str, Any], limits: Limits, lang: str) -> Outcome:
    """Run `name`: a read here; a write here while holding the home (kind `cli`: an owner starting
    meanwhile waits for it, `localapi_owner_wait_seconds` at most), or, when an owner runs, by it (its
    result, nothing changed here: the owner announces what it wrote)."""
    if not LocalApi.writes(name):
        return run_here(ws, name, args)
    from reliance.localapi.client import connect_owner
    from reliance.localapi.ownership import OwnerLock, current_owner

    lock = OwnerLock(ws.home)
    deadline = time.monotonic() + limits.localapi_owner_wait_seconds
    while not lock.acquire("cli"):
        holder = current_owner(ws.home)
        if holder is not None and holder["kind"] in ("serve", "app"):
            client = connect_owner(ws.home, limits)
            if client is not None:
                try:
                    return Outcome(client.call(name, args))
                finally:
                    client.close()
        if time.monotonic() >= deadline:
            from reliance.localapi.owner import HomeOwned

            raise HomeOwned(holder, lang)
    try:  # a write catches up with what was appended before it (the store's rule)
        return run_here(ws, name, args)
    finally:
        lock.release()
