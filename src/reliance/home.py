"""Where a profile lives: --home, then RELIANCE_HOME, then the platform's user data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get("RELIANCE_HOME")
    if from_env:
        return Path(from_env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("reliance", appauthor=False))
