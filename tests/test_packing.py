"""The bounded msgpack reader: it reads everything msgpack writes within the shape, refuses the rest
with a `PackError` only, and never lets more items through than the bytes pay for."""

from __future__ import annotations

import contextlib

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reliance.limits import DEFAULT_LIMITS
from reliance.packing import ITEM_ALLOWANCE, PackError, Shape, check, unpack

FRAME = Shape.frame(DEFAULT_LIMITS)

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


def items(value: object) -> int:
    if isinstance(value, list):
        return 1 + sum(items(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(1 + items(v) for v in value.values())
    return 1


@settings(max_examples=400, deadline=None)
@given(value=values)
def test_what_msgpack_writes_is_read_back_unchanged(value: object) -> None:
    data = msgpack.packb(value, use_bin_type=True)
    if items(value) > len(data) // FRAME.bytes_per_item + ITEM_ALLOWANCE:
        with pytest.raises(PackError):
            unpack(data, FRAME)
    else:
        assert unpack(data, FRAME) == value


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
        (msgpack.packb([1, 2]) + b"\x00", "after"),
        (msgpack.packb(b"x" * 10)[:-1], "truncated"),
    ],
)
def test_what_is_refused_and_why(data: bytes, why: str) -> None:
    shape = Shape(max_str=4096, max_bin=1 << 20, max_map=64, max_depth=3, bytes_per_item=16)
    with pytest.raises(PackError, match=why):
        check(data, shape)


def test_a_record_holds_no_array() -> None:
    record = Shape.record(DEFAULT_LIMITS)
    assert unpack(msgpack.packb({"c": b"x" * 100, "s": None, "t": 1}), record)["t"] == 1
    with pytest.raises(PackError, match="array"):
        unpack(msgpack.packb({"c": [b"x"]}), record)
