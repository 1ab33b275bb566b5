"""The journal that makes a bundle import all-or-nothing across documents, even through a crash.

A bundle is checked in full before anything is written (a refusal leaves every document as it was). The
changes to store are then written to `HOME/bundle-import.journal` (atomically, fsynced), applied document
by document, and the journal is removed. A process killed in between leaves the journal: the next open of
the home (any command, the app, the node) applies what is missing, checking it again like any batch, and
says so. Applying is idempotent (a change already stored is skipped), so a crash during that completion is
completed in turn. Without a journal, nothing of an interrupted import was written.

An import holds `HOME/bundle-import.lock` throughout; an open that finds it held (an import running in
another process) leaves the journal to that import.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgpack

from reliance.automerge import wire
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write, fsync_dir, open_private
from reliance.i18n import t
from reliance.identity import decode_peer_id
from reliance.limits import Limits
from reliance.model.catalogue import now_iso
from reliance.packing import Shape, unpack
from reliance.replication.auth import Rejected, accept_batch
from reliance.store.records import change_info
from reliance.store.repository import DocKind, Repository, SignedChange, doc_kind

JOURNAL_FILE = "bundle-import.journal"
LOCK_FILE = "bundle-import.lock"
JOURNAL_FORMAT = "reliance-bundle-journal/1"


@dataclass(frozen=True)
class ImportNotice:
    """What became of an import that a crash or an error had interrupted, found when the home was opened.

    `outcome`: "completed" (every document of the bundle is in), "incomplete" (a document was refused on
    the second check: the others are in, the journal is dropped), "retry" (the store could not be written:
    the journal is kept for the next open), "damaged" (the journal could not be read and was removed).
    """

    outcome: str
    source: str
    started: str
    docs_done: int = 0
    docs_total: int = 0
    changes: int = 0
    failed: str = ""
    reason: str = ""

    def message(self, lang: str = "en") -> str:
        return t(
            f"bundle.journal.{self.outcome}",
            lang,
            source=self.source,
            started=self.started,
            done=self.docs_done,
            total=self.docs_total,
            changes=self.changes,
            failed=self.failed,
            reason=self.reason,
        )


@contextlib.contextmanager
def import_lock(home: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the home's import lock; yields False (without it) if `wait` is off and another process has it."""
    fd = open_private(home / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def write(home: Path, source: str, batches: Sequence[tuple[str, Sequence[SignedChange]]]) -> None:
    """Record what an import is about to store; durable when this returns."""
    journal = {
        "format": JOURNAL_FORMAT,
        "source": source,
        "started": now_iso(),
        "docs": [[doc_id, [[c.info.chunk, c.signature] for c in changes]] for doc_id, changes in batches],
    }
    atomic_write(home / JOURNAL_FILE, msgpack.packb(journal, use_bin_type=True))


def clear(home: Path) -> None:
    """The import is complete: drop its journal (durably, or the next open would redo it for nothing)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(home / JOURNAL_FILE)
        fsync_dir(home)


@dataclass(frozen=True)
class _Journal:
    source: str
    started: str
    docs: list[tuple[str, list[SignedChange]]]


def _read(home: Path, limits: Limits) -> _Journal:
    """The journal as written by `write`, read like the bundle it came from (no larger than one, bounded
    msgpack, changes within `limits`); ValueError (or a RelianceError, a WireError) if it is not."""
    fd = open_private(home / JOURNAL_FILE, os.O_RDONLY)
    with open(fd, "rb") as handle:
        size = os.fstat(fd).st_size
        if size > limits.max_bundle_bytes:
            raise ValueError(f"the journal is larger than a bundle may be ({limits.max_bundle_bytes} bytes)")
        raw = handle.read(size + 1)  # what was there when measured: not what a writer adds meanwhile
    if len(raw) > size:
        raise ValueError("the journal grew while it was read")
    data = unpack(raw, Shape.bundle(limits))
    if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
        raise ValueError("not a bundle import journal")
    source, started, entries = data.get("source"), data.get("started"), data.get("docs")
    if not isinstance(source, str) or not isinstance(started, str) or not isinstance(entries, list):
        raise ValueError("damaged journal")
    docs: list[tuple[str, list[SignedChange]]] = []
    actors: dict[bytes, bytes] = {}
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], list):
            raise ValueError("damaged journal entry")
        doc_id, items = entry
        if not isinstance(doc_id, str):
            raise ValueError("damaged journal entry")
        if doc_kind(doc_id) == DocKind.PARTICIPANT:  # StoreError (a RelianceError) for anything else
            decode_peer_id(doc_id)  # PeerIdError for a typo: no store would ever take it
        changes = []
        for item in items:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], bytes)
                or not (item[1] is None or (isinstance(item[1], bytes) and len(item[1]) == 64))
            ):
                raise ValueError("damaged journal change")
            changes.append(SignedChange(change_info(item[0], limits, actors), item[1]))
        docs.append((doc_id, changes))
    return _Journal(source, started, docs)


def complete_interrupted(repo: Repository, blocked: Collection[bytes] = ()) -> list[ImportNotice]:
    """At open: finish an import a crash interrupted, unless one is running in another process."""
    if not (repo.home / JOURNAL_FILE).exists():
        return []
    try:
        with import_lock(repo.home, wait=False) as held:
            return complete_locked(repo, blocked) if held else []
    except OSError as exc:  # the lock cannot even be made: try again next time
        return [ImportNotice("retry", JOURNAL_FILE, "", reason=exc.strerror or str(exc))]


def complete_locked(repo: Repository, blocked: Collection[bytes] = ()) -> list[ImportNotice]:
    """`complete_interrupted` for a caller that holds the import lock."""
    try:
        journal = _read(repo.home, repo.limits)
    except FileNotFoundError:
        return []
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link where the journal should be: not ours, never followed
            clear(repo.home)
            return [ImportNotice("damaged", JOURNAL_FILE, "", reason=exc.strerror or str(exc))]
        return [ImportNotice("retry", JOURNAL_FILE, "", reason=exc.strerror or str(exc))]
    except (ValueError, TypeError, RelianceError, wire.WireError, msgpack.UnpackException) as exc:
        clear(repo.home)
        return [ImportNotice("damaged", JOURNAL_FILE, "", reason=str(exc))]
    total = len(journal.docs)
    done = changes = 0
    refused: list[tuple[str, str]] = []
    for doc_id, batch in journal.docs:
        try:
            outcome = accept_batch(repo, doc_id, batch, blocked=blocked)
        except Rejected as exc:  # checked once already; only a changed block list or a bug gets here
            refused.append((doc_id, exc.reason))
            continue
        except (RelianceError, OSError) as exc:  # the store cannot be written now: keep the journal
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return [
                ImportNotice("retry", journal.source, journal.started, done, total, changes, doc_id, reason)
            ]
        done += 1
        changes += len(outcome.applied)
    clear(repo.home)
    if refused:
        failed = ", ".join(doc_id for doc_id, _ in refused)
        return [
            ImportNotice(
                "incomplete", journal.source, journal.started, done, total, changes, failed, refused[0][1]
            )
        ]
    return [ImportNotice("completed", journal.source, journal.started, done, total, changes)]
