"""What anyone on the network may see of a home: the public commons, read once per change.

Participant documents are public, but not everything a face could read from them: drafts never leave the
device (and one a peer wrote as a draft into its document is not shown either), and a project is shown only
when its visibility is `public` (docs/security.md). `PublicView` reads each document again only when its
heads moved, so that a page shown to many phones costs a lookup, and a change costs re-reading the one
document that changed. Run `PublicView.snapshot` where the home's store work runs (the owner's worker).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.doc import participant
from reliance.doc import project as pdoc
from reliance.economy import balances as ledger_balances
from reliance.errors import RelianceError
from reliance.model.catalogue import Answer, Item, Status
from reliance.model.programme import Programme, programme
from reliance.model.rsvp import standing_answers
from reliance.model.search import fold, haystack
from reliance.replication.participant_view import participant_view
from reliance.store.repository import DocKind, doc_kind

PUBLIC_STATUSES = (Status.PUBLISHED, Status.MATCHED, Status.ARCHIVED)
PUBLIC_VISIBILITY = "public"

ItemKey = tuple[str, str]  # (author, item id): an item id is unique only under its author


@dataclass(frozen=True)
class Person:
    peer_id: str
    name: str
    code: dict[str, str]


@dataclass(frozen=True)
class PublicProject:
    id: str
    name: str
    code: dict[str, str]
    members: tuple[pdoc.Member, ...]
    ledger: tuple[dict[str, Any], ...]
    balances: dict[str, dict[str, int]]


@dataclass(frozen=True)
class _Part:
    """What one participant document shows."""

    person: Person
    items: tuple[Item, ...]
    answers: tuple[Answer, ...]
    searchable: dict[ItemKey, str]  # each item's folded text, with its author's name (read once)
    tags: dict[ItemKey, tuple[str, ...]]  # each item's tags, folded


@dataclass(frozen=True)
class Snapshot:
    """The public commons at one moment; `version` grows at every change seen."""

    version: int
    items: tuple[Item, ...]  # newest first
    people: dict[str, Person]
    answers: dict[ItemKey, tuple[Answer, ...]]  # those that stand, per item
    projects: tuple[PublicProject, ...]
    programme: Programme
    searchable: dict[ItemKey, str] = field(default_factory=dict)  # folded text of each item and its author
    tags: tuple[str, ...] = ()
    folded_tags: dict[ItemKey, tuple[str, ...]] = field(default_factory=dict)
    people_by_name: tuple[Person, ...] = ()  # whatever the case and accents

    def name(self, peer_id: str) -> str:
        person = self.people.get(peer_id)
        return person.name if person else ""

    def item(self, author: str, item_id: str) -> Item | None:
        for item in self.items:
            if item.id == item_id and (not author or item.author == author):
                return item
        return None

    def project(self, project_id: str) -> PublicProject | None:
        return next((p for p in self.projects if p.id == project_id), None)


def _is_public(item: Item) -> bool:
    return item.status in PUBLIC_STATUSES


class PublicView:
    """The public commons of one home, kept per document heads."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[list[bytes], _Part]] = {}
        self._projects: dict[str, tuple[list[bytes], PublicProject | None]] = {}
        self._snapshot: Snapshot | None = None
        self._versions = itertools.count(1)

    def snapshot(self, ws: Workspace) -> Snapshot:
        """The commons as the store holds it now: documents whose heads did not move are not read again."""
        changed = False
        seen_people: set[str] = set()
        seen_projects: set[str] = set()
        for doc_id in ws.repo.doc_ids():
            kind = doc_kind(doc_id)
            if kind == DocKind.PARTICIPANT:
                seen_people.add(doc_id)
                changed |= self._read_participant(ws, doc_id)
            elif kind == DocKind.PROJECT:
                seen_projects.add(doc_id)
                changed |= self._read_project(ws, doc_id)
        for gone in set(self._parts) - seen_people:
            del self._parts[gone]
            changed = True
        for gone in set(self._projects) - seen_projects:
            del self._projects[gone]
            changed = True
        if changed or self._snapshot is None:
            self._snapshot = self._assemble(ws)
        return self._snapshot

    def _read_participant(self, ws: Workspace, doc_id: str) -> bool:
        try:
            doc = ws.repo.open(doc_id)
            heads = doc.heads()
            known = self._parts.get(doc_id)
            if known is not None and known[0] == heads:
                return False
            crdt = participant_view(doc)  # without what a revoked device signed beyond its revocation
            person = Person(doc_id, participant.name(crdt), participant.read_code(crdt))
            items = tuple(i for i in participant.read_items(crdt, doc_id) if _is_public(i))
            answers = tuple(participant.read_answers(crdt, doc_id, ws.repo.limits))
        except RelianceError:
            return self._parts.pop(doc_id, None) is not None  # unreadable: shown as absent
        searchable = {(i.author, i.id): haystack(i, person.name) for i in items}
        tags = {(i.author, i.id): tuple(fold(tag) for tag in i.tags) for i in items}
        self._parts[doc_id] = (heads, _Part(person, items, answers, searchable, tags))
        return True

    def _read_project(self, ws: Workspace, doc_id: str) -> bool:
        try:
            doc = ws.repo.open(doc_id)
            heads = doc.heads()
            known = self._projects.get(doc_id)
            if known is not None and known[0] == heads:
                return False
            shown = _public_project(ws, doc_id)
        except RelianceError:
            shown = None
            heads = []
        self._projects[doc_id] = (heads, shown)
        return True

    def _assemble(self, ws: Workspace) -> Snapshot:
        people = {doc_id: part.person for doc_id, (_, part) in self._parts.items()}
        items = sorted(
            (item for _, part in self._parts.values() for item in part.items),
            key=lambda i: (i.created, i.id),
            reverse=True,
        )
        held: dict[ItemKey, list[Answer]] = {}
        for _, part in self._parts.values():
            for answer in part.answers:
                held.setdefault((answer.item_author, answer.item_id), []).append(answer)
        answers: dict[ItemKey, tuple[Answer, ...]] = {}
        for item in items:
            key = (item.author, item.id)
            if key in held:
                ordered = sorted(held[key], key=lambda a: (a.created, a.id))
                answers[key] = tuple(standing_answers(ordered, item))
        searchable = {key: text for _, part in self._parts.values() for key, text in part.searchable.items()}
        folded_tags = {key: tags for _, part in self._parts.values() for key, tags in part.tags.items()}
        tags = tuple(sorted({tag for i in items for tag in i.tags}, key=lambda tag: (fold(tag), tag)))
        shown_projects = tuple(
            sorted(
                (p for _, p in self._projects.values() if p is not None),
                key=lambda p: (fold(p.name), p.id),
            )
        )
        return Snapshot(
            version=next(self._versions),
            items=tuple(items),
            people=people,
            answers=answers,
            projects=shown_projects,
            programme=programme(items, limits=ws.repo.limits),
            searchable=searchable,
            tags=tags,
            folded_tags=folded_tags,
            people_by_name=tuple(sorted(people.values(), key=lambda p: (fold(p.name), p.peer_id))),
        )


def _public_project(ws: Workspace, project_id: str) -> PublicProject | None:
    """A project whose visibility is public, as anyone may see it; None for a members-only one."""
    doc = ws.repo.open(project_id)
    view = projects.effective(doc)
    if projects.project_visibility(doc, view) != PUBLIC_VISIBILITY:
        return None
    meta = projects.project_meta(doc, view)
    ledger_view = projects.ledger_view(doc)
    return PublicProject(
        id=project_id,
        name=meta.get("name", ""),
        code=pdoc.code(doc.crdt),
        members=tuple(sorted(view.members.values(), key=lambda m: m.peer_id)),
        ledger=tuple(projects.ledger_rows(ledger_view)),
        balances=ledger_balances(ledger_view.entries),
    )


def words_match(searchable: str, words: Sequence[str]) -> bool:
    return all(word in searchable for word in words)
