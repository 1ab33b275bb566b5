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


STORE_LOG_HEADER = "new: store log header"
STORE_SNAPSHOT_FIELDS = "new: store snapshot fields"

KNOWN: tuple[KnownFinding, ...] = (
    KnownFinding(
        "store",
        "invariant",
        r"^an intact log record was lost \(record\)",
        STORE_LOG_HEADER,
        "a log whose header record has a good CRC but does not read as the snapshot's generation "
        "(unreadable msgpack, or no `gen`) is taken for a log older than the snapshot: its records are not "
        "read and the log is rewritten, losing every change after the snapshot (a whole document when it "
        "has no snapshot yet)",
    ),
    KnownFinding(
        "store",
        r"OverflowError|MemoryError|slow|memory",
        r"repository\.py:\d+ in (<dictcomp>|_read_snapshot|_start_log|_load_locked)|^over ",
        STORE_SNAPSHOT_FIELDS,
        "the snapshot's fields are not checked for type: an integer where a hash is expected makes "
        "`bytes(n)` allocate n bytes (4 GiB, 18 s for 2**32 - 1), a huge generation overflows msgpack",
    ),
    KnownFinding(
        "store",
        "invariant",
        r"^(unreadable after compaction|compaction failed|other heads or buffer after compaction)",
        STORE_SNAPSHOT_FIELDS,
        "a snapshot whose fields have the wrong types or disagree (a signature that is not bytes, an empty "
        "`known` beside a full automerge save) opens, and the next compaction writes a snapshot that does "
        "not load, or drops the document's content",
    ),
)


def match(failure: Failure) -> KnownFinding | None:
    return next((finding for finding in KNOWN if finding.matches(failure)), None)
