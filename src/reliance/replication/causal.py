"""The causal graph of a document's changes: pure functions of (hash → dependencies, author, sequence).

Used to judge what an author did relative to someone else's change: before it (an ancestor), after it (a
descendant) or concurrently (neither). Strong removal of a project member needs it, and so will the
revocation of a device key: both ask "was this change of X made without knowing of X's removal?".

Each change gets a vector clock (for each author, the highest sequence number in the change's past), built
incrementally from its dependencies' clocks: adding a change costs O(dependencies × authors) and every
ancestry query is O(1). The clocks describe the past exactly because each author's history is linear (a
change reaches its author's previous one through its dependencies): the door refuses any other
(`follows_previous`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import zip_longest

Clock = tuple[int, ...]  # indexed by author index; missing entries are 0


def merge_clocks(clocks: Sequence[Clock]) -> Clock:
    if len(clocks) == 1:
        return clocks[0]
    if not clocks:
        return ()
    return tuple(max(values) for values in zip_longest(*clocks, fillvalue=0))


class CausalGraph:
    """A growing set of changes, closed under dependencies (a change is added after its dependencies).

    A change's clock is stored without its own author's entry, which is its own sequence number: a run
    of changes by one author, each on the previous one, then shares one stored tuple (no copy per
    change), and `clock_at` rebuilds the whole clock on demand.
    """

    def __init__(self) -> None:
        self._position: dict[bytes, int] = {}
        self._hashes: list[bytes] = []
        self._author: list[int] = []
        self._seq: list[int] = []
        self._deps: list[tuple[int, ...]] = []
        self._others: list[Clock] = []  # the clock, except the change's own author's entry
        self._authors: list[bytes] = []
        self._author_index: dict[bytes, int] = {}
        self._chains: list[list[int]] = []  # per author: positions, in the order they were added

    # -- growing --------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, change_hash: object) -> bool:
        return change_hash in self._position

    def add(self, change_hash: bytes, deps: Sequence[bytes], author: bytes, seq: int) -> int:
        """Add a change whose dependencies are all here; returns its position (the same if known)."""
        return self.add_change(change_hash, deps, author, seq)[0]

    def add_change(
        self, change_hash: bytes, deps: Sequence[bytes], author: bytes, seq: int
    ) -> tuple[int, int]:
        """Add a change whose dependencies are all here; returns its position and the highest sequence
        number of its author in its dependencies' past (`seq - 1` when its history is one line)."""
        position_of = self._position
        known = position_of.get(change_hash)
        if known is not None:
            return known, seq - 1
        index = self._author_index.get(author)
        if index is None:
            index = len(self._authors)
            self._authors.append(author)
            self._author_index[author] = index
            self._chains.append([])
        if len(deps) == 1:
            dep = position_of[deps[0]]
            dep_positions: tuple[int, ...] = (dep,)
            if self._author[dep] == index:
                others = self._others[dep]  # the usual case: on the author's own previous change
                last = self._seq[dep]
            else:
                others = self.clock_at(dep)
                last = others[index] if index < len(others) else 0
        else:
            dep_positions = tuple([position_of[d] for d in deps])
            others = merge_clocks([self.clock_at(d) for d in dep_positions])
            last = others[index] if index < len(others) else 0
        position = len(self._hashes)
        position_of[change_hash] = position
        self._hashes.append(change_hash)
        self._author.append(index)
        self._seq.append(seq)
        self._deps.append(dep_positions)
        self._others.append(others)
        self._chains[index].append(position)
        return position, last

    def truncate(self, length: int) -> None:
        """Forget every change added after the first `length` (changes that were refused)."""
        while len(self._hashes) > length:
            self._position.pop(self._hashes.pop())
            index = self._author.pop()
            self._chains[index].pop()
            self._seq.pop()
            self._deps.pop()
            self._others.pop()

    # -- reading --------------------------------------------------------------------------------------------

    def position(self, change_hash: bytes) -> int:
        return self._position[change_hash]

    def hash_at(self, position: int) -> bytes:
        return self._hashes[position]

    def author_at(self, position: int) -> bytes:
        return self._authors[self._author[position]]

    def seq_at(self, position: int) -> int:
        return self._seq[position]

    def deps_at(self, position: int) -> tuple[int, ...]:
        return self._deps[position]

    def clock_at(self, position: int) -> Clock:
        """For each author index, the highest sequence number in the change's past (itself included)."""
        others = self._others[position]
        index = self._author[position]
        if len(others) <= index:
            others = others + (0,) * (index + 1 - len(others))
        return (*others[:index], max(self._seq[position], others[index]), *others[index + 1 :])

    def clock_of(self, heads: Iterable[bytes]) -> Clock:
        """The clock of a set of known heads: the union of their pasts."""
        return merge_clocks([self.clock_at(self._position[h]) for h in heads])

    def chain(self, author: bytes) -> list[int]:
        """The author's changes, in the order they were added (by sequence number, histories being linear)."""
        index = self._author_index.get(author)
        return list(self._chains[index]) if index is not None else []

    def authors(self) -> list[bytes]:
        return list(self._authors)

    # -- ancestry -------------------------------------------------------------------------------------------

    def _entry(self, position: int, index: int) -> int:
        """The clock of `position` at author `index`."""
        if self._author[position] == index:
            return self._seq[position]
        others = self._others[position]
        return others[index] if index < len(others) else 0

    def in_past(self, position: int, clock: Clock) -> bool:
        """Whether the change at `position` is in the past described by `clock` (itself included)."""
        index = self._author[position]
        return index < len(clock) and self._seq[position] <= clock[index]

    def precedes(self, earlier: int, later: int) -> bool:
        """`earlier` is an ancestor of `later`, or the same change."""
        return self._seq[earlier] <= self._entry(later, self._author[earlier])

    def concurrent(self, one: int, other: int) -> bool:
        return not self.precedes(one, other) and not self.precedes(other, one)

    def last_seq(self, author: bytes, clock: Clock) -> int:
        """The highest sequence number of `author` in the past described by `clock` (0: none)."""
        index = self._author_index.get(author)
        return clock[index] if index is not None and index < len(clock) else 0

    def follows_previous(self, deps: Sequence[bytes], author: bytes, seq: int) -> bool:
        """Whether a change numbered `seq` by `author` on `deps` reaches exactly the author's previous change:
        neither skipping it (a fork of their own history) nor repeating a number already in its past."""
        index = self._author_index.get(author)
        last = 0
        if index is not None:
            position_of, entry = self._position, self._entry
            for dep in deps:
                value = entry(position_of[dep], index)
                if value > last:
                    last = value
        return last == seq - 1
