"""Failures the fuzz targets find that belong to known items of the issue, being fixed elsewhere.

Each entry says which failure it is (target, kind, a piece of its location) and which item it belongs to.
The bounded suite tolerates these in its random runs (and replays their reproducers from `corpus/` as
expected failures), and fails on anything else; `bench/fuzz.py` marks them with their item. Remove an
entry once its fix has landed: the reproducer then replays as a plain regression test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.fuzz.engine import Failure


@dataclass(frozen=True)
class KnownFinding:
    target: str
    kind: str  # a regular expression the failure's kind matches entirely
    location: str  # a regular expression found in the failure's location
    item: str  # the item, e.g. "issue 9 item 2", or "new" for what the issue does not list
    note: str

    def matches(self, failure: Failure) -> bool:
        return (
            failure.target == self.target
            and re.fullmatch(self.kind, failure.kind) is not None
            and re.search(self.location, failure.location) is not None
        )


KNOWN: tuple[KnownFinding, ...] = ()


def match(failure: Failure) -> KnownFinding | None:
    return next((finding for finding in KNOWN if finding.matches(failure)), None)
