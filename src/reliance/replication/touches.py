"""What a project change writes in the parts only stewards may touch, and why a change does not count.

Used by the authority index (`authority`) to classify changes, and by the door (`project_rules`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reliance.automerge.crdt import ROOT_ID, CrdtDoc, Effect
from reliance.doc import project
from reliance.i18n import t

MEMBER, STEWARD = 1, 2
REGISTER_PARTS = tuple(k for k in project.STEWARD_KEYS if k not in ("members", "distributions"))
RECORD_PARTS = ("ledger", "acks", "distributions")


@dataclass(frozen=True)
class Touches:
    """What one change writes that only stewards may: the parts, the members whose entry or role it sets
    (or removes), and the keys of the settings ("registers": policy, limits, meta…) it sets."""

    parts: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()
    registers: frozenset[tuple[str, str]] = frozenset()

    @property
    def need(self) -> int:
        return STEWARD if self.parts else MEMBER


NOTHING = Touches()


@dataclass(frozen=True)
class Reason:
    """Why a change counts for nothing: an `i18n` key ("removal.…"), whom it is about, which change."""

    key: str
    who: str = ""
    change: str = ""

    def text(self, lang: str = "en") -> str:
        return t(self.key, lang, who=f"{self.who[:14]}…", change=self.change)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Verdict:
    """Whether a change counts, and why not."""

    counts: bool
    reason: Reason | None = None


def genesis_touches(doc: CrdtDoc, at: bytes) -> Touches:
    """What a project's first change writes in steward-only parts: everything it puts there."""
    heads = [at]
    parts: set[str] = set()
    members: set[str] = set()
    registers: set[tuple[str, str]] = set()
    for part in project.STEWARD_KEYS:
        container = doc.child(ROOT_ID, part, heads)
        if container is None:
            continue
        parts.add(part)
        keys = doc.keys(container, heads)
        if part == "members":
            members.update(keys)
        elif part in REGISTER_PARTS:
            registers.update((part, key) for key in keys)
    return Touches(frozenset(parts), frozenset(members), frozenset(registers))


def touches_from_effects(effects: Iterable[Effect]) -> Touches:
    parts: set[str] = set()
    members: set[str] = set()
    registers: set[tuple[str, str]] = set()
    for effect in effects:
        if not effect.path:
            continue
        top = effect.path[0]
        if not isinstance(top, str) or top not in project.STEWARD_KEYS:
            continue
        parts.add(top)
        key = effect.key if len(effect.path) == 1 else effect.path[1]
        if not isinstance(key, str):
            continue
        if top == "members":
            if len(effect.path) == 1 or (len(effect.path) == 2 and effect.key == "role"):
                members.add(key)
        elif top in REGISTER_PARTS:
            registers.add((top, key))
    return Touches(frozenset(parts), frozenset(members), frozenset(registers))
