"""The model's refusals reach the command line in its language: one line, in French when French is chosen,
with no English sentence in it (the errors carry catalogue keys, worded by the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CliResult, run_cli


def one_line(result: CliResult) -> str:
    assert result.code != 0 and result.err.count("\n") == 1, (result.code, result.err)
    assert "Traceback" not in result.err
    return result.err


@pytest.mark.parametrize(
    ("lang", "prefix", "unit_reason", "policy_reason"),
    [
        (
            "fr",
            "reliance : erreur : ",
            "l'unité 'E U R' ne peut pas contenir d'espace",
            "les pourcentages des parts font 90, pas 100",
        ),
        (
            "en",
            "reliance: error: ",
            "the unit 'E U R' cannot contain spaces",
            "bucket percentages sum to 90, not 100",
        ),
    ],
)
def test_the_ledgers_refusals_are_in_the_chosen_language(
    tmp_path: Path, lang: str, prefix: str, unit_reason: str, policy_reason: str
) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "init", "--name", "Zoé").code == 0
    assert run_cli(home, "config", "set", "lang", lang).code == 0
    project = run_cli(home, "project", "create", "Atelier").out.strip()

    recorded = run_cli(
        home, "project", "record", project, "--kind", "expense", "--amount", "5", "--unit", "E U R"
    )
    error = one_line(recorded)
    assert error.startswith(prefix) and unit_reason in error, error

    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps({"version": 1, "buckets": [{"name": "all", "percent": 90, "rule": "equal"}]})
    )
    refused = run_cli(home, "project", "policy", project, "--set", str(policy))
    error = one_line(refused)
    assert error.startswith(prefix) and policy_reason in error, error
