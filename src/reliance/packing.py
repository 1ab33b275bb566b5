"""Bounded msgpack decoding for everything that comes from outside: frames, stored records, snapshots
and bundles.

`msgpack.unpackb` builds every object before anyone can look at it, and a one-byte item (an empty map
or array) becomes a Python object of 56 to 200 bytes: a 16 MiB frame of empty maps costs over a GiB.
So before decoding, `check` walks the encoded structure without building anything, and refuses it as
soon as it holds more items than one per `packed_bytes_per_item` bytes (beyond a small allowance),
nests deeper than `max_packed_depth`, or announces a string, bin, array or map longer than its
schema allows, or any extension type. What passes costs at most a few times its size once decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from reliance.limits import DEFAULT_LIMITS, Limits

__all__ = ["PackError", "Shape", "check", "unpack"]

#: Items allowed beyond the density rule: a small frame (a digest is 5 items in 46 bytes) always passes.
ITEM_ALLOWANCE = 64


class PackError(ValueError):
    """Bytes that are not msgpack, or msgpack outside the limits of what is being read."""


@dataclass(frozen=True)
class Shape:
    """The limits of one kind of msgpack document."""

    max_str: int
    max_bin: int
    max_map: int
    max_depth: int
    bytes_per_item: int
    max_array: int | None = None  # None: as many as the item budget allows

    @classmethod
    def frame(cls, limits: Limits = DEFAULT_LIMITS) -> Shape:
        return cls(
            max_str=limits.max_packed_string,
            max_bin=limits.max_frame,
            max_map=limits.max_packed_map,
            max_depth=limits.max_packed_depth,
            bytes_per_item=limits.packed_bytes_per_item,
        )

    @classmethod
    def bundle(cls, limits: Limits = DEFAULT_LIMITS) -> Shape:
        """A bundle: lists of documents and of changes, whose bins are change chunks."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=limits.max_change_bytes,
            max_map=limits.max_packed_map,
            max_depth=limits.max_packed_depth,
            bytes_per_item=limits.packed_bytes_per_item,
        )

    @classmethod
    def record(cls, limits: Limits = DEFAULT_LIMITS) -> Shape:
        """A log record (a change, its signature, its time) or a log header: one flat map."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=limits.max_change_bytes,
            max_map=limits.max_packed_map,
            max_depth=1,
            bytes_per_item=limits.packed_bytes_per_item,
            max_array=0,
        )

    @classmethod
    def snapshot(cls, limits: Limits, size: int) -> Shape:
        """A snapshot this store wrote: a saved document of any size, and a list of (hash, signature or
        nil) pairs for every change, 12 bytes per item when most changes came unsigned."""
        return cls(
            max_str=limits.max_packed_string,
            max_bin=size,
            max_map=limits.max_packed_map,
            max_depth=limits.max_packed_depth,
            bytes_per_item=max(1, limits.packed_bytes_per_item // 2),
        )


# Fixed-size payloads after the type byte (ints, floats, nil, booleans): bytes to skip.
_FIXED = {
    0xC0: 0, 0xC2: 0, 0xC3: 0,  # nil, false, true
    0xCA: 4, 0xCB: 8,  # float 32, 64
    0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,  # uint 8..64
    0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8,  # int 8..64
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
# array 16/32 and map 16/32: (width of the length, entries per element)
_CONTAINERS = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}


def check(data: bytes, shape: Shape) -> None:
    """Walk one msgpack object filling `data` exactly; raise PackError at the first thing over `shape`.

    Touches only type bytes and lengths: its cost is bounded by the item budget, not by the data.
    """
    end = len(data)
    budget = end // shape.bytes_per_item + ITEM_ALLOWANCE
    max_str, max_bin, max_map, max_depth = shape.max_str, shape.max_bin, shape.max_map, shape.max_depth
    max_array = budget if shape.max_array is None else shape.max_array
    remaining = [1]  # items still to read in each open container, outermost first
    pos = 0
    try:
        while remaining:
            if not remaining[-1]:
                remaining.pop()
                continue
            remaining[-1] -= 1
            budget -= 1
            if budget < 0:
                raise PackError(f"too many items for {end} bytes")
            byte = data[pos]
            pos += 1
            if byte <= 0x7F or byte >= 0xE0:  # positive and negative fixint
                continue
            if byte <= 0x9F:  # fixmap 0x80-0x8f, fixarray 0x90-0x9f
                count = byte & 0x0F
                if byte <= 0x8F:
                    if count > max_map:
                        raise PackError(f"a map of {count} entries")
                    count *= 2
                elif count > max_array:
                    raise PackError(f"an array of {count} items")
                if count:
                    if len(remaining) > max_depth:
                        raise PackError("nested too deeply")
                    remaining.append(count)
                continue
            if byte <= 0xBF:  # fixstr
                length = byte & 0x1F
                if length > max_str:
                    raise PackError(f"a string of {length} bytes")
                pos += length
                continue
            fixed = _FIXED.get(byte)
            if fixed is not None:
                pos += fixed
                continue
            sized = _SIZED.get(byte)
            if sized is not None:
                width, is_str = sized
                length = int.from_bytes(data[pos : pos + width], "big")
                pos += width
                if length > (max_str if is_str else max_bin):
                    raise PackError(f"a {'string' if is_str else 'bin'} of {length} bytes")
                pos += length
                continue
            container = _CONTAINERS.get(byte)
            if container is None:  # 0xc1 (never used) and every extension type
                raise PackError(f"unexpected msgpack type 0x{byte:02x}")
            width, per_entry = container
            count = int.from_bytes(data[pos : pos + width], "big")
            pos += width
            if per_entry == 2 and count > max_map:
                raise PackError(f"a map of {count} entries")
            if per_entry == 1 and count > max_array:
                raise PackError(f"an array of {count} items")
            if count * per_entry > budget:  # announced more items than the bytes can pay for
                raise PackError(f"too many items for {end} bytes")
            if count:
                if len(remaining) > max_depth:
                    raise PackError("nested too deeply")
                remaining.append(count * per_entry)
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
