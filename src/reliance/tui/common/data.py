"""The app's picture of the store: everyone's items, answers and names, the projects, and the activity feed.

Reading a document (`StoreReader`) happens in the app's store thread; the result is an immutable view that
the UI thread folds into `AppData`, one changed document at a time, so that a change never costs a reload of
10,000 items. Participant views are also kept in a small cache file (`HOME/cache/tui-catalogue.msgpack`),
keyed by the size, inode and mtime of each document's files, so that a restart shows the catalogue at once
and only documents that changed since are read again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from reliance.app.arrivals import Arrival
from reliance.app.drafts import DraftStore
from reliance.doc import participant
from reliance.doc import project as pdoc
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write, private_dir
from reliance.model import search
from reliance.model.catalogue import Answer, AnswerKind, Frequency, Item, ItemKind, Repeat, Reply, Status
from reliance.model.rsvp import Attendance, attendance, standing_answers, thread
from reliance.replication.participant_view import participant_view
from reliance.store.repository import DOC_ID_RE, Repository, StoredDoc

if TYPE_CHECKING:  # the economy is imported when the first project is read, after the first frame
    from reliance.app import projects

logger = logging.getLogger(__name__)

CACHE_FORMAT = 3  # 2: items keep repetition and capacity; 3: answers withdrawal and contact; replies
CACHE_FILE = Path("cache") / "tui-catalogue.msgpack"
UI_FILE = "ui.json"
FEED_LIMIT = 500

Signature = tuple[int, ...]
Amend = tuple[str, str, str]  # section, at, by


def short_id(peer_id: str) -> str:
    return peer_id[:10] + "…" if len(peer_id) > 10 else peer_id


def doc_signature(folder: Path) -> Signature:
    """Cheap proof that a document's files did not change: inode, size and mtime of snapshot and log."""
    out: list[int] = []
    for name in ("snapshot", "log"):
        try:
            st = os.stat(folder / name)
        except OSError:
            out.extend((0, 0, 0))
        else:
            out.extend((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(frozen=True)
class ParticipantView:
    doc_id: str
    sig: Signature
    name: str
    items: tuple[Item, ...]
    answers: tuple[Answer, ...]
    amendments: tuple[Amend, ...]
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class ProjectView:
    doc_id: str
    sig: Signature
    name: str
    members: Mapping[str, pdoc.Member]
    ledger: projects.LedgerView
    amendments: tuple[Amend, ...]
    visibility: str = pdoc.DEFAULT_VISIBILITY


View = ParticipantView | ProjectView


# -- reading (store thread) --------------------------------------------------------------------------------


class StoreReader:
    """Reads documents into views; subscribes to the documents it opens so that writes are noticed.

    With `drafts`, the view of its author's own participant document also holds the drafts (which live
    beside the documents, not in them), and its signature covers the drafts file."""

    def __init__(
        self, repo: Repository, on_change: Callable[[str], None], drafts: DraftStore | None = None
    ) -> None:
        self.repo = repo
        self.on_change = on_change
        self.drafts = drafts
        self._subscribed: set[int] = set()
        self._local = threading.local()

    def doc_ids(self) -> list[str]:
        return self.repo.doc_ids()

    def signature(self, doc_id: str) -> Signature:
        sig = doc_signature(self.repo.docs_dir / doc_id)
        if self.drafts is not None and doc_id == self.drafts.author:
            sig += self.drafts.signature()
        return sig

    def _listener(self, stored: StoredDoc, hashes: list[bytes]) -> None:
        if getattr(self._local, "reading", None) == stored.doc_id:
            return
        self.on_change(stored.doc_id)

    def _open(self, doc_id: str) -> StoredDoc:
        stored = self.repo.open(doc_id)
        if id(stored) not in self._subscribed:
            self._subscribed.add(id(stored))
            stored.subscribe(self._listener)
        self._local.reading = doc_id
        try:
            stored.refresh()  # what other processes (the CLI) wrote meanwhile
        finally:
            self._local.reading = None
        return stored

    def read(self, doc_id: str) -> View | None:
        """The current view of one document, or None if it cannot be read (reported in the log)."""
        if not DOC_ID_RE.fullmatch(doc_id) or not self.repo.exists(doc_id):
            return None
        sig = self.signature(doc_id)
        try:
            stored = self._open(doc_id)
            crdt = stored.crdt
            if doc_id.startswith("rl"):
                crdt = participant_view(stored)  # without what a revoked device signed beyond revocation
                items = participant.read_items(crdt, doc_id)
                if self.drafts is not None and doc_id == self.drafts.author:
                    published = {item.id for item in items}
                    items += [i for i in self.drafts.items() if i.id not in published]
                return ParticipantView(
                    doc_id,
                    sig,
                    participant.name(crdt),
                    tuple(items),
                    tuple(participant.read_answers(crdt, doc_id, self.repo.limits)),
                    tuple((a.section, a.at, a.by) for a in participant.read_history(crdt)),
                    tuple(participant.read_replies(crdt, doc_id, self.repo.limits)),
                )
            from reliance.app import projects

            effective = projects.effective(stored)
            meta = projects.project_meta(stored, effective)
            return ProjectView(
                doc_id,
                sig,
                meta.get("name", ""),
                effective.members,
                projects.ledger_view(stored),
                tuple((a.section, a.at, a.by) for a in pdoc.history(crdt)),
                projects.project_visibility(stored, effective),
            )
        except RelianceError as exc:
            logger.warning("cannot read document %s: %s", doc_id, exc)
            return None


# -- cache file --------------------------------------------------------------------------------------------


def _item_row(item: Item) -> list[Any]:
    return [
        item.id,
        item.kind.value,
        item.title,
        item.author,
        item.description,
        list(item.tags),
        item.place,
        item.begins,
        item.ends,
        item.status.value,
        item.reciprocity,
        item.project,
        item.created,
        item.updated,
        item.repeat.to_json() if item.repeat is not None else None,
        item.capacity,
    ]


def _item_from_row(row: list[Any]) -> Item:
    return Item(
        id=row[0],
        kind=ItemKind(row[1]),
        title=row[2],
        author=row[3],
        description=row[4],
        tags=tuple(row[5]),
        place=row[6],
        begins=row[7],
        ends=row[8],
        status=Status(row[9]),
        reciprocity=row[10],
        project=row[11],
        created=row[12],
        updated=row[13],
        repeat=Repeat(Frequency(row[14]["freq"]), str(row[14]["until"])) if row[14] else None,
        capacity=row[15],
    )


def _answer_row(a: Answer) -> list[Any]:
    return [
        a.id,
        a.item_id,
        a.item_author,
        a.kind.value,
        a.message,
        a.author,
        a.created,
        a.withdrawn,
        a.contact,
    ]


def _answer_from_row(row: list[Any]) -> Answer:
    return Answer(
        row[0], row[1], row[2], AnswerKind(row[3]), row[4], row[5], row[6], withdrawn=row[7], contact=row[8]
    )


def _reply_row(r: Reply) -> list[Any]:
    return [
        r.id,
        r.answer_id,
        r.answer_author,
        r.item_id,
        r.item_author,
        r.message,
        r.author,
        r.created,
        r.contact,
    ]


def _reply_from_row(row: list[Any]) -> Reply:
    return Reply(*row[:9])


def load_cache(home: Path) -> dict[str, ParticipantView]:
    """Cached participant views; an unreadable or foreign cache is simply ignored."""
    try:
        raw = (home / CACHE_FILE).read_bytes()
    except OSError:
        return {}
    try:
        data = msgpack.unpackb(raw, raw=False, strict_map_key=True)
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return {}
        views: dict[str, ParticipantView] = {}
        for doc_id, entry in data["docs"].items():
            sig, name, items, answers, amendments, replies = entry
            views[doc_id] = ParticipantView(
                doc_id,
                tuple(sig),
                name,
                tuple(_item_from_row(r) for r in items),
                tuple(_answer_from_row(r) for r in answers),
                tuple((a[0], a[1], a[2]) for a in amendments),
                tuple(_reply_from_row(r) for r in replies),
            )
        return views
    except (ValueError, KeyError, TypeError, IndexError, msgpack.UnpackException) as exc:
        logger.info("ignoring the catalogue cache: %s", exc)
        return {}


def save_cache(home: Path, views: Iterable[ParticipantView]) -> None:
    docs = {
        v.doc_id: [
            list(v.sig),
            v.name,
            [_item_row(i) for i in v.items],
            [_answer_row(a) for a in v.answers],
            [list(a) for a in v.amendments],
            [_reply_row(r) for r in v.replies],
        ]
        for v in views
    }
    payload = msgpack.packb({"format": CACHE_FORMAT, "docs": docs}, use_bin_type=True)
    path = home / CACHE_FILE
    private_dir(path.parent)
    atomic_write(path, payload)


def load_follows(home: Path) -> set[str]:
    try:
        data = json.loads((home / UI_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    follows = data.get("follow") if isinstance(data, dict) else None
    return {f for f in follows if isinstance(f, str)} if isinstance(follows, list) else set()


def save_follows(home: Path, follows: Iterable[str]) -> None:
    save_ui(home, "follow", sorted(follows))


def load_ui(home: Path, key: str) -> object:
    """One of the app's own settings (ui.json), or None."""
    try:
        data = json.loads((home / UI_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def save_ui(home: Path, key: str, value: object) -> None:
    path = home / UI_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[key] = value
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode())


# -- the UI-side model -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One catalogue line: the item, its author's name, and the folded text searched as you type
    (`reliance.model.search`: without case or accents)."""

    item: Item
    author_name: str
    hay: str


def make_row(item: Item, author_name: str) -> Row:
    return Row(item, author_name, search.haystack(item, author_name))


@dataclass(frozen=True)
class CatalogueFilter:
    kind: str = ""  # "" = every kind
    status: str = "active"  # "active" (not archived), "all", or a Status value
    author: str = ""  # peer id
    tag: str = ""
    text: str = ""

    def words(self) -> list[str]:
        """The words typed, folded as `Row.hay` is: "Velo" finds "vélo"."""
        return list(search.query_words(self.text))

    def apply(self, rows: list[Row]) -> list[Row]:
        """The rows that match, in order: one tight pass per criterion (about 1 µs per row)."""
        out = rows
        if self.kind:
            kind = self.kind
            out = [r for r in out if r.item.kind == kind]
        if self.status == "active":
            archived = Status.ARCHIVED
            out = [r for r in out if r.item.status != archived]
        elif self.status != "all":
            status = self.status
            out = [r for r in out if r.item.status == status]
        if self.author:
            author = self.author
            out = [r for r in out if r.item.author == author]
        if self.tag:
            tag = self.tag
            out = [r for r in out if tag in r.item.tags]
        return narrow_by_words(out, self.words())

    def refines(self, other: CatalogueFilter) -> bool:
        """Whether everything this filter keeps, `other` keeps too (typing one more letter)."""
        if (self.kind, self.status, self.author, self.tag) != (
            other.kind,
            other.status,
            other.author,
            other.tag,
        ):
            return False
        mine = self.words()
        return all(any(old in new for new in mine) for old in other.words())


def narrow_by_words(rows: list[Row], words: list[str]) -> list[Row]:
    for word in words:
        rows = [r for r in rows if word in r.hay]
    return rows


class FilterCache:
    """Results of recent filters over one list of rows; typing a letter filters the previous result."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._rows: list[Row] | None = None
        self._results: dict[CatalogueFilter, list[Row]] = {}

    def apply(self, chosen: CatalogueFilter, rows: list[Row]) -> list[Row]:
        if rows is not self._rows:
            self._rows = rows
            self._results = {}
        found = self._results.get(chosen)
        if found is not None:
            return found
        base: list[Row] | None = None
        for previous, result in reversed(self._results.items()):
            if chosen.refines(previous) and (base is None or len(result) < len(base)):
                base = result
        found = narrow_by_words(base, chosen.words()) if base is not None else chosen.apply(rows)
        self._results[chosen] = found
        if len(self._results) > self.size:
            del self._results[next(iter(self._results))]
        return found


@dataclass(frozen=True)
class FeedEntry:
    """Something that arrived; rendered in the current language when shown."""

    kind: str  # an arrival's kind (reliance.app.arrivals.KINDS), or peer, rejected, error (live only)
    at: str
    params: Mapping[str, str] = field(default_factory=dict)
    item_id: str = ""
    doc_id: str = ""
    key: str = ""  # an arrival's key (reliance.app.arrivals): what marks it read
    unread: bool = False


def arrival_entry(arrival: Arrival) -> FeedEntry:
    return FeedEntry(
        arrival.kind,
        shown_time(arrival.at),
        arrival.params,
        item_id=arrival.item_id,
        doc_id=arrival.doc_id,
        key=arrival.key,
        unread=not arrival.read,
    )


def shown_time(stamp: str) -> str:
    """An arrival's UTC time as the person reads it: the local time of day, with the day if not today."""
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).astimezone()
    except ValueError:
        return stamp[:16]
    if when.date() == datetime.now().astimezone().date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%d/%m %H:%M")


def clock() -> str:
    return time.strftime("%H:%M:%S")


class AppData:
    """What the screens show, kept in the UI thread and updated one document at a time."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.participants: dict[str, ParticipantView] = {}
        self.projects: dict[str, ProjectView] = {}
        self.rows: list[Row] = []
        self._rows_by_doc: dict[str, list[Row]] = {}
        self.items_by_id: dict[str, Item] = {}
        self.answers_by_item: dict[str, list[Answer]] = {}
        self.replies_by_item: dict[str, list[Reply]] = {}
        self.feed: deque[FeedEntry] = deque(maxlen=FEED_LIMIT)
        self.follows: set[str] = set()
        self.loaded = False
        self.version = 0

    # -- lookups -------------------------------------------------------------------------------------------
    def name(self, peer_id: str) -> str:
        view = self.participants.get(peer_id)
        if view is not None and view.name:
            return view.name
        return short_id(peer_id)

    def project_name(self, project_id: str) -> str:
        view = self.projects.get(project_id)
        return view.name if view is not None and view.name else short_id(project_id)

    def is_member(self, project_id: str) -> bool:
        view = self.projects.get(project_id)
        return view is not None and self.me in view.members

    def role(self, project_id: str) -> str | None:
        view = self.projects.get(project_id)
        if view is None or self.me not in view.members:
            return None
        return view.members[self.me].role

    def follows_doc(self, doc_id: str) -> bool:
        return doc_id in self.follows or (doc_id.startswith("pj") and self.is_member(doc_id))

    def standing(self, item: Item) -> list[Answer]:
        """The answers to `item` that stand (one per person and kind, not withdrawn), in arrival order."""
        return standing_answers(self.answers_by_item.get(item.id, ()), item)

    def thread(self, answer: Answer) -> list[Reply]:
        """The conversation under one answer (its item's author and its own author only)."""
        return thread(answer, self.replies_by_item.get(answer.item_id, ()))

    def mine(self, item: Item) -> list[Answer]:
        """My standing answers to `item`."""
        return [a for a in self.standing(item) if a.author == self.me]

    def attendance(self, item: Item) -> Attendance:
        """Who comes to `item`: places taken and the waiting list, as every peer computes them."""
        return attendance(item, self.standing(item))

    def answers_to_me(self) -> list[Answer]:
        out = [
            a
            for view in self.participants.values()
            for a in view.answers
            if a.item_author == self.me and a.author != self.me
        ]
        return sorted(out, key=lambda a: (a.created, a.id))

    def authors(self) -> list[tuple[str, str]]:
        """(name, peer id) of everyone with at least one item, by name."""
        found = [(self.name(doc_id), doc_id) for doc_id, view in self.participants.items() if view.items]
        return sorted(found, key=lambda pair: (pair[0].lower(), pair[1]))

    def tags(self) -> list[str]:
        seen: set[str] = set()
        for row in self.rows:
            seen.update(row.item.tags)
        return sorted(seen)

    def events(self) -> list[Row]:
        return [row for row in self.rows if row.item.kind == ItemKind.EVENT]

    # -- updates -------------------------------------------------------------------------------------------
    def apply(self, views: Iterable[View]) -> None:
        """Fold fresh views in (what arrived with them comes from `add_arrivals`)."""
        touched_items = False
        for view in views:
            if isinstance(view, ParticipantView):
                self.participants[view.doc_id] = view
                self._rows_by_doc[view.doc_id] = [
                    make_row(i, view.name or short_id(i.author)) for i in view.items
                ]
                touched_items = True
            else:
                self.projects[view.doc_id] = view
        if touched_items:
            self._rebuild()
        self.version += 1

    def remove(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self.participants.pop(doc_id, None)
            self.projects.pop(doc_id, None)
            self._rows_by_doc.pop(doc_id, None)
        self._rebuild()
        self.version += 1

    def _rebuild(self) -> None:
        rows = [row for doc_rows in self._rows_by_doc.values() for row in doc_rows]
        rows.sort(key=lambda r: (r.item.created, r.item.id), reverse=True)
        self.rows = rows
        self.items_by_id = {row.item.id: row.item for row in rows}
        answers: dict[str, list[Answer]] = {}
        for view in self.participants.values():
            for answer in view.answers:
                answers.setdefault(answer.item_id, []).append(answer)
        for found in answers.values():
            found.sort(key=lambda a: (a.created, a.id))
        self.answers_by_item = answers
        replies: dict[str, list[Reply]] = {}
        for view in self.participants.values():
            for reply in view.replies:
                replies.setdefault(reply.item_id, []).append(reply)
        self.replies_by_item = replies

    def seed_feed(self) -> None:
        """At start: the answers already received (read), so the feed is not empty for no reason."""
        self.version += 1
        for answer in self.answers_to_me()[-20:]:
            at = answer.created[:16].replace("T", " ")
            self.feed.appendleft(self._answer_entry(answer, self.name(answer.author), at, answer.author))

    def add_feed(self, entry: FeedEntry) -> None:
        self.feed.appendleft(entry)
        self.version += 1

    def add_arrivals(self, arrivals: Iterable[Arrival]) -> None:
        """What arrived (the latest first): each replaces an older line of the same thing."""
        entries = [arrival_entry(a) for a in arrivals]
        if not entries:
            return
        fresh = {entry.key for entry in entries}
        kept = [entry for entry in self.feed if not entry.key or entry.key not in fresh]
        self.feed.clear()
        self.feed.extend(entries + kept)
        self.version += 1

    def mark_read(self, keys: set[str] | None) -> None:
        """These arrivals (None: all) are read: their marks go."""
        self.feed = deque(
            (
                replace(e, unread=False) if e.unread and (keys is None or e.key in keys) else e
                for e in self.feed
            ),
            maxlen=FEED_LIMIT,
        )
        self.version += 1

    @property
    def unread(self) -> int:
        return sum(1 for entry in self.feed if entry.unread)

    # -- feed ----------------------------------------------------------------------------------------------
    def _answer_entry(self, answer: Answer, name: str, at: str, doc_id: str) -> FeedEntry:
        target = self.items_by_id.get(answer.item_id)
        params = {
            "name": name,
            "answer": answer.kind.value,
            "title": target.title if target else answer.item_id,
            "message": answer.message,
        }
        key = f"answer:{doc_id}:{answer.id}"
        return FeedEntry("answer", at, params, item_id=answer.item_id, doc_id=doc_id, key=key)
