"""Shared fixtures: a fresh profile directory per test and a runner for the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

from reliance.app.workspace import Workspace
from reliance.automerge import wire
from tests.cli_client import ForkedCli


def _find_console_script() -> Path:
    beside = Path(sys.executable).parent / "reliance"
    if beside.exists():
        return beside
    found = shutil.which("reliance")
    if found is None:
        raise RuntimeError("the 'reliance' console script is not installed (pip install -e .)")
    return Path(found)


RELIANCE = _find_console_script()


class CliResult(NamedTuple):
    """What one run of the console script gave: unpack it as `code, out, err`."""

    code: int
    out: str
    err: str


def run_cli(
    home: Path | None,
    *args: str,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> CliResult:
    """Run `reliance [--home HOME] ARGS...` in its own process, without a terminal.

    The process is forked from a server that has already loaded the console script's code
    (tests/cli_forkserver.py), which saves the interpreter's start on every command; with
    `RELIANCE_TEST_REAL_CLI=1` every run starts the installed script itself."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELIANCE_")}
    environ.update({"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "COLUMNS": "120"})
    environ.update(env or {})
    argv = [str(RELIANCE), *(("--home", str(home)) if home is not None else ()), *args]
    if os.environ.get("RELIANCE_TEST_REAL_CLI") == "1":
        proc = subprocess.run(
            argv,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=environ,
            timeout=timeout,
            cwd=cwd,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)
    return CliResult(*_forked_cli().run(argv, environ, input or "", timeout, cwd or Path.cwd()))


_FORK_SERVER: ForkedCli | None = None


def _forked_cli() -> ForkedCli:
    global _FORK_SERVER
    if _FORK_SERVER is None:
        _FORK_SERVER = ForkedCli.start()
    return _FORK_SERVER


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A profile directory for this test only; it does not exist yet."""
    return tmp_path / "home"


@pytest.fixture
def cli(home: Path) -> Callable[..., CliResult]:
    """`cli("item", "list", "--json")` runs the installed console script on this test's home."""

    def run(*args: str, **kwargs: object) -> CliResult:
        return run_cli(home, *args, **kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture
def workspace(home: Path) -> Workspace:
    """A participant named Alice, created in this test's home (library API)."""
    return Workspace.create(home, "Alice")


def readable_bytes(chunks: Iterable[bytes]) -> bytes:
    """The change chunks' bodies, inflated: every string they hold appears here as UTF-8 bytes."""
    return b"".join(part.change_body for chunk in chunks for part in wire.split_chunks(chunk))


def stored_text(ws: Workspace) -> bytes:
    """Every change this home stores, of every document, inflated: what sync or a bundle could ever send."""
    chunks: list[bytes] = []
    for doc_id in ws.repo.doc_ids():
        stored = ws.repo.open(doc_id)
        chunks.extend(c.info.chunk for c in stored.signed_changes())
        chunks.extend(c.info.chunk for c in stored.pending.values())
    return readable_bytes(chunks)
