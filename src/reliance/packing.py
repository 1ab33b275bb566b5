"""Bounded msgpack decoding for everything that comes from outside: frames, stored records, snapshots
and bundles.

`msgpack.unpackb` builds every object before anyone can look at it, and a one-byte item (an empty map
or array) becomes a Python object of 56 to 200 bytes: a 16 MiB frame of empty maps costs over a GiB.
So before decoding, `check` walks the encoded structure without building anything, estimates what each
item will cost once decoded (from its type and length: `_cost`), and refuses the whole as soon as the
estimate passes `packed_memory_multiple` times its size (beyond a small allowance), or as soon as it
nests deeper, or holds a string, bin, array or map longer, than the schema allows, or any extension
type. What passes costs at most a few times its size once decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from reliance.limits import DEFAULT_LIMITS, KIB, Limits

__all__ = ["MEMORY_ALLOWANCE", "PackError", "Shape", "check", "unpack"]

#: Estimated memory allowed beyond the multiple: a small frame (a digest: 46 bytes, some 600 in objects)
#: always passes.
MEMORY_ALLOWANCE = 64 * KIB

# What decoding costs in CPython (3.11, 64-bit), per item, beyond the 8-byte slot its container gives
# it: an upper bound of `sys.getsizeof` of what msgpack builds.
_LIST = 56  # + 8 per element (the elements' slots)
_DICT = 184  # a dict with up to 5 keys; + 24 per entry beyond (with the elements' slots: all sizes)
_DICT_PER_ENTRY = 24
_BYTES = 33  # + its length
_STR = 80  # + its length: any UTF-8 text takes at most as many bytes in memory as on the wire
_INT = 36  # beyond the small ints CPython shares
_FLOAT = 24
_SLOT = 8


class PackError(ValueError):
    """Bytes that are not msgpack, or msgpack outside the limits of what is being read."""


@dataclass(frozen=True)
class Shape:
    """The limits of one kind of msgpack document."""

    max_str: int
    max_bin: int
    max_map: int
    max_depth: int
    memory_multiple: int
    max_array: int | None = None  # None: as many as the memory budget allows
    max_array_limit: str = ""  # the name of the `Limits` field `max_array` comes from, for refusals

    @classmethod
    def frame(cls, limits: Limits = DEFAULT_LIMITS) -> Shape:
        """A sync frame. Its long arrays are a summary's entries and a sync frame's signatures (one per
        author in the usual case): at most `summary_max_documents` items, checked from an array's header,
        so that a summary over the limit is refused before its entries are walked or decoded."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=limits.max_frame,
            max_map=limits.max_packed_map,
            max_depth=limits.max_packed_depth,
            memory_multiple=limits.packed_memory_multiple,
            max_array=limits.summary_max_documents,
            max_array_limit="summary_max_documents",
        )

    @classmethod
    def bundle(cls, limits: Limits = DEFAULT_LIMITS) -> Shape:
        """A bundle: lists of documents and of changes, whose bins are change chunks."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=limits.max_change_bytes,
            max_map=limits.max_packed_map,
            max_depth=limits.max_packed_depth,
            memory_multiple=limits.packed_memory_multiple,
        )

    @classmethod
    def record(cls, limits: Limits = DEFAULT_LIMITS) -> Shape:
        """A log record (a change, its signature, its time) or a log header: one flat map."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=limits.max_change_bytes,
            max_map=limits.max_packed_map,
            max_depth=1,
            memory_multiple=limits.packed_memory_multiple,
            max_array=0,
        )

    @classmethod
    def snapshot(cls, limits: Limits, size: int) -> Shape:
        """A snapshot this store wrote: a saved document of any size, and a list of (hash, signature or
        nil) pairs for every change (4.5 times their size when most changes came unsigned)."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=size,
            max_map=limits.max_packed_map,
            max_depth=limits.max_packed_depth,
            memory_multiple=limits.packed_memory_multiple,
        )


# Fixed-size payloads after the type byte: (bytes to skip, estimated cost beyond the slot).
_FIXED = {
    0xC0: (0, 0), 0xC2: (0, 0), 0xC3: (0, 0),  # nil, false, true: shared objects
    0xCA: (4, _FLOAT), 0xCB: (8, _FLOAT),  # float 32, 64
    0xCC: (1, _INT), 0xCD: (2, _INT), 0xCE: (4, _INT), 0xCF: (8, _INT),  # uint 8..64
    0xD0: (1, _INT), 0xD1: (2, _INT), 0xD2: (4, _INT), 0xD3: (8, _INT),  # int 8..64
}  # fmt: skip
# str 8/16/32 and bin 8/16/32: (width of the length, is a string)
_SIZED = {
    0xD9: (1, True),
    0xDA: (2, True),
    0xDB: (4, True),
    0xC4: (1, False),
    0xC5: (2, False),
    0xC6: (4, False),
}
# array 16/32 and map 16/32: (width of the length, is a map)
_CONTAINERS = {0xDC: (2, False), 0xDD: (4, False), 0xDE: (2, True), 0xDF: (4, True)}


def _container_cost(count: int, is_map: bool) -> int:
    """A container of `count` elements (entries), the slots of its elements included."""
    if is_map:
        return (_DICT + _DICT_PER_ENTRY * max(0, count - 5)) if count else 64
    return _LIST


def _scalar(data: bytes, pos: int, max_str: int, max_bin: int) -> tuple[int, int]:
    """(position after, estimated cost) of the scalar at `pos` if it is a nil, a boolean, a fixint, or a
    string or bin with a one-byte length; (-1, 0) for anything else. For the pairs fast path."""
    byte = data[pos]
    if byte <= 0x7F or byte >= 0xFB or byte in (0xC0, 0xC2, 0xC3):
        return pos + 1, _SLOT
    if 0xA0 <= byte <= 0xBF:
        length = byte & 0x1F
        if length > max_str:
            return -1, 0
        return pos + 1 + length, _SLOT + (_STR + length if length > 1 else 0)
    if byte == 0xD9 or byte == 0xC4:
        length = data[pos + 1]
        if length > (max_str if byte == 0xD9 else max_bin):
            return -1, 0
        return pos + 2 + length, _SLOT + (_STR if byte == 0xD9 else _BYTES) + length
    return -1, 0


def check(data: bytes, shape: Shape) -> None:
    """Walk one msgpack object filling `data` exactly; raise PackError at the first thing over `shape`,
    the estimated cost of decoding it included.

    Touches only type bytes and lengths: its time is bounded by the budget (every item costs at least
    its slot), not by the data. Pairs of small scalars (a summary's entries, signatures, a snapshot's
    changes, a bundle's), the bulk of every long list here, are read in one step.
    """
    end = len(data)
    budget = shape.memory_multiple * end + MEMORY_ALLOWANCE
    over = f"would cost over {shape.memory_multiple} times its {end} bytes in memory"
    max_str, max_bin, max_map, max_depth = shape.max_str, shape.max_bin, shape.max_map, shape.max_depth
    max_array = end if shape.max_array is None else shape.max_array
    named = f": {shape.max_array_limit}" if shape.max_array_limit else ""
    pair = _LIST + 2 * _SLOT if max_array >= 2 else -1  # a fixarray of two, its slot included
    remaining = [1]  # items still to read in each open container, outermost first
    pos = 0
    try:
        while remaining:
            if not remaining[-1]:
                remaining.pop()
                continue
            remaining[-1] -= 1
            byte = data[pos]
            if byte == 0x92 and pair > 0 and len(remaining) <= max_depth:  # a pair of small scalars: one step
                after, first = _scalar(data, pos + 1, max_str, max_bin)
                if after > 0:
                    after, second = _scalar(data, after, max_str, max_bin)
                    if after > 0:
                        budget -= pair + first + second
                        if budget < 0:
                            raise PackError(over)
                        pos = after
                        continue
            budget -= _SLOT
            if budget < 0:
                raise PackError(over)
            pos += 1
            if byte <= 0x7F or byte >= 0xE0:  # positive and negative fixint: shared small ints
                if 0x80 < byte < 0xFB:  # -32..-6 are not shared
                    budget -= _INT
                continue
            if byte <= 0x9F:  # fixmap 0x80-0x8f, fixarray 0x90-0x9f
                count = byte & 0x0F
                is_map = byte <= 0x8F
                if is_map and count > max_map:
                    raise PackError(f"a map of {count} entries")
                if not is_map and count > max_array:
                    raise PackError(f"an array of {count} items (at most {max_array}{named})")
                budget -= _container_cost(count, is_map)
                if count:
                    if len(remaining) > max_depth:
                        raise PackError("nested too deeply")
                    remaining.append(count * 2 if is_map else count)
                continue
            if byte <= 0xBF:  # fixstr
                length = byte & 0x1F
                if length > max_str:
                    raise PackError(f"a string of {length} bytes")
                if length > 1:  # the empty string and one-character ASCII ones are shared
                    budget -= _STR + length
                pos += length
                continue
            fixed = _FIXED.get(byte)
            if fixed is not None:
                pos += fixed[0]
                budget -= fixed[1]
                continue
            sized = _SIZED.get(byte)
            if sized is not None:
                width, is_str = sized
                length = int.from_bytes(data[pos : pos + width], "big")
                pos += width
                if length > (max_str if is_str else max_bin):
                    raise PackError(f"a {'string' if is_str else 'bin'} of {length} bytes")
                budget -= (_STR if is_str else _BYTES) + length
                pos += length
                continue
            container = _CONTAINERS.get(byte)
            if container is None:  # 0xc1 (never used) and every extension type
                raise PackError(f"unexpected msgpack type 0x{byte:02x}")
            width, is_map = container
            count = int.from_bytes(data[pos : pos + width], "big")
            pos += width
            if is_map and count > max_map:
                raise PackError(f"a map of {count} entries")
            if not is_map and count > max_array:
                raise PackError(f"an array of {count} items (at most {max_array}{named})")
            items = count * 2 if is_map else count
            budget -= _container_cost(count, is_map)
            if items * _SLOT > budget:  # announces more than the bytes can pay for: no need to walk it
                raise PackError(over)
            if items:
                if len(remaining) > max_depth:
                    raise PackError("nested too deeply")
                remaining.append(items)
    except IndexError:
        raise PackError("truncated msgpack") from None
    if pos != end:
        raise PackError("truncated msgpack" if pos > end else "bytes after the msgpack object")


def unpack(data: bytes, shape: Shape) -> Any:
    """`check`, then decode with msgpack's own limits set to the same shape (strings as UTF-8, map keys
    strings or bytes only)."""
    check(data, shape)
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            max_str_len=shape.max_str,
            max_bin_len=shape.max_bin,
            max_array_len=len(data) if shape.max_array is None else shape.max_array,
            max_map_len=shape.max_map,
            max_ext_len=0,
        )
    except (ValueError, msgpack.UnpackException) as exc:
        raise PackError(f"not msgpack ({type(exc).__name__})") from None
