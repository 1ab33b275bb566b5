"""Every limit and quota is documented: docs/security.md has one row per field of `Limits`."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from reliance.limits import Limits

SECURITY = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def test_every_limit_has_a_row_in_the_security_table() -> None:
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", SECURITY.read_text("utf-8"), re.M))
    fields = {field.name for field in dataclasses.fields(Limits)}
    assert fields - rows == set(), "limits missing from docs/security.md"
    assert rows - fields == set(), "docs/security.md lists limits that no longer exist"
