"""Time and ids are given to the code (reliance.clock), never patched into its modules by a test.

Every test module is read with `ast`; a `monkeypatch.setattr`, `setattr`, `mock.patch`, `mock.patch.object`
or an assignment to an attribute that replaces one of the readers of time or ids below fails this test. The
way instead: a `FixedClock` (or a subclass) handed to `Workspace(clock=)`, `Node(clock=)`,
`create_app(clock=)` (docs/architecture.md, "Time and ids").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = (ROOT / "tests", ROOT / "bench")

# Attributes that nobody may replace, wherever they live.
FORBIDDEN_NAMES = {"now_iso", "new_id", "new_nonce", "new_record_id", "new_record_suffix", "_redial_due"}
# Functions of the standard library that nobody may replace (module, attribute).
FORBIDDEN_DOTTED = {"time.time", "time.monotonic", "time.time_ns", "time.monotonic_ns"}


def _dotted(node: ast.expr) -> str:
    """`a.b.c` for a chain of names and attributes; "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _forbidden(owner: str, attribute: str) -> bool:
    return attribute in FORBIDDEN_NAMES or f"{owner.rpartition('.')[2]}.{attribute}" in FORBIDDEN_DOTTED


def _forbidden_target(text: str) -> bool:
    """A dotted target as `mock.patch` and `monkeypatch.setattr` take it: "reliance.x.now_iso"."""
    owner, _, attribute = text.rpartition(".")
    return bool(owner) and _forbidden(owner, attribute)


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def patches(source: str) -> Iterator[tuple[int, str]]:
    """Where `source` replaces a reader of time or ids: (line, what)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _forbidden(_dotted(target.value), target.attr):
                    yield node.lineno, ast.unparse(target)
        if not isinstance(node, ast.Call):
            continue
        called = _dotted(node.func)
        name = called.rpartition(".")[2]
        if name not in {"setattr", "patch", "object", "delattr"}:
            continue
        args = node.args
        first = _string(args[0]) if args else None
        if first is not None and _forbidden_target(first):  # patch("m.now_iso"), setattr("time.time", ...)
            yield node.lineno, first
        elif (  # setattr(module, "now_iso", ...), patch.object(time, "time", ...)
            len(args) >= 2
            and (attribute := _string(args[1])) is not None
            and _forbidden(_dotted(args[0]), attribute)
        ):
            yield node.lineno, f"{ast.unparse(args[0])}.{attribute}"


def test_no_test_patches_the_time_or_the_ids() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for folder in SCANNED
        for path in sorted(folder.rglob("*.py"))
        for line, what in patches(path.read_text("utf-8"))
    ]
    assert not found, "give a FixedClock instead (reliance.clock):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        'monkeypatch.setattr(catalogue, "now_iso", lambda: "2026-01-01T00:00:00+00:00")',
        'monkeypatch.setattr("reliance.model.catalogue.new_id", lambda: "1")',
        'monkeypatch.setattr(pdoc, "new_record_id", fake)',
        'monkeypatch.setattr(pdoc, "new_nonce", lambda: bytes(16))',
        'monkeypatch.setattr(time, "time", lambda: 0.0)',
        'monkeypatch.setattr("time.monotonic", lambda: 0.0)',
        'monkeypatch.setattr(node, "_redial_due", counted)',
        "node._redial_due = counted",
        "time.time = lambda: 0.0",
        'mock.patch("reliance.app.workspace.now_iso", clock.now_iso)',
        'mock.patch.object(time, "time", return_value=0.0)',
        'setattr(module, "new_id", new_id)',
        'with pytest.MonkeyPatch.context() as mp:\n    mp.setattr(pdoc, "new_record_id", fake)',
    ],
)
def test_the_scan_finds_each_way_of_patching(source: str) -> None:
    assert list(patches(source)), source


@pytest.mark.parametrize(
    "source",
    [
        "start = time.monotonic()",
        'monkeypatch.setattr(os, "fsync", spy)',
        'monkeypatch.setattr(Session, "start", start)',
        'monkeypatch.setattr(discovery, "list_ipv4_interfaces", lambda: interfaces)',
        "clock.advance(30.0)",
        "entry_id = pdoc.new_record_id(ws.peer_id)",
        'settings.set_config(home, "time", 3)',
    ],
)
def test_the_scan_leaves_other_patches_and_plain_calls_alone(source: str) -> None:
    assert not list(patches(source)), source
