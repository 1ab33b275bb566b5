"""The order of changes waiting for their dependencies: which become ready, each after its dependencies, and
which wait, directly or not, on given ones."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reliance.store.repository import SignedChange


def ready_in_causal_order(
    pending: Mapping[bytes, SignedChange], known: Collection[bytes]
) -> list[SignedChange]:
    """The changes of `pending` whose dependencies are (or become) `known`, each after its dependencies.

    Linear in the number of pending changes and dependency links, whatever their order.
    """
    ready: list[SignedChange] = []
    seen: set[bytes] = set()
    for change_hash, change in pending.items():  # the usual case: already in causal order
        for dep in change.info.deps:
            if dep not in known and dep not in seen:
                break
        else:
            ready.append(change)
            seen.add(change_hash)
            continue
        break
    else:
        return ready
    ready = []
    missing: dict[bytes, int] = {}
    dependents: dict[bytes, list[bytes]] = {}
    queue: list[bytes] = []
    for change_hash, change in pending.items():
        waiting_for = {dep for dep in change.info.deps if dep not in known}
        missing[change_hash] = len(waiting_for)
        for dep in waiting_for:
            dependents.setdefault(dep, []).append(change_hash)
        if not waiting_for:
            queue.append(change_hash)
    for change_hash in queue:  # grows while it is walked
        ready.append(pending[change_hash])
        for child in dependents.get(change_hash, ()):
            missing[child] -= 1
            if not missing[child]:
                queue.append(child)
    return ready


def with_dependents(pending: Mapping[bytes, SignedChange], hashes: Sequence[bytes]) -> set[bytes]:
    """The changes of `pending` among `hashes`, and those that wait on them, directly or not."""
    doomed = {h for h in hashes if h in pending}
    grew = bool(doomed)
    while grew:
        grew = False
        for change_hash, change in pending.items():
            if change_hash not in doomed and any(dep in doomed for dep in change.info.deps):
                doomed.add(change_hash)
                grew = True
    return doomed
