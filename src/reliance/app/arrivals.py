"""What arrived since the person last looked: derived from the documents, remembered in the home.

Every face asks the same question: what came in while I was away? The answer is not taken from live events
(nothing is heard while the app is closed) but from the documents themselves. For each document the home
remembers the heads last looked at (`HOME/arrivals.json`, 0600, written atomically); what a document holds
now and did not hold at those heads is what arrived: an item published or changed, an answer or a reply to
one of mine, a ledger entry, an amendment of a social code I follow, being added to a project. A document
never seen before arrived whole.

The file also keeps the latest arrivals themselves (bounded: `Limits.arrivals_kept`), each read or unread,
so that the app shows the same list after a restart and a count of the unread in its top bar. The first
time a home is looked at, the heads are taken as they are: nothing is announced for what was already there.

Each document's file marks (inode, size) are kept beside its heads: a document whose files did not change is
not even opened.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reliance.automerge.crdt import ROOT_ID, CrdtDoc
from reliance.doc import participant
from reliance.doc import project as pdoc
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write
from reliance.i18n import answer_label, kind_label, section_label, status_label, t, tn
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.replication.participant_view import participant_view
from reliance.store.docfiles import disk_mark
from reliance.store.repository import DOC_ID_RE, Repository, StoredDoc

logger = logging.getLogger(__name__)

ARRIVALS_FILE = "arrivals.json"
FORMAT = 1
UI_FILE = "ui.json"  # the app's follow list lives there (`follow`: document ids)

# What arrived, by kind. `answer` and `reply` are those addressed to me: a face announces them at once.
KINDS = ("item_new", "item_update", "answer", "reply", "ledger", "amend", "project_new", "peer_new")
TO_ME = frozenset({"answer", "reply"})

Mark = tuple[int, ...]


@dataclass(frozen=True)
class Arrival:
    """One thing that arrived; `params` fill the sentence for `kind` (the catalogue's `feed.<kind>`)."""

    kind: str
    doc_id: str
    key: str  # unique per thing: the same thing arriving again replaces its line
    at: str  # when it was noticed here (UTC, ISO 8601, seconds)
    params: Mapping[str, str] = field(default_factory=dict)
    item_id: str = ""
    read: bool = False

    @property
    def to_me(self) -> bool:
        return self.kind in TO_ME

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "doc": self.doc_id,
            "key": self.key,
            "at": self.at,
            "params": dict(self.params),
            "item": self.item_id,
            "read": self.read,
        }


@dataclass
class Seen:
    """Where one document stood when last looked at: its file marks and its heads."""

    mark: Mark
    heads: tuple[bytes, ...]


@dataclass
class ArrivalState:
    docs: dict[str, Seen] = field(default_factory=dict)
    entries: list[Arrival] = field(default_factory=list)  # newest first

    @property
    def unread(self) -> int:
        return sum(1 for entry in self.entries if not entry.read)


def now_stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def describe(kind: str, params: Mapping[str, str], lang: str, clean: Callable[[str], str]) -> str:
    """The sentence of one arrival (or of a live event of the app's feed) in `lang`; `clean` makes the
    text written by others inert (`display.clean`), each field on its own so that none can start a line."""
    p = {key: clean(value) for key, value in params.items()}
    if "kind" in p:
        p["kind"] = kind_label(p["kind"], lang).lower()
    if "status" in p:
        p["status"] = status_label(p["status"], lang).lower()
    if "answer" in p:
        p["answer"] = answer_label(p["answer"], lang)
    if "section" in p:
        p["section"] = section_label(p["section"], lang)
    if kind in ("answer", "reply"):
        p["message"] = f"— {p['message']}" if p.get("message") else ""
    if kind == "peer_new":
        count = p.get("count", "0")
        p["items"] = tn("count.items", int(count) if count.isdigit() else 0, lang)
    if "state" in p:
        p["state"] = t(f"peer_state.{p['state']}", lang)
    return t(f"feed.{kind}", lang, **p)


