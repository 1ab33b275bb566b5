"""The command line in the home's language: a policy's weights in words, the dividend's explanations, and
what to write in an empty #CodeSocial section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_cli_rsvp import ok


@pytest.mark.parametrize(
    ("lang", "weights", "rule", "explained", "hint"),
    [
        (
            "fr",
            ["poids : connaissances (par minute) × 1", "poids : argent (par centime de EUR) × 1/25"],
            "(parts égales)",
            "part égale",
            "## Médiation (mediation)\n— Comment les tensions se règlent",
        ),
        (
            "en",
            ["weight: knowledge (per minute) × 1", "weight: money (per EUR cent) × 1/25"],
            "(equal shares)",
            "equal share",
            "## Mediation (mediation)\n— How tensions are settled",
        ),
    ],
)
def test_the_home_language_everywhere(
    tmp_path: Path, lang: str, weights: list[str], rule: str, explained: str, hint: str
) -> None:
    home = tmp_path / "zoe"
    ok(run_cli(home, "init", "--name", "Zoé"))
    ok(run_cli(home, "config", "set", "lang", lang))
    ok(run_cli(home, "project", "create", "Buvette"))
    project = json.loads(ok(run_cli(home, "project", "list", "--json")))[0]["id"]
    policy = ok(run_cli(home, "project", "policy", project))
    assert all(line in policy for line in weights) and rule in policy
    assert "cite/min" not in policy and "transfer/EUR" not in policy
    assert explained in ok(run_cli(home, "project", "dividend", project))  # no --lang: the home's
    assert hint in ok(run_cli(home, "code", "show", "--section", "mediation"))
