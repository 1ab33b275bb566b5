"""Homes for the harness on a memory file system when there is one: every variant writes a store, and
fsync there costs nothing (the store's code paths are the same)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

MEMORY_FS = Path("/dev/shm")


@pytest.fixture
def fast_tmp(tmp_path: Path) -> Iterator[Path]:
    if not MEMORY_FS.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="reliance-hostile-", dir=MEMORY_FS) as directory:
        yield Path(directory)
