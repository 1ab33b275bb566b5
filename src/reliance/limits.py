"""Every limit and quota that bounds what a peer, a bundle or a file can make a node do, in one place.

Each value is a default; `docs/security.md` lists them in a table with what each protects. A node reads
them once at start (`Limits()`, or with overrides from `config.json` / `RELIANCE_LIMIT_*`, see
`limits_from`), and passes the same object to every part that enforces one, so that what the door lets
in is exactly what the store can read back.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class Limits:
    # -- bytes at the door: frames, messages, chunks, msgpack ------------------------------------------------

    # -- changes and documents -------------------------------------------------------------------------------

    # -- the pending buffer ----------------------------------------------------------------------------------

    # -- sessions: summaries and work per peer ---------------------------------------------------------------

    # -- quotas on other people's documents ------------------------------------------------------------------

    # -- connections -----------------------------------------------------------------------------------------

    # -- discovery and peers ---------------------------------------------------------------------------------

    # -- bundles ---------------------------------------------------------------------------------------------

    # -- what a person types, and what the programme expands -------------------------------------------------
    # A date or an amount as typed in a form, an option or a web request, bounded before any parser sees it.
    typed_value_chars: int = 100
    # Occurrences of one repeating item in a programme or a calendar window (daily for more than a year).
    occurrences_per_item: int = 400

    def replace(self, **changes: Any) -> Limits:
        return dataclasses.replace(self, **changes)


DEFAULT_LIMITS = Limits()

ENV_PREFIX = "RELIANCE_LIMIT_"


def limits_from(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Limits:
    """The defaults, with positive integer overrides from a mapping (config.json's `limits`) and then
    from `RELIANCE_LIMIT_<FIELD>` variables; anything else is ignored (a damaged setting must not
    lift a limit or stop a node)."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in dataclasses.fields(Limits)}
    values: dict[str, int] = {}
    for name, value in (overrides or {}).items():
        if name in names and type(value) is int and value > 0:
            values[name] = value
    for name in names:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw.isascii() and raw.isdigit() and int(raw) > 0:
            values[name] = int(raw)
    return DEFAULT_LIMITS.replace(**values)
