"""Helpers for export tests: golden files, and a fingerprint of a home's stored documents."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest


def check_golden(path: Path, text: str) -> None:
    """Compare `text` with a golden file; RELIANCE_UPDATE_GOLDEN=1 rewrites the file instead."""
    if os.environ.get("RELIANCE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run the tests once with RELIANCE_UPDATE_GOLDEN=1")
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{path.name} differs (RELIANCE_UPDATE_GOLDEN=1 rewrites it after a review)"


def store_state(home: Path) -> dict[str, str]:
    """Every file of a home (but lock files) -> sha256: equal before and after means nothing changed."""
    return {
        str(path.relative_to(home)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.name not in ("lock", "owner.lock")
    }
