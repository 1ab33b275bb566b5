"""The bounded msgpack reader: it reads everything msgpack writes within the shape, refuses the rest
with a `PackError` only, and what it lets through costs no more in memory than its estimate allows."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Callable

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.limits import DEFAULT_LIMITS
from reliance.packing import MEMORY_ALLOWANCE, PackError, Shape, check, unpack

FRAME = Shape.frame(DEFAULT_LIMITS)
ANY = Shape(max_str=1 << 20, max_bin=1 << 20, max_map=1 << 10, max_depth=64, memory_multiple=1 << 20)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 63), max_value=(1 << 64) - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.binary(max_size=300)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(value=values)
def test_what_msgpack_writes_is_read_back_unchanged(value: object) -> None:
    assert unpack(msgpack.packb(value, use_bin_type=True), ANY) == value


@settings(max_examples=300, deadline=None)
@given(value=values, copies=st.integers(1, 400))
def test_what_passes_costs_what_was_estimated_at_most(value: object, copies: int) -> None:
    """Many copies of any value (so that the allowance is not what lets it through): decoded, it costs no
    more than the multiple of its size that the reader allows."""
    data = msgpack.packb([value] * copies, use_bin_type=True)
    try:
        decoded = unpack(data, FRAME)
    except PackError:
        return
    assert decoded == [value] * copies
    # Measured after a first decoding: it may fill interpreter caches (interned strings, free lists) that
    # belong to no decoded value. The least of three: tracemalloc also counts what threads left running by
    # other tests allocate meanwhile, which can only add to the figure.
    peak = min(traced_peak(lambda: unpack(data, FRAME)) for _ in range(3))
    assert peak <= FRAME.memory_multiple * len(data) + MEMORY_ALLOWANCE


def traced_peak(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=200) | values.map(lambda v: msgpack.packb(v, use_bin_type=True)[:-1]))
def test_any_bytes_are_read_or_refused_with_a_pack_error(data: bytes) -> None:
    with contextlib.suppress(PackError):
        unpack(data, FRAME)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (msgpack.packb({"t": "x" * 5000}), "string"),
        (msgpack.packb([[[[[]]]]]), "nested"),
        (msgpack.packb({str(i): i for i in range(100)}), "map"),
        (msgpack.packb(msgpack.ExtType(1, b"x")), "type"),
        (b"\xdd\xff\xff\xff\xff", "items"),
        (msgpack.packb([{}] * 100_000), "memory"),
        (msgpack.packb([1, 2]) + b"\x00", "after"),
        (msgpack.packb(b"x" * 10)[:-1], "truncated"),
    ],
)
def test_what_is_refused_and_why(data: bytes, why: str) -> None:
    shape = Shape(max_str=4096, max_bin=1 << 20, max_map=64, max_depth=3, memory_multiple=6)
    with pytest.raises(PackError, match=why):
        check(data, shape)


def test_a_record_holds_no_array() -> None:
    record = Shape.record(DEFAULT_LIMITS)
    assert unpack(msgpack.packb({"c": b"x" * 100, "s": None, "t": 1}), record)["t"] == 1
    with pytest.raises(PackError, match="array"):
        unpack(msgpack.packb({"c": [b"x"]}), record)
