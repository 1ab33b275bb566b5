"""The layers of the package and what each may never import (docs/architecture.md draws them).

Every module's imports are read with `ast` (module level, inside functions and under TYPE_CHECKING alike:
a lazy import is still a dependency), and each rule below is checked against all of them. An exception is
written down in `ALLOWED`, with its reason; one that is no longer needed fails the test too, so that the list
only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import reliance

SRC = Path(reliance.__file__).parent

# The parts, lowest first. A top-level module (limits.py, ...) is a shared utility, and so is a package in
# SHARED_PACKAGES (i18n: the catalogue, its texts split by area).
UTILITIES = "utilities"
PACKAGES = (
    "economy",
    "model",
    "automerge",
    "doc",
    "store",
    "replication",
    "app",
    "export",
    "net",
    "localapi",
    "cli",
    "tui",
    "web",
)
SHARED_PACKAGES = {"i18n"}
FACES = {"cli", "tui", "web"}
ABOVE_STORE = {"replication", "app", "export", "net", "localapi", "cli", "tui", "web"}

# What each part may never import.
NEVER: dict[str, set[str]] = {
    # Shared utilities (errors, limits, packing, i18n, display, fsutil, identity) sit under everything.
    UTILITIES: set(PACKAGES),
    # The domain: pure values and rules, no documents, no files, no network.
    "model": set(PACKAGES) - {"model", "economy"},
    "economy": set(PACKAGES) - {"economy"},
    # The binding and automerge's formats: nothing of reliance above the utilities.
    "automerge": set(PACKAGES) - {"automerge"},
    "doc": ABOVE_STORE | {"store"},
    "store": ABOVE_STORE | {"doc"},
    # The replication core: sessions and rules over a store, no network, no home-level services.
    "replication": ABOVE_STORE - {"replication"},
    "app": {"export", "net", "localapi", *FACES},
    "export": {"net", "localapi", *FACES},
    "net": {"localapi", *FACES},
    "localapi": FACES,
    "cli": {"tui"},
    "tui": {"cli"},
    # The web face serves the node's home to browsers: it reads and writes through the owner (localapi)
    # and the application layer, never the store, the replication core or the documents themselves. The
    # command line and the app start it beside their node (serve_web), so they may import it.
    "web": {"store", "replication", "doc", "automerge", "cli", "tui"},
}

# Modules that do I/O on their own schedule: none of them under the sans-IO core.
IO_MODULES = {"asyncio", "socket", "selectors", "ssl", "zeroconf", "ifaddr", "noise"}
SANS_IO = {"replication", "automerge", "doc", "model", "economy"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted
    line: int
    runtime: bool  # at module level and not under TYPE_CHECKING: runs when the module is imported


# Rule exceptions: (importing module, imported module) -> why it must stay for now.
ALLOWED: dict[tuple[str, str], str] = {
    ("reliance.cli.main", "reliance.tui.app"): (
        "`reliance` with no arguments opens the app: the command line's entry point starts the TUI, "
        "imported inside the group's callback so that no command loads Textual"
    ),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    base = SRC.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path) -> Iterator[Import]:
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = _type_checking_lines(tree)
    top_level = {id(node) for node in tree.body} | {
        id(child) for node in tree.body if isinstance(node, ast.If | ast.Try) for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        runtime = id(node) in top_level and node.lineno not in typing_only
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno, runtime)
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(module, submodule if is_module(submodule) else base, node.lineno, runtime)


def all_imports() -> list[Import]:
    return [imp for path in sorted(SRC.rglob("*.py")) for imp in imports_of(path)]


def part(dotted: str) -> str | None:
    """The part a reliance module belongs to; None outside reliance."""
    parts = dotted.split(".")
    if parts[0] != "reliance" or len(parts) == 1:
        return None
    return parts[1] if parts[1] in PACKAGES else UTILITIES


def test_a_shared_package_imports_nothing_of_reliance_but_itself() -> None:
    """A shared package is one utility split into files: the same rule as a utility module, and the catalogue
    (docs/i18n.md) imports no other module of reliance at all, not even a utility."""
    for package in SHARED_PACKAGES:
        assert part(f"reliance.{package}.any") == UTILITIES
        outside = {
            f"{imp.module}:{imp.line} imports {imp.target}"
            for imp in all_imports()
            if imp.module.split(".")[:2] == ["reliance", package]
            and imp.target.split(".")[0] == "reliance"
            and imp.target.split(".")[:2] != ["reliance", package]
        }
        assert outside == set()


def violations(imports: list[Import]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for imp in imports:
        source = part(imp.module)
        if source is None:
            continue
        target = part(imp.target)
        top = imp.target.split(".")[0]
        if (target is not None and target in NEVER[source]) or (source in SANS_IO and top in IO_MODULES):
            found.setdefault((imp.module, imp.target), imp.line)
    return found


def test_every_module_belongs_to_a_known_part() -> None:
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(PACKAGES) | SHARED_PACKAGES, (
        "a new package: place it in PACKAGES and NEVER, and in docs/architecture.md"
    )


def test_no_part_imports_what_it_must_not() -> None:
    unexpected = {
        f"{module}:{line} imports {target}"
        for (module, target), line in violations(all_imports()).items()
        if (module, target) not in ALLOWED
    }
    assert unexpected == set()


def test_every_recorded_exception_is_still_needed() -> None:
    assert set(ALLOWED) - set(violations(all_imports())) == set(), (
        "remove exceptions that no longer occur from ALLOWED"
    )


def test_the_sans_io_core_imports_no_network_or_event_loop() -> None:
    for imp in all_imports():
        if part(imp.module) in SANS_IO:
            assert imp.target.split(".")[0] not in IO_MODULES, f"{imp.module}:{imp.line} imports {imp.target}"


def _runtime_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in all_imports():
        if imp.runtime and imp.target.startswith("reliance.") and imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, if it has any (depth-first search with colours)."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_no_import_cycle_at_import_time() -> None:
    """Importing any module never needs a module that is still half-imported (the cli package included)."""
    assert _cycle(_runtime_graph()) is None


def test_the_checker_reads_real_imports() -> None:
    imports = {(i.module, i.target) for i in all_imports()}
    assert ("reliance.replication.protocol", "reliance.automerge.wire") in imports
    assert ("reliance.cli.network", "reliance.cli.context") in imports


def test_the_checker_catches_what_it_must() -> None:
    """The rules can fail: a forbidden arrow, an event loop under the core, and a cycle are each found."""
    made_up = [
        Import("reliance.replication.protocol", "reliance.net.node", 1, True),
        Import("reliance.replication.protocol", "asyncio", 2, True),
        Import("reliance.tui.app", "reliance.cli.main", 3, False),
        Import("reliance.app.workspace", "reliance.replication.auth", 4, True),
    ]
    assert set(violations(made_up)) == {
        ("reliance.replication.protocol", "reliance.net.node"),
        ("reliance.replication.protocol", "asyncio"),
        ("reliance.tui.app", "reliance.cli.main"),
    }
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