def followed(home: Path) -> set[str]:
    """The documents whose social code the person follows (the app's follow list)."""
    try:
        data = json.loads((home / UI_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    follows = data.get("follow") if isinstance(data, dict) else None
    return {f for f in follows if isinstance(f, str)} if isinstance(follows, list) else set()


# -- the file ----------------------------------------------------------------------------------------------


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _arrival_from(data: object, limits: Limits) -> Arrival | None:
    if not isinstance(data, dict):
        return None
    cap = limits.arrivals_text_chars
    kind, doc_id, key, at = (_text(data.get(k), cap) for k in ("kind", "doc", "key", "at"))
    item_id = _text(data.get("item", ""), cap)
    params = data.get("params")
    read = data.get("read")
    if kind not in KINDS or doc_id is None or not key or at is None or item_id is None:
        return None
    if not isinstance(params, dict) or not isinstance(read, bool):
        return None
    clean_params = {str(k)[:64]: v[:cap] for k, v in list(params.items())[:16] if isinstance(v, str)}
    return Arrival(kind, doc_id, key, at, clean_params, item_id, read)


def _seen_from(data: object, limits: Limits) -> Seen | None:
    if not isinstance(data, dict):
        return None
    mark, heads = data.get("mark"), data.get("heads")
    if not isinstance(mark, list) or len(mark) > 8 or not all(type(v) is int for v in mark):
        return None
    if not isinstance(heads, list) or len(heads) > limits.arrivals_heads_per_document:
        return None
    try:
        parsed = tuple(bytes.fromhex(h) for h in heads if isinstance(h, str) and len(h) == 64)
    except ValueError:
        return None
    if len(parsed) != len(heads):
        return None
    return Seen(tuple(mark), parsed)


def load_state(home: Path, limits: Limits = DEFAULT_LIMITS) -> ArrivalState | None:
    """The remembered state; None if there is none yet (or it cannot be read: looked at afresh)."""
    path = home / ARRIVALS_FILE
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.arrivals_file_bytes + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read %s: %s", path, exc.strerror or exc)
        return None
    if len(raw) > limits.arrivals_file_bytes:
        logger.warning("%s is larger than %d bytes: looked at afresh", path, limits.arrivals_file_bytes)
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        logger.warning("%s is damaged: looked at afresh", path)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    state = ArrivalState()
    docs = data.get("docs")
    if isinstance(docs, dict):
        for doc_id, seen_data in docs.items():
            seen = _seen_from(seen_data, limits)
            if isinstance(doc_id, str) and DOC_ID_RE.fullmatch(doc_id) and seen is not None:
                state.docs[doc_id] = seen
    entries = data.get("entries")
    if isinstance(entries, list):
        for entry_data in entries[: limits.arrivals_kept]:
            entry = _arrival_from(entry_data, limits)
            if entry is not None:
                state.entries.append(entry)
    return state


def save_state(home: Path, state: ArrivalState, limits: Limits = DEFAULT_LIMITS) -> None:
    state.entries = state.entries[: limits.arrivals_kept]
    data = {
        "format": FORMAT,
        "docs": {
            doc_id: {"mark": list(seen.mark), "heads": [h.hex() for h in seen.heads]}
            for doc_id, seen in sorted(state.docs.items())
        },
        "entries": [entry.to_json() for entry in state.entries],
    }
    atomic_write(home / ARRIVALS_FILE, json.dumps(data, ensure_ascii=False).encode("utf-8"))


# -- what one document brought -----------------------------------------------------------------------------


class _Names:
    """People's names, read from their participant documents once per catch-up."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._known: dict[str, str] = {}

    def __call__(self, peer_id: str) -> str:
        found = self._known.get(peer_id)
        if found is None:
            found = ""
            if DOC_ID_RE.fullmatch(peer_id) and self.repo.exists(peer_id):
                with contextlib.suppress(RelianceError):
                    found = participant.name(participant_view(self.repo.open(peer_id)))
            found = found or (peer_id[:10] + "…" if len(peer_id) > 10 else peer_id)
            self._known[peer_id] = found
        return found


def _keys_at(doc: CrdtDoc, key: str, heads: Sequence[bytes] | None) -> set[str]:
    obj = doc.child(ROOT_ID, key, heads)
    return set(doc.keys(obj, heads)) if obj is not None else set()


def _length_at(doc: CrdtDoc, key: str, heads: Sequence[bytes] | None) -> int:
    obj = doc.child(ROOT_ID, key, heads)
    return doc.length(obj, heads) if obj is not None else 0


def _scalar_at(doc: CrdtDoc, path: Sequence[str], heads: Sequence[bytes] | None) -> object:
    obj = ROOT_ID
    for key in path[:-1]:
        child = doc.child(obj, key, heads)
        if child is None:
            return None
        obj = child
    return doc.scalar(obj, path[-1], heads)


class _Reader:
    def __init__(self, repo: Repository, me: str, follows: set[str], at: str, limits: Limits) -> None:
        self.repo = repo
        self.me = me
        self.follows = follows
        self.at = at
        self.limits = limits
        self.names = _Names(repo)
        self._my_titles: dict[str, str] | None = None

    def title(self, item_id: str) -> str:
        if self._my_titles is None:
            self._my_titles = {}
            with contextlib.suppress(RelianceError):
                if self.repo.exists(self.me):
                    for item in participant.read_items(participant_view(self.repo.open(self.me)), self.me):
                        self._my_titles[item.id] = item.title
        return self._my_titles.get(item_id, item_id)

    def arrival(self, kind: str, doc_id: str, ref: str, params: dict[str, str], item_id: str = "") -> Arrival:
        cap = self.limits.arrivals_text_chars  # what is kept of a peer's text (it is bounded when read too)
        kept = {key: value[:cap] for key, value in params.items()}
        return Arrival(kind, doc_id, f"{kind}:{doc_id}:{ref}", self.at, kept, item_id)

    # -- participant documents ---------------------------------------------------------------------------
    def participant(self, stored: StoredDoc, old: Sequence[bytes] | None) -> list[Arrival]:
        """What a participant document brought since `old` (None: all of it, a document seen for the
        first time)."""
        doc_id = stored.doc_id
        if doc_id == self.me:
            return []
        # without what a revoked device signed beyond its revocation; it holds every change of `stored`,
        # so `old` heads read in it as in the document
        crdt = participant_view(stored)
        name = self.names(doc_id)
        out: list[Arrival] = []
        items = sorted(participant.read_items(crdt, doc_id), key=lambda i: (i.updated, i.created, i.id))
        if old is None:
            out.append(self.arrival("peer_new", doc_id, "", {"name": name, "count": str(len(items))}))
        else:
            before = _keys_at(crdt, "items", old)
            for item in items:
                params = {
                    "name": name,
                    "kind": item.kind.value,
                    "title": item.title,
                    "status": item.status.value,
                }
                if item.id not in before:
                    out.append(self.arrival("item_new", doc_id, item.id, params, item.id))
                elif _scalar_at(crdt, ("items", item.id, "updated"), old) != item.updated:
                    out.append(self.arrival("item_update", doc_id, item.id, params, item.id))
        answered = _keys_at(crdt, "answers", old) if old is not None else set()
        answers = sorted(participant.read_answers(crdt, doc_id, self.limits), key=lambda a: (a.created, a.id))
        for answer in answers:
            if answer.id in answered or answer.item_author != self.me or answer.withdrawn:
                continue
            params = {
                "name": name,
                "answer": answer.kind.value,
                "title": self.title(answer.item_id),
                "message": answer.message,
            }
            out.append(self.arrival("answer", doc_id, answer.id, params, answer.item_id))
        replied = _keys_at(crdt, "replies", old) if old is not None else set()
        replies = sorted(participant.read_replies(crdt, doc_id, self.limits), key=lambda r: (r.created, r.id))
        for reply in replies:
            if reply.id in replied or self.me not in (reply.item_author, reply.answer_author):
                continue
            params = {"name": name, "title": self.title(reply.item_id), "message": reply.message}
            out.append(self.arrival("reply", doc_id, reply.id, params, reply.item_id))
        if old is not None and doc_id in self.follows:
            start = _length_at(crdt, "code_history", old)
            for index, amendment in enumerate(participant.read_history(crdt)[start:], start):
                params = {"name": name, "by": self.names(amendment.by), "section": amendment.section}
                out.append(self.arrival("amend", doc_id, str(index), params))
        return out

    # -- project documents -------------------------------------------------------------------------------
    def project(self, stored: StoredDoc, old: Sequence[bytes] | None) -> list[Arrival]:
        """What a project document brought: for its members only (being added, entries, amendments)."""
        from reliance.app import projects  # the economy: loaded with the first project
        from reliance.economy import format_amount

        view = projects.effective(stored)
        member = view.members.get(self.me)
        if member is None:
            return []
        doc_id = stored.doc_id
        project = projects.project_meta(stored, view).get("name", "") or doc_id[:10] + "…"
        was_member = old is not None and self.me in pdoc.members(stored.crdt, old)
        if not was_member:
            if member.added_by == self.me:  # I made it, or added myself: nothing arrived
                return []
            return [
                self.arrival(
                    "project_new", doc_id, "", {"project": project, "name": self.names(member.added_by)}
                )
            ]
        out: list[Arrival] = []
        assert old is not None
        before = {str(data.get("id")) for data in pdoc.entries(stored.crdt, old)}
        for entry in projects.ledger_view(stored).entries:
            if entry.id in before or entry.author == self.me:
                continue
            params = {
                "project": project,
                "name": self.names(entry.member),
                "entry": entry.kind.value,
                "amount": format_amount(entry.amount, entry.unit),
                "unit": entry.unit,
            }
            out.append(self.arrival("ledger", doc_id, entry.id, params))
        start = _length_at(stored.crdt, "code_history", old)
        for index, amendment in enumerate(pdoc.history(stored.crdt)[start:], start):
            if amendment.by == self.me:
                continue
            params = {"name": project, "by": self.names(amendment.by), "section": amendment.section}
            out.append(self.arrival("amend", doc_id, str(index), params))
        return out


# -- the book ------------------------------------------------------------------------------------------------


class ArrivalBook:
    """The arrivals of one home, for one person: catch up with the documents, mark things read.

    Every call reads the file again before changing it, so that two faces of one home (the app and a
    command) do not lose each other's marks for long; the last writer wins otherwise."""

    def __init__(self, home: Path, me: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.home = home
        self.me = me
        self.limits = limits

    def state(self) -> ArrivalState:
        return load_state(self.home, self.limits) or ArrivalState()

    def catch_up(
        self,
        repo: Repository,
        doc_ids: Iterable[str] | None = None,
        *,
        follows: set[str] | None = None,
        at: str | None = None,
    ) -> list[Arrival]:
        """Look at these documents (None: every document held) and return what arrived since they were last
        looked at, newest first; it is remembered, unread, with the rest."""
        found = load_state(self.home, self.limits)
        first = found is None
        state = found or ArrivalState()
        reader = _Reader(
            repo, self.me, followed(self.home) if follows is None else follows, at or now_stamp(), self.limits
        )
        everything = doc_ids is None
        wanted = sorted(repo.doc_ids() if doc_ids is None else set(doc_ids))
        arrived: list[Arrival] = []
        for doc_id in wanted:
            if not DOC_ID_RE.fullmatch(doc_id) or not repo.exists(doc_id):
                state.docs.pop(doc_id, None)
                continue
            seen = state.docs.get(doc_id)
            if seen is not None and seen.mark == disk_mark(repo.docs_dir / doc_id):
                continue  # its files did not change: not even opened
            try:
                arrived.extend(self._look(repo, reader, doc_id, seen, first, state))
            except RelianceError as exc:
                logger.warning("cannot look at what arrived in %s: %s", doc_id, exc)
        if everything:
            held = set(wanted)
            for doc_id in [d for d in state.docs if d not in held]:
                del state.docs[doc_id]
        arrived = arrived[::-1]  # within a document, the last read is the latest
        if arrived:
            fresh = {entry.key for entry in arrived}
            state.entries = arrived + [e for e in state.entries if e.key not in fresh]
        save_state(self.home, state, self.limits)
        return arrived[: self.limits.arrivals_kept]

    def _look(
        self,
        repo: Repository,
        reader: _Reader,
        doc_id: str,
        seen: Seen | None,
        first: bool,
        state: ArrivalState,
    ) -> list[Arrival]:
        stored = repo.open(doc_id)
        heads = tuple(stored.heads())
        mark = tuple(stored.disk_mark())
        kept = heads if len(heads) <= self.limits.arrivals_heads_per_document else ()
        arrived: list[Arrival] = []
        if first:
            pass  # the first look: what is there is taken as seen
        elif seen is None:
            arrived = self._read(reader, stored, None)
        elif seen.heads != heads and seen.heads and all(stored.has(h) for h in seen.heads):
            arrived = self._read(reader, stored, seen.heads)
        # else: nothing new, or heads we cannot place (too many to keep, or a history that was replaced):
        # looked at afresh from here on.
        state.docs[doc_id] = Seen(mark, kept)
        return arrived

    def _read(self, reader: _Reader, stored: StoredDoc, old: Sequence[bytes] | None) -> list[Arrival]:
        if stored.doc_id.startswith("pj"):
            return reader.project(stored, old)
        return reader.participant(stored, old)

    def mark_read(self, keys: Iterable[str] | None = None) -> int:
        """Mark these arrivals read (None: all of them); returns how many are still unread."""
        state = load_state(self.home, self.limits)
        if state is None:
            return 0
        chosen = None if keys is None else set(keys)
        state.entries = [
            replace(e, read=True) if chosen is None or e.key in chosen else e for e in state.entries
        ]
        save_state(self.home, state, self.limits)
        return state.unread


def to_me(arrivals: Iterable[Arrival]) -> list[Arrival]:
    """The answers and replies to my items among `arrivals`: what a face announces."""
    return [a for a in arrivals if a.to_me]
