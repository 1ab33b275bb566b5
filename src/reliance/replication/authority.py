"""Who may do what in a project: the effective state, a deterministic function of its changes.

Automerge merges every change it is given, whatever order they arrive in. A steward's removal may thus
arrive after the removed member's concurrent changes were applied: refusing at the door is not enough.
What counts is computed here from the changes and their causal graph (docs/sync-protocol.md, "Strong
removal"):

- membership is a set of *events* (a change that sets a member's role, or removes them), kept with the
  change that made them; a member's role at some point of history is the lowest role among the latest
  valid events about them there;
- a *revocation* is an event that takes a right away: a removal (every right) or a role set to "member"
  (the steward's rights). It voids what its target signed concurrently with it (neither before nor after
  it) that needs the lost right: their ledger entries, acknowledgements and membership, policy, limit,
  distribution and meta changes count nowhere. They stay in the document, shown as not counted;
- a change counts if it is not voided and its author held the right it needs in the valid state at its
  own dependencies; so what a puppet added by a voided change signs counts nowhere either;
- two stewards who remove (or demote) each other concurrently are both removed: neither removal voids
  the other. A removal can only be voided by a concurrent revocation whose author already held the
  steward's role in the history both share: authority granted concurrently cannot win the dispute.
  Remaining undecidable cycles (three stewards removing each other in a ring) count for nothing.

`ProjectIndex` holds the graph (`causal.CausalGraph`), which changes touch membership and the other
steward-only parts, and memoised answers; it grows with the document and is built once per opened
document. The door asks it for an author's role at a change's dependencies; readers ask it for the
effective members, and for the records and settings that do not count (`effective`). What a change writes
in steward-only parts is told by `touches`. An author is a participant: a certified device's changes count
as its participant's (`author_of`, from the proofs kept with the changes).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from reliance.automerge import ops
from reliance.automerge.crdt import ROOT_ID, ChangeInfo, CrdtDoc, ObjId
from reliance.automerge.ops import ObjKey
from reliance.certificate import proof_participant
from reliance.doc import project
from reliance.errors import PeerIdError
from reliance.identity import decode_peer_id, encode_peer_id
from reliance.limits import DEFAULT_LIMITS, Limits
from reliance.replication.causal import CausalGraph
from reliance.replication.devices import cuts_for
from reliance.replication.touches import (
    MEMBER,
    NOTHING,
    RECORD_PARTS,
    REGISTER_PARTS,
    STEWARD,
    Reason,
    Touches,
    Verdict,
    genesis_touches,
    touches_from_effects,
)

__all__ = [
    "DEVICE_REVOKED",
    "NOTHING",
    "RANK",
    "RECORD_PARTS",
    "REGISTER_PARTS",
    "ProjectIndex",
    "Reason",
    "Touches",
    "Verdict",
    "genesis_touches",
    "index_for",
    "touches_from_effects",
    "warm",
]

if TYPE_CHECKING:
    from reliance.replication.effective import EffectiveView
    from reliance.store.repository import StoredDoc

RANK: dict[str | None, int] = {None: 0, "member": 1, "steward": 2}
DEVICE_REVOKED = "removal.device_revoked"  # the reason of what a revoked device signed beyond its revocation
_UNSET = object()
_MAX_OPEN = 8  # undecided events about one member weighed one by one; beyond, the answer stays undecided

_peer_id = lru_cache(maxsize=4096)(encode_peer_id)


@lru_cache(maxsize=4096)
def _actor_of(peer: str) -> bytes | None:
    try:
        return decode_peer_id(peer)
    except PeerIdError:
        return None


@dataclass
class _Labels:
    """Which membership changes are valid, for one universe (a set of them closed under ancestry)."""

    valid: dict[int, bool]
    reasons: dict[int, Reason]
    roles: dict[tuple[str, int], str | None] = field(default_factory=dict)


class ProjectIndex:
    """The causal graph of one project document with its membership events; see the module docstring."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.lock = threading.RLock()
        self.graph = CausalGraph()
        self.synced: tuple[bytes, ...] = ()  # heads of the stored document covered
        self._masks: list[int] = []  # per position: bits of the membership changes in its past
        self._mask_of_bit: list[int] = []
        self._authority: list[int] = []  # positions of the changes with membership events; bit = index
        self._bit: dict[int, int] = {}
        self._events: dict[int, dict[str, str | None]] = {}
        self._by_peer: dict[str, list[int]] = {}
        self._revocations: dict[str, list[tuple[int, int]]] = {}  # target → (position, rank lost)
        self._revokers: dict[int, set[str]] = {}  # position → peers it revokes
        self._taking = 0  # bits of the membership changes that remove or demote someone (see `finish`)
        self._touches: dict[int, Touches] = {}  # only for changes that touch steward-only parts
        self._writers: dict[tuple[str, str], list[int]] = {}
        self._places: dict[ObjKey, tuple[str, str | None]] = {}  # steward parts and the objects under them
        self._place_counters: set[int] = set()  # their counters (never shrinks: only a quick filter)
        self._place_journal: list[tuple[int, ObjKey]] = []
        self._stewards_ever: set[str] = set()
        self._labels: dict[int, _Labels] = {}
        # the same, judged from the history alone (revoked devices not weighed): what the door decides with,
        # so that whether a batch is refused does not depend on the participant documents a node holds
        self._door_labels: dict[int, _Labels] = {}
        self._views: dict[tuple[bytes, ...], EffectiveView] = {}
        self._interned: dict[int, int] = {}
        # actor → participant peer id, for the certified devices among the authors (any other actor writes
        # for itself): what their proofs say (`reliance.certificate`), learned as their changes come.
        self.authors: dict[bytes, str] = {}
        self._devices: dict[str, set[bytes]] = {}
        # revoked device → how many of its first changes here its revocations keep (`set_cuts`): the rest
        # counts for nothing, like what a removed member signs concurrently with the removal
        self.cuts: dict[bytes, int] = {}

    # -- who wrote a change ----------------------------------------------------------------------------

    def author_of(self, actor: bytes) -> str:
        """The participant an actor writes for."""
        found = self.authors.get(actor)
        return found if found is not None else _peer_id(actor)

    def author_at(self, position: int) -> str:
        actor = self.graph.author_at(position)
        found = self.authors.get(actor)
        return found if found is not None else _peer_id(actor)

    def learn_author(self, actor: bytes, participant: bytes) -> bool:
        """Record that `actor` writes for `participant`; False if it was known to write for another."""
        peer = _peer_id(participant)
        if actor == participant:
            return actor not in self.authors
        if actor not in self.authors and self.graph.chain(actor):
            return False  # its changes here were judged as its own
        known = self.authors.setdefault(actor, peer)
        if known != peer:
            return False
        self._devices.setdefault(peer, set()).add(actor)
        return True

    def set_cuts(self, cuts: Mapping[bytes, int]) -> None:
        """The revoked devices among the authors, as the participant documents held say; what was decided
        with others is forgotten."""
        if cuts != self.cuts:
            self.cuts = dict(cuts)
            self._labels.clear()
            self._door_labels.clear()
            self._views.clear()

    def device_revoked(self, position: int) -> Reason | None:
        """Why the change at `position` counts for nothing, if its device was revoked and the revocation
        does not keep it (it is not causally before the revocation)."""
        if not self.cuts:
            return None
        graph = self.graph
        actor = graph.author_at(position)
        kept = self.cuts.get(actor)
        if kept is None or graph.seq_at(position) <= kept:
            return None
        return Reason(DEVICE_REVOKED, self.author_of(actor), _peer_id(actor)[:14])

    def actors_of(self, peer: str) -> list[bytes]:
        """The keys that write for `peer`: their own, and their certified devices seen here."""
        found = sorted(self._devices.get(peer, ()))
        own = _actor_of(peer)
        if own is not None and own not in self.authors:
            found.append(own)
        return found

    # -- growing ---------------------------------------------------------------------------------------------

    def checkpoint(self) -> tuple[int, int]:
        return len(self.graph), len(self._authority)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Forget the changes added since `mark` (a batch that was refused)."""
        length, authority = mark
        for position in range(len(self.graph) - 1, length - 1, -1):
            touches = self._touches.pop(position, None)
            if touches is not None:
                for key in touches.registers:
                    self._writers[key].remove(position)
        while self._place_journal and self._place_journal[-1][0] >= length:
            self._places.pop(self._place_journal.pop()[1], None)
        if len(self._authority) > authority:
            for position in self._authority[authority:]:
                for peer, role in self._events.pop(position).items():
                    self._by_peer[peer].remove(position)
                    if RANK[role] < STEWARD:
                        self._revocations[peer] = [r for r in self._revocations[peer] if r[0] != position]
                self._revokers.pop(position, None)
                self._bit.pop(position)
            del self._authority[authority:]
            del self._mask_of_bit[authority:]
            self._taking &= (1 << authority) - 1
            self._labels.clear()
            self._door_labels.clear()
            self._views.clear()
        del self._masks[length:]
        self.graph.truncate(length)

    def add(self, info: ChangeInfo, touches: Touches, doc: CrdtDoc) -> int:
        """Record a change (its dependencies recorded before it) that `doc` holds; returns its position."""
        if info.hash in self.graph:
            return self.graph.position(info.hash)
        position, _ = self.begin(info)
        self.finish(position, info, touches, doc, bounded=False)  # stored already: judged when it came
        return position

    def begin(self, info: ChangeInfo) -> tuple[int, bool]:
        """Record a new change, before knowing what it writes (then `finish` it, or roll back); returns its
        position and whether it follows its author's previous change."""
        position, last = self.graph.add_change(info.hash, info.deps, info.actor, info.seq)
        masks = self._masks
        deps = self.graph.deps_at(position)
        if len(deps) == 1:
            masks.append(masks[deps[0]])
        else:
            mask = 0
            for dep in deps:
                mask |= masks[dep]
            masks.append(self._interned.setdefault(mask, mask))
        return position, last == info.seq - 1

    def role_before(self, position: int, peer: str) -> str | None:
        """The peer's role in the state at the dependencies of the change at `position` (before `finish`)."""
        if not self.graph.deps_at(position):
            return None
        mask = self._masks[position]
        labels = self.labels(mask, strong=False)
        found = labels.roles.get((peer, mask), _UNSET)
        return self._role(peer, mask, labels) if found is _UNSET else found  # type: ignore[return-value]

    def finish(
        self, position: int, info: ChangeInfo, touches: Touches, doc: CrdtDoc, *, bounded: bool = True
    ) -> None:
        """Record what the change at `position` writes in steward-only parts. `bounded` (a change at the
        door): a removal or demotion beyond `project_concurrent_revocations` concurrent ones is refused
        (Rejected, before anything of it is recorded)."""
        if touches.members:
            events = {peer: project.role_of(doc, peer, [info.hash]) for peer in sorted(touches.members)}
            taking = any(
                role is None or (RANK[role] < STEWARD and peer in self._stewards_ever)
                for peer, role in events.items()
            )
            if taking and bounded:
                self._bound_revocations(position, info)
            bit = len(self._authority)
            self._authority.append(position)
            self._bit[position] = bit
            self._events[position] = events
            mask = self._masks[position] | 1 << bit
            revoked: set[str] = set()
            for peer, role in events.items():
                self._by_peer.setdefault(peer, []).append(position)
                if RANK[role] < STEWARD:
                    self._revocations.setdefault(peer, []).append((position, RANK[role] + 1))
                    revoked.add(peer)
                else:
                    self._stewards_ever.add(peer)
            if revoked:
                self._revokers[position] = revoked
            mask = self._interned.setdefault(mask, mask)
            self._masks[position] = mask
            self._mask_of_bit.append(mask)
            if taking:
                self._taking |= 1 << bit
        if touches.parts:
            self._touches[position] = touches
            for key in touches.registers:
                self._writers.setdefault(key, []).append(position)
            self._note_places(doc, info, touches)

    def _bound_revocations(self, position: int, info: ChangeInfo) -> None:
        """Refuse a removal or demotion that would make more than `project_concurrent_revocations`
        concurrent ones: weighing them against each other costs more than linear time in their number."""
        most = self.limits.project_concurrent_revocations
        concurrent = (self._taking & ~self._masks[position]).bit_count()  # none follows a newcomer
        if concurrent + 1 > most:
            from reliance.replication.signatures import Rejected  # which imports this module

            raise Rejected(
                f"change {info.hash.hex()[:12]} by {_peer_id(info.actor)[:14]}… removes or demotes a member "
                f"concurrently with {concurrent} other removals or demotions; a project takes at most "
                f"{most} at once (project_concurrent_revocations)",
                info.hash,
            )

    def _note_places(self, doc: CrdtDoc, info: ChangeInfo, touches: Touches) -> None:
        """Remember the objects under steward-only parts as of this change, to classify later changes."""
        at = [info.hash]
        position = self.graph.position(info.hash)
        if not info.deps:
            for key in project.ROOT_KEYS:
                self._place(position, doc.child(ROOT_ID, key, at), (key, None))
        for part in touches.parts:
            container = doc.child(ROOT_ID, part, at)
            if container is None:
                continue
            if part == "members":
                keys: Iterable[str] = touches.members
            elif part in REGISTER_PARTS:
                keys = {key for top, key in touches.registers if top == part}
            else:
                keys = doc.keys(container, at)
            for key in keys:
                self._place(position, doc.child(container, key, at), (part, key))

    def _place(self, position: int, obj: ObjId | None, place: tuple[str, str | None]) -> None:
        ident = ops.obj_key(obj) if obj is not None else None
        if ident is not None and ident not in self._places and place[0] in project.STEWARD_KEYS:
            self._places[ident] = place
            self._place_counters.add(ident[0])
            self._place_journal.append((position, ident))

    # -- classifying stored changes --------------------------------------------------------------------------

    def classify(self, doc: CrdtDoc, info: ChangeInfo) -> Touches:
        """What a stored change writes in steward-only parts (`doc` holds it and its past)."""
        if not info.deps:
            return genesis_touches(doc, info.hash)
        if self.author_of(info.actor) not in self._stewards_ever:
            return NOTHING  # nobody else may write there: the door refused it, or it is our own mistake
        counters = ops.object_counters(info)
        if counters is not None and None not in counters and counters.isdisjoint(self._place_counters):
            return NOTHING  # none of its operations acts on the containers or objects of those parts
        decoded = ops.change_ops(info)
        if decoded is None:
            return touches_from_effects(doc.effects(list(info.deps), [info.hash]))
        start_op, operations = decoded
        parts: set[str] = set()
        members: set[str] = set()
        registers: set[tuple[str, str]] = set()
        made: dict[ObjKey, tuple[str, str | None]] = {}
        for index, op in enumerate(operations):
            if op.obj is None:
                return touches_from_effects(doc.effects(list(info.deps), [info.hash]))
            place = self._places.get(op.obj) or made.get(op.obj)
            if place is None or place[0] not in project.STEWARD_KEYS:
                continue
            part, record = place
            parts.add(part)
            if record is None and op.key is not None:
                if part == "members":
                    members.add(op.key)
                elif part in REGISTER_PARTS:
                    registers.add((part, op.key))
            elif record is not None and part == "members" and op.key == "role":
                members.add(record)
            if op.action in ops.MAKES:
                made[(start_op + index, info.actor)] = (part, op.key if record is None else record)
        return Touches(frozenset(parts), frozenset(members), frozenset(registers))

    def sync(self, stored: StoredDoc) -> None:
        """Take in the stored document's changes not recorded yet."""
        heads = stored.heads()
        graph = self.graph
        if all(h in graph for h in heads):
            self.synced = tuple(heads)
            return
        base = [h for h in self.synced if stored.has(h)]
        new = [info for info in stored.crdt.changes_since(base) if info.hash not in graph]
        for info in new:  # whom each author writes for, from the proofs kept with the changes
            if info.actor not in self.authors:
                participant = proof_participant(info.actor, stored.known.get(info.hash))
                if participant is not None and participant != info.actor:
                    self.learn_author(info.actor, participant)
        for info in new:
            self.add(info, self.classify(stored.crdt, info), stored.crdt)
        self.synced = tuple(heads)

    # -- roles -----------------------------------------------------------------------------------------------

    def mask_of(self, heads: Iterable[bytes]) -> int:
        """The membership changes in the past of `heads` (all known to the index), as bits."""
        mask = 0
        graph, masks = self.graph, self._masks
        for h in heads:
            mask |= masks[graph.position(h)]
        return mask

    def role_at(self, peer: str, deps: Sequence[bytes]) -> str | None:
        """The peer's role in the state at `deps`, judged from that history alone (as the door does)."""
        if not deps:
            return None
        mask = self.mask_of(deps)
        return self._role(peer, mask, self.labels(mask, strong=False))

    def labels(self, universe: int, *, strong: bool = True) -> _Labels:
        """Which membership changes of `universe` are valid: `strong`, with what revoked devices signed
        beyond their revocations made invalid (the effective state); else from the history alone."""
        cache = self._labels if strong or not self.cuts else self._door_labels
        found = cache.get(universe)
        if found is None:
            found = self._decide(universe, strong=strong and bool(self.cuts))
            if len(cache) > 256:
                cache.clear()
            cache[universe] = found
        return found

    def _role(self, peer: str, mask: int, labels: _Labels) -> str | None:
        key = (peer, mask)
        if key in labels.roles:
            return labels.roles[key]
        sure = [p for p in self._by_peer.get(peer, ()) if mask >> self._bit[p] & 1 and labels.valid.get(p)]
        role = self._merge(peer, sure)
        labels.roles[key] = role
        return role

    def _holds(self, peer: str, mask: int, need: int, state: Mapping[int, bool | None]) -> bool | None:
        """Whether the peer holds a role of rank `need` from the events in `mask`: for every way the
        undecided events may turn out (True), for none (False), or it depends (None)."""
        sure: list[int] = []
        open_: list[int] = []
        for position in self._by_peer.get(peer, ()):
            if not mask >> self._bit[position] & 1:
                continue
            verdict = state.get(position)
            if verdict is True:
                sure.append(position)
            elif verdict is None:
                open_.append(position)
        if len(open_) > _MAX_OPEN:
            return None
        outcomes = set()
        for chosen in range(1 << len(open_)):
            picked = [p for bit, p in enumerate(open_) if chosen >> bit & 1]
            outcomes.add(RANK[self._merge(peer, sure + picked)] >= need)
            if len(outcomes) > 1:
                return None
        return outcomes.pop()

    def _merge(self, peer: str, positions: list[int]) -> str | None:
        """The lowest role among the latest events (those no other event in `positions` follows)."""
        if not positions:
            return None
        latest = [
            p
            for p in positions
            if not any(q != p and self._mask_of_bit[self._bit[q]] >> self._bit[p] & 1 for q in positions)
        ]
        return min((self._events[p][peer] for p in latest), key=lambda role: RANK[role])

    # -- deciding which membership changes are valid ---------------------------------------------------------

    def _decide(self, universe: int, *, strong: bool) -> _Labels:
        # In an order every node shares (ancestors first, then by hash), whatever order changes came in.
        members = sorted(
            (p for p in self._authority if universe >> self._bit[p] & 1),
            key=lambda p: (self._masks[p].bit_count(), self.graph.hash_at(p)),
        )
        if not any(self._takes_away(p, universe) or (strong and self.device_revoked(p)) for p in members):
            return _Labels(dict.fromkeys(members, True), {})  # nothing was ever taken away: all stand
        state: dict[int, bool | None] = dict.fromkeys(members)
        reasons: dict[int, Reason] = {}
        changed = True
        while changed:
            changed = False
            for position in members:
                if state[position] is not None:
                    continue
                verdict, reason = self._judge_event(position, universe, state, strong=strong)
                if verdict is not None:
                    state[position] = verdict
                    if reason:
                        reasons[position] = reason
                    changed = True
        valid: dict[int, bool] = {}
        for position, verdict in state.items():
            if verdict is None:
                reasons[position] = Reason("removal.cycle")
            valid[position] = bool(verdict)
        return _Labels(valid, reasons)

    def _takes_away(self, position: int, universe: int) -> bool:
        """Whether a membership change removes someone, or sets the "member" role of someone who holds
        (or is given, at some point of this history) the steward's role: adding a member takes nothing."""
        for peer in self._revokers.get(position, ()):
            if self._events[position][peer] is None or self._ever_steward(peer, universe):
                return True
        return False

    def _ever_steward(self, peer: str, universe: int) -> bool:
        return any(
            universe >> self._bit[p] & 1 and self._events[p][peer] == "steward" for p in self._by_peer[peer]
        )

    def _judge_event(
        self, position: int, universe: int, state: dict[int, bool | None], *, strong: bool = True
    ) -> tuple[bool | None, Reason | None]:
        graph = self.graph
        revoked = self.device_revoked(position) if strong else None
        if revoked is not None:
            return False, revoked
        if not graph.deps_at(position):
            return True, None  # the creation, checked at the door
        author = self.author_at(position)
        deps_mask = self._deps_mask(position) & universe
        authorised = self._holds(author, deps_mask, STEWARD, state)
        if authorised is False:
            return False, Reason("removal.not_steward", author)
        attacked, reason = self._voided(position, author, STEWARD, universe, state)
        if attacked is True:
            return False, reason
        if attacked is False and authorised is True:
            return True, None
        return None, None

    def _deps_mask(self, position: int) -> int:
        mask = 0
        for dep in self.graph.deps_at(position):
            mask |= self._masks[dep]
        return mask

    def _voided(
        self,
        position: int,
        author: str,
        need: int,
        universe: int,
        state: Mapping[int, bool | None],
    ) -> tuple[bool | None, Reason | None]:
        """Whether a valid revocation of `author`, concurrent with the change at `position`, takes away a
        right it needs (True, with the reason), does not (False), or may (None: undecided yet)."""
        graph = self.graph
        revoking = self._revokers.get(position, set())
        undecided = False
        for revocation, lost in self._revocations.get(author, ()):
            if lost > need or not universe >> self._bit[revocation] & 1:
                continue
            if revocation == position or not graph.concurrent(revocation, position):
                continue
            remover = self.author_at(revocation)
            if position in self._bit and remover in revoking:
                continue  # mutual: each removes the other, and both removals stand
            verdict = state.get(revocation)
            if verdict is False:
                continue
            if position in self._revokers:
                # a removal can only be undone by a remover who was a steward in the history both share
                shared = self._masks[revocation] & self._masks[position] & universe
                authority = self._holds(remover, shared, STEWARD, state)
                if authority is False:
                    continue
                if authority is None:
                    undecided = True
                    continue
            if verdict is None:
                undecided = True
                continue
            key = "removal.removed" if lost == MEMBER else "removal.demoted"
            return True, Reason(key, author, graph.hash_at(revocation).hex()[:12])
        return (None, None) if undecided else (False, None)

    # -- any change ------------------------------------------------------------------------------------------

    def verdict(self, position: int, universe: int) -> Verdict:
        """Whether the change at `position` counts, in the history `universe` describes."""
        revoked = self.device_revoked(position)
        if revoked is not None:
            return Verdict(False, revoked)
        labels = self.labels(universe)
        if position in self._bit:
            if labels.valid.get(position, False):
                return Verdict(True)
            return Verdict(
                False,
                labels.reasons.get(position, Reason("removal.not_steward", self.author_at(position))),
            )
        author = self.author_at(position)
        need = self._touches.get(position, NOTHING).need
        role = self._role(author, self._deps_mask(position) & universe, labels)
        if RANK[role] < need:
            return Verdict(
                False, Reason("removal.not_steward" if need == STEWARD else "removal.not_member", author)
            )
        attacked, reason = self._voided(position, author, need, universe, labels.valid)
        return Verdict(False, reason) if attacked else Verdict(True)

    # -- the effective state ---------------------------------------------------------------------------------

    def view(self, doc: CrdtDoc, heads: Sequence[bytes]) -> EffectiveView:
        """The effective members, and what does not count, in the history up to `heads` (memoised: it
        depends on nothing else)."""
        key = tuple(sorted(heads))
        found = self._views.get(key)
        if found is None:
            from reliance.replication.effective import compute_view  # which imports this module

            found = compute_view(self, doc, key)
            if len(self._views) >= 16:
                self._views.clear()
            self._views[key] = found
        return found

    def writers(self, key: tuple[str, str]) -> list[int]:
        return list(self._writers.get(key, ()))

    def registers(self) -> list[tuple[str, str]]:
        return sorted(self._writers)


# -- one index per opened document ---------------------------------------------------------------------------

_indexes: WeakKeyDictionary[StoredDoc, ProjectIndex] = WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_for(stored: StoredDoc) -> ProjectIndex:
    """The document's index, brought up to date with what it holds."""
    with _indexes_lock:
        index = _indexes.get(stored)
        if index is None:
            index = ProjectIndex(stored.limits)
            _indexes[stored] = index
    with index.lock:
        index.sync(stored)
        authors = dict(index.authors) if index.authors else None
    if authors is not None:  # other documents are opened without holding the index
        cuts = cuts_for(stored, authors)
        with index.lock:
            index.set_cuts(cuts)
    return index


def warm(stored: StoredDoc) -> None:
    """Build a project document's index as it is opened (`Repository.on_open`): it is part of loading."""
    if stored.doc_id.startswith("pj") and stored.known:
        index_for(stored)
