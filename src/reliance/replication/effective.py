"""The effective state of a project: its members, and the records and settings that do not count (strong
removal), as the authority index (`authority.ProjectIndex`) decides them from the history alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reliance.automerge.crdt import ROOT_ID, CrdtDoc
from reliance.certificate import proof_participant
from reliance.doc import project
from reliance.replication.authority import RECORD_PARTS, ProjectIndex, Reason, _Labels, index_for
from reliance.replication.causal import CausalGraph

if TYPE_CHECKING:
    from reliance.store.repository import StoredDoc


@dataclass
class EffectiveView:
    """The effective state of a project up to some heads."""

    index: ProjectIndex
    heads: tuple[bytes, ...]
    universe: int
    members: dict[str, project.Member]
    void: dict[int, Reason]  # positions of the changes that count for nothing, with the reason
    records: dict[tuple[str, str], Reason]  # (part, record id) made by those changes

    def role_of(self, peer: str) -> str | None:
        member = self.members.get(peer)
        return member.role if member is not None else None

    def not_counted(self) -> dict[tuple[str, str], Reason]:
        """(part, record id) → reason, for the ledger entries, acknowledgements and distributions made by
        changes that count for nothing."""
        return self.records

    def register_heads(self, part: str, key: str) -> list[bytes] | None:
        """Heads to read a steward-only setting at, when some change that wrote it does not count (its
        latest writers that count; [] when none does); None when the document's value is the effective
        one."""
        graph = self.index.graph
        with self.index.lock:  # the door may be adding (or dropping) changes meanwhile
            clock = graph.clock_of(self.heads)
            writers = [p for p in self.index.writers((part, key)) if graph.in_past(p, clock)]
            if not any(p in self.void for p in writers):
                return None
            valid = [p for p in writers if p not in self.void]
            latest = [p for p in valid if not any(q != p and graph.precedes(p, q) for q in valid)]
            return sorted(graph.hash_at(p) for p in latest)

    def voided_registers(self, part: str) -> list[str]:
        """Keys of `part` that some change which does not count wrote."""
        if not self.void:
            return []
        return sorted(
            key
            for top, key in self.index.registers()
            if top == part and self.register_heads(top, key) is not None
        )


def effective_meta(doc: CrdtDoc, view: EffectiveView) -> dict[str, str]:
    """A project's meta fields (name, creator…) as the changes that count left them."""
    found = project.meta(doc, list(view.heads))
    for key in view.voided_registers("meta"):
        at = view.register_heads("meta", key)
        value = project.meta(doc, at).get(key, "") if at else ""
        if key in found or value:
            found[key] = value
    return found


def effective_visibility(doc: CrdtDoc, view: EffectiveView) -> str:
    """A project's visibility as the changes that count left it (a removed steward's concurrent change
    cannot make a project public)."""
    if "visibility" not in view.voided_registers("meta"):
        return project.visibility(doc, list(view.heads))
    at = view.register_heads("meta", "visibility")
    return project.visibility(doc, at) if at else project.DEFAULT_VISIBILITY


def readable_by(stored: StoredDoc, peer_id: str) -> bool:
    """Whether a node may send its copy of a project to `peer_id`: a public project to anyone, a members
    project to its effective members only."""
    current = view(stored)
    return effective_visibility(stored.crdt, current) == "public" or peer_id in current.members


def find_records(
    index: ProjectIndex, doc: CrdtDoc, heads: Sequence[bytes], void: dict[int, Reason]
) -> dict[tuple[str, str], Reason]:
    """The records (ledger entries, acknowledgements, distributions) that changes in `void` made."""
    found: dict[tuple[str, str], Reason] = {}
    graph, at = index.graph, list(heads)
    clock = graph.clock_of(at)
    # Reading at past heads costs automerge time in proportion to the document: each part's records are
    # read once, not once per author (a thousand voided authors would otherwise cost a thousand reads).
    records: list[tuple[str, str]] = []
    for part in RECORD_PARTS:
        container = doc.child(ROOT_ID, part, at)
        if container is not None:
            records.extend((part, record) for record in doc.keys(container, at))
    if not records:
        return found
    authors = {index.author_at(position) for position in void}
    for peer in sorted(authors):
        tag = project.author_tag(peer) + "-"
        theirs = [(part, record) for part, record in records if record.startswith(tag)]
        if not theirs:
            continue
        chains = [
            [p for p in graph.chain(actor) if graph.in_past(p, clock)] for actor in index.actors_of(peer)
        ]
        for part, record in theirs:
            for chain in chains:  # the one change that made it, on whichever device's line it is
                maker = first_holding(doc, part, record, chain, graph)
                if maker is None:
                    continue
                deps = [graph.hash_at(d) for d in graph.deps_at(maker)]
                if len(chains) > 1 and deps and project.entry_exists(doc, part, record, deps):
                    continue  # made on another device's line before this one saw it
                if maker in void:
                    found[(part, record)] = void[maker]
                break
    return found


