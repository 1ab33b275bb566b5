"""The harness covers every frame type and every transport kind, in every category of hostility.

A new frame type (a `t` the protocol sends or handles) or a new transport kind (`KIND_*`) fails here until
tests/hostile lists its hostile variants (frames.py or kinds.py).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Collection, Iterable, Mapping

from reliance.net import transport
from reliance.replication import protocol
from tests.fuzz import seeds as fuzz_seeds
from tests.hostile.frames import SPECS, Category, variants
from tests.hostile.kinds import KINDS


def frame_types_in_code() -> set[str]:
    """Every `t` the protocol module packs, and every type `Session.receive` compares `kind` with."""
    tree = ast.parse(inspect.getsource(protocol))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "t" and isinstance(value, ast.Constant):
                    found.add(str(value.value))
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "kind":
            found.update(str(c.value) for c in node.comparators if isinstance(c, ast.Constant))
    return found


def transport_kinds() -> set[str]:
    """The handshake hello, and every frame kind the transport module names (`KIND_*`)."""
    return {"hello"} | {
        name.removeprefix("KIND_").lower() for name in vars(transport) if name.startswith("KIND_")
    }


def uncovered(
    kinds: Iterable[str],
    categories_of: Mapping[str, Collection[Category]],
    not_applicable: Mapping[str, Mapping[Category, str]],
) -> list[str]:
    """What the registry lacks: kinds without variants, and categories neither covered nor explained."""
    problems = []
    for kind in sorted(kinds):
        if kind not in categories_of:
            problems.append(f"{kind}: no hostile variants")
            continue
        for category in Category:
            if category not in categories_of[kind] and not not_applicable.get(kind, {}).get(category):
                problems.append(f"{kind}: no {category.value} variant (nor a reason why none)")
    return problems


def frame_registry() -> tuple[dict[str, set[Category]], dict[str, dict[Category, str]]]:
    seeds = fuzz_seeds.load()
    covered = {t: {v.category for v in variants(spec, seeds)} for t, spec in SPECS.items()}
    return covered, {t: spec.not_applicable for t, spec in SPECS.items()}


def kind_registry() -> tuple[dict[str, set[Category]], dict[str, dict[Category, str]]]:
    covered = {kind: {v.category for v in make()} for kind, (make, _) in KINDS.items()}
    return covered, {kind: reasons for kind, (_, reasons) in KINDS.items()}


def test_every_frame_type_is_listed_in_frame_types() -> None:
    assert frame_types_in_code() <= set(protocol.FRAME_TYPES)


def test_every_frame_type_has_hostile_variants_in_every_category() -> None:
    covered, reasons = frame_registry()
    assert set(covered) == set(protocol.FRAME_TYPES), "frames.SPECS lists other frame types than the protocol"
    assert uncovered(protocol.FRAME_TYPES, covered, reasons) == []


def test_every_transport_kind_has_hostile_variants_in_every_category() -> None:
    covered, reasons = kind_registry()
    assert set(covered) == transport_kinds(), "kinds.KINDS lists other kinds than the transport"
    assert uncovered(transport_kinds(), covered, reasons) == []


def test_every_hello_field_is_dropped_by_some_variant() -> None:
    make, _ = KINDS["hello"]
    names = {v.name for v in make()}
    assert {f"no-{field}" for field in transport._HELLO_KEYS} <= names


def test_a_frame_type_without_variants_is_caught() -> None:
    covered, reasons = frame_registry()
    assert uncovered([*protocol.FRAME_TYPES, "future"], covered, reasons) == ["future: no hostile variants"]
    del covered["sync"]
    assert "sync: no hostile variants" in uncovered(protocol.FRAME_TYPES, covered, reasons)
    partial = {t: {Category.REPLAY} for t in protocol.FRAME_TYPES}
    assert "digest: no truncated variant (nor a reason why none)" in uncovered(
        protocol.FRAME_TYPES, partial, {}
    )


def test_variant_ids_are_unique() -> None:
    seeds = fuzz_seeds.load()
    frame_ids = [v.id for spec in SPECS.values() for v in variants(spec, seeds)]
    kind_ids = [v.id for make, _ in KINDS.values() for v in make()]
    assert len(set(frame_ids)) == len(frame_ids)
    assert len(set(kind_ids)) == len(kind_ids)
