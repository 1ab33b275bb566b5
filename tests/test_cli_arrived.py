"""`reliance arrived`: what came since last looked at, through the command line (real homes, real bundles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_cli_rsvp import FRENCH, as_json, carry, ok


@pytest.mark.parametrize(
    ("env", "nothing", "answered", "published"),
    [
        (
            {},
            "nothing new",
            "Bob answered “I can help” to “Tables” — Deux tables",
            "Bob published offer: Vélo",
        ),
        (
            FRENCH,
            "rien de nouveau",
            "Bob répond « Je peux aider » à « Tables » — Deux tables",
            "Bob publie offre : Vélo",
        ),
    ],
)
def test_what_arrived_since_last_looked(
    tmp_path: Path, env: dict[str, str], nothing: str, answered: str, published: str
) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    ok(run_cli(alice, "init", "--name", "Alice", env=env))
    ok(run_cli(bob, "init", "--name", "Bob", env=env))
    need = ok(run_cli(alice, "need", "add", "--title", "Tables", env=env)).strip()
    carry(alice, bob, tmp_path)
    carry(bob, alice, tmp_path)
    assert ok(run_cli(alice, "arrived", env=env)).strip() == nothing  # the first look
    ok(run_cli(bob, "offer", "add", "--title", "Vélo", env=env))
    ok(run_cli(bob, "item", "answer", need, "--kind", "can_help", "--message", "Deux tables", env=env))
    carry(bob, alice, tmp_path)
    lines = ok(run_cli(alice, "arrived", env=env)).splitlines()
    assert len(lines) == 2 and all(line.startswith("● ") for line in lines)
    assert answered in lines[0] and published in lines[1]
    data = as_json(run_cli(alice, "arrived", "--json", "--read", env=env))
    assert data["new"] == 0 and [e["kind"] for e in data["entries"]] == ["answer", "item_new"]
    assert data["entries"][0]["params"]["message"] == "Deux tables"
    assert ok(run_cli(alice, "arrived", env=env)).strip() == nothing  # all read now
    kept = ok(run_cli(alice, "arrived", "--all", env=env)).splitlines()
    assert len(kept) == 2 and not any(line.startswith("●") for line in kept)
    saved = json.loads((alice / "arrivals.json").read_text("utf-8"))
    assert (alice / "arrivals.json").stat().st_mode & 0o777 == 0o600 and saved["format"] == 1