def first_holding(doc: CrdtDoc, part: str, record: str, chain: list[int], graph: CausalGraph) -> int | None:
    """The author's change that made `record`: the first of their (linear) chain whose state holds it."""
    low, high = 0, len(chain)
    while low < high:
        middle = (low + high) // 2
        if project.entry_exists(doc, part, record, [graph.hash_at(chain[middle])]):
            high = middle
        else:
            low = middle + 1
    return chain[low] if low < len(chain) else None


def view_of(
    doc: CrdtDoc, stored: StoredDoc | None = None, proofs: Mapping[bytes, bytes | None] | None = None
) -> EffectiveView:
    """The effective state of a project document at its heads: `doc` may be a fork of `stored` holding a
    batch the door has just checked (the index of `stored` has its changes), or a document of its own
    (a first batch: its index is built here, whom each author writes for read from `proofs`, the batch's
    proofs by change hash)."""
    heads = doc.heads()
    if stored is not None:
        index = index_for(stored)
        with index.lock:
            if all(h in index.graph for h in heads):
                return index.view(doc, heads)
    index = ProjectIndex()
    changes = doc.changes_since([])
    for info in changes:
        participant = proof_participant(info.actor, (proofs or {}).get(info.hash))
        if participant is not None and participant != info.actor and info.actor not in index.authors:
            index.learn_author(info.actor, participant)
    for info in changes:
        index.add(info, index.classify(doc, info), doc)
    return index.view(doc, heads)


def view(stored: StoredDoc, heads: Sequence[bytes] | None = None) -> EffectiveView:
    """The effective state of a project document, now or at some known heads."""
    index = index_for(stored)
    with index.lock:
        # the heads the index took in: the door of another thread may have stored more since
        return index.view(stored.crdt, list(heads) if heads is not None else list(index.synced))


def compute_view(index: ProjectIndex, doc: CrdtDoc, heads: Sequence[bytes]) -> EffectiveView:
    """The effective members, and what does not count, in the history up to `heads`."""
    graph = index.graph
    universe = index.mask_of(heads)
    clock = graph.clock_of(heads)
    labels = index.labels(universe)
    members: dict[str, project.Member] = {}
    for peer in sorted(index._by_peer):
        role = index._role(peer, universe, labels)
        if role is None:
            continue
        source = _source_event(index, peer, universe, labels.valid, role)
        entry = doc.child(ROOT_ID, "members", [graph.hash_at(source)])
        obj = doc.child(entry, peer, [graph.hash_at(source)]) if entry is not None else None
        at = [graph.hash_at(source)]
        added_by = doc.scalar(obj, "added_by", at) if obj is not None else ""
        added_at = doc.scalar(obj, "added_at", at) if obj is not None else ""
        members[peer] = project.Member(
            peer,
            role,
            added_by if isinstance(added_by, str) else "",
            added_at if isinstance(added_at, str) else "",
        )
    void: dict[int, Reason] = {}
    for peer in sorted(_troubled(index, universe, labels)):
        for actor in index.actors_of(peer):
            for position in graph.chain(actor):
                if not graph.in_past(position, clock):
                    continue
                verdict = index.verdict(position, universe)
                if not verdict.counts and verdict.reason is not None:
                    void[position] = verdict.reason
    records = find_records(index, doc, heads, void) if void else {}
    return EffectiveView(index, tuple(heads), universe, members, void, records)


def _source_event(index: ProjectIndex, peer: str, universe: int, valid: dict[int, bool], role: str) -> int:
    positions = [p for p in index._by_peer[peer] if universe >> index._bit[p] & 1 and valid.get(p)]
    latest = [
        p
        for p in positions
        if not any(q != p and index._mask_of_bit[index._bit[q]] >> index._bit[p] & 1 for q in positions)
    ]
    return min((p for p in latest if index._events[p][peer] == role), key=index.graph.hash_at)


def _troubled(index: ProjectIndex, universe: int, labels: _Labels) -> set[str]:
    """Authors whose changes may not all count: anyone a valid revocation targets, or whose role or
    authority depends on a membership change that does not count."""
    troubled = {index.author_of(actor) for actor in index.cuts}  # whose devices were revoked
    for position in index._authority:
        if not universe >> index._bit[position] & 1:
            continue
        if labels.valid.get(position):
            for peer in index._revokers.get(position, ()):
                if index._events[position][peer] is None or index._ever_steward(peer, universe):
                    troubled.add(peer)
        else:
            troubled.update(index._events[position])
            troubled.add(index.author_at(position))
    return troubled
