"""A small seeded mutator: bytes, LEB128 fields and msgpack structures. Same seed, same inputs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from reliance.automerge import wire

INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xC0, 0xC1, 0xFE, 0xFF)
INTERESTING_INTS = (
    0,
    1,
    2,
    31,
    32,
    33,
    63,
    64,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    (1 << 31) - 1,
    1 << 31,
    (1 << 32) - 1,
    1 << 32,
    (1 << 63) - 1,
    (1 << 64) - 1,
)


def leb_bytes(rng: random.Random) -> bytes:
    """An interesting unsigned LEB128 value, sometimes overlong or unterminated."""
    choice = rng.random()
    if choice < 0.1:
        return b"\x80" * rng.randint(1, 11)  # unterminated
    if choice < 0.2:
        return b"\xff" * rng.randint(9, 11) + b"\x01"  # beyond 64 bits
    value = wire.write_uleb128(rng.choice(INTERESTING_INTS))
    if choice < 0.3:
        value = value[:-1] + bytes([value[-1] | 0x80]) + b"\x00"  # overlong
    return value


def mutate_bytes(rng: random.Random, data: bytes, others: Sequence[bytes] = (), rounds: int = 0) -> bytes:
    """Apply 1 to 4 random edits (or `rounds`) to `data`; `others` are spliced in sometimes."""
    out = bytearray(data)
    for _ in range(rounds or rng.choice((1, 1, 1, 2, 2, 3, 4))):
        size = len(out)
        op = rng.randrange(13)
        pos = rng.randrange(size) if size else 0
        if op == 0 and size:  # flip one bit
            out[pos] ^= 1 << rng.randrange(8)
        elif op == 1 and size:  # random byte
            out[pos] = rng.randrange(256)
        elif op == 2 and size:  # interesting byte
            out[pos] = rng.choice(INTERESTING_BYTES)
        elif op == 3:  # insert random bytes
            out[pos:pos] = rng.randbytes(rng.choice((1, 1, 2, 4, 8, 32)))
        elif op == 4 and size:  # delete a range
            del out[pos : pos + rng.choice((1, 1, 2, 4, 16, 64))]
        elif op == 5 and size:  # duplicate a range
            length = rng.choice((1, 2, 4, 16, 64, 256))
            out[pos:pos] = out[pos : pos + length]
        elif op == 6:  # an interesting LEB128 value over or into the data
            value = leb_bytes(rng)
            if rng.random() < 0.5:
                out[pos : pos + len(value)] = value
            else:
                out[pos:pos] = value
        elif op == 7 and size:  # truncate
            del out[rng.randrange(size) :]
        elif op == 8:  # append
            out += rng.randbytes(rng.choice((1, 4, 32)))
        elif op == 9 and others:  # splice a piece of another seed
            other = rng.choice(others)
            if other:
                start = rng.randrange(len(other))
                piece = other[start : start + rng.choice((4, 16, 64, 512))]
                out[pos : pos + (len(piece) if rng.random() < 0.5 else 0)] = piece
        elif op == 10 and size > 1:  # swap two ranges
            a, b = sorted((rng.randrange(size), rng.randrange(size)))
            length = min(rng.choice((1, 4, 16)), b - a)
            out[a : a + length], out[b : b + length] = out[b : b + length], out[a : a + length]
        elif op == 11 and size:  # small arithmetic on one byte (lengths, counts)
            out[pos] = (out[pos] + rng.choice((-2, -1, 1, 2))) % 256
        elif op == 12 and size >= 4:  # repeat a byte many times (runs, bombs)
            out[pos:pos] = bytes([out[pos]]) * rng.choice((16, 256, 4096))
    return bytes(out)


def random_int(rng: random.Random) -> int:
    """An interesting integer msgpack can encode (-2**63 .. 2**64 - 1)."""
    value = rng.choice(INTERESTING_INTS)
    return -min(value, 1 << 63) if rng.random() < 0.3 else value


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """A value of a random msgpack type, sometimes large."""
    choice = rng.randrange(12 if depth < 2 else 9)
    if choice == 0:
        return None
    if choice == 1:
        return rng.random() < 0.5
    if choice == 2:
        return random_int(rng)
    if choice == 3:
        return rng.random() * 1e300
    if choice == 4:
        return rng.choice(("", "x", "digest", "summary", "sync", "reject", "\x1b[2J", "é" * 100, "a\n"))
    if choice == 5:
        return "s" * rng.choice((1000, 70_000))
    if choice == 6:
        return rng.randbytes(rng.choice((0, 1, 8, 31, 32, 33, 64, 65)))
    if choice == 7:
        return bytes(rng.choice((1000, 100_000)))
    if choice == 8:
        return rng.choice(("pj" + "0" * 32, "rl" + "a" * 56, "pj" + "0" * 32 + "\n"))
    if choice == 9:
        return [random_value(rng, depth + 1) for _ in range(rng.choice((0, 1, 2, 3)))]
    if choice == 10:
        return {str(i): random_value(rng, depth + 1) for i in range(rng.choice((0, 1, 2)))}
    return [[]] * rng.choice((100, 10_000))


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


def mutate_structure(rng: random.Random, obj: Any, leaf: Any = None) -> Any:
    """One structural edit of a decoded msgpack value (a deep copy is edited; the original is kept).

    `leaf(rng, value)` mutates a bytes leaf (default: `mutate_bytes`)."""
    import copy

    obj = copy.deepcopy(obj)
    paths = _paths(obj)
    path = rng.choice(paths)
    target = _get(obj, path)
    parent: Any = _get(obj, path[:-1]) if path else None
    op = rng.randrange(8)
    if op == 0 and path:  # replace with a value of another type
        parent[path[-1]] = random_value(rng)
    elif op == 1 and path and isinstance(parent, dict):  # remove a field
        del parent[path[-1]]
    elif op == 2 and isinstance(target, dict):  # add a field
        target[rng.choice(("t", "d", "m", "s", "docs", "reason", "x", "format", "id", "changes"))] = (
            random_value(rng)
        )
    elif op == 3 and isinstance(target, list) and target:  # duplicate elements
        target.extend(target[: rng.randint(1, len(target))] * rng.choice((1, 2, 50)))
    elif op == 4 and isinstance(target, list) and target:  # truncate or reorder
        if rng.random() < 0.5:
            del target[rng.randrange(len(target)) :]
        else:
            rng.shuffle(target)
    elif op == 5 and isinstance(target, bytes) and path:  # mutate a bytes leaf
        parent[path[-1]] = (leaf or mutate_bytes)(rng, target)
    elif op == 6 and isinstance(target, str) and path:  # mutate a string
        raw = mutate_bytes(rng, target.encode("utf-8"))
        parent[path[-1]] = raw.decode("utf-8", errors="replace") if rng.random() < 0.8 else raw
    elif op == 7 and isinstance(target, int) and not isinstance(target, bool) and path:
        parent[path[-1]] = random_int(rng)
    else:  # nothing of that kind here: mutate a random bytes leaf if any
        leaves = [p for p in paths if p and isinstance(_get(obj, p), bytes)]
        if leaves:
            chosen = rng.choice(leaves)
            holder = _get(obj, chosen[:-1])
            holder[chosen[-1]] = (leaf or mutate_bytes)(rng, holder[chosen[-1]])
        elif path:
            parent[path[-1]] = random_value(rng)
    return obj
