"""Placeholder replaced by the Textual application."""

from __future__ import annotations

from pathlib import Path


def run_app(home: Path, passphrase_file: str | None = None) -> None:
    raise SystemExit("the terminal app is not available in this build")
