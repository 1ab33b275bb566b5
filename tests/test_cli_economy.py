"""The project economy on the command line: balances, reverse, acknowledge, limit, matrix, policy, dividend,
verify-distribution — with two members in two homes exchanging bundles, and bad input that gets one clear
line and changes nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from reliance import economy
from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID
from reliance.doc import project as pdoc
from reliance.export import exporters

from .conftest import CliResult, run_cli

FROM, TO = "2000-01-01", "2100-12-31"  # a period that holds every entry, whatever the clock says


def ok(result: CliResult) -> str:
    code, out, err = result
    assert code == 0, f"exit {code}: {err}"
    return out


def as_json(result: CliResult) -> Any:
    return json.loads(ok(result))


def assert_one_line_error(result: CliResult, reason: str) -> None:
    code, out, err = result
    assert code == 1, f"exit {code}: {out}{err}"
    assert out == ""
    assert err.startswith("reliance: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert reason in err, err


LOCK_FILES = ("lock", "owner.lock")  # who holds a document or the home at this moment: no data in them


def tree(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and p.name not in LOCK_FILES
    }


def library_export(home: Path) -> dict[str, Any]:
    """What `reliance export --format json` prints, minus its time, computed in this process."""
    data = json.loads(exporters.export(Workspace.open(home), "json"))
    del data["exported_at"]
    assert isinstance(data, dict)
    return data


@dataclass(frozen=True)
class Economy:
    root: Path
    alice: Path  # steward
    bob: Path  # member
    alice_id: str
    bob_id: str
    project: str
    bob_time: str  # Bob's 120 min, joy=3
    alice_time: str  # Alice's 60 min, joy=1
    alice_money: str  # 50.00 EUR
    revenue: str  # 100.00 EUR

    def copy(self, target: Path) -> Economy:
        """The same two homes, in `target`, for a test that changes them."""
        for name in ("alice", "bob"):
            shutil.copytree(getattr(self, name), target / name)
        return replace(self, root=target, alice=target / "alice", bob=target / "bob")


def exchange(e: Economy, src: Path, dst: Path) -> None:
    """Carry the project and everyone's documents from `src` to `dst`, by an offline bundle (both are
    command-line runs; the project is for its members only, so it is asked for by name)."""
    bundle = e.root / f"{src.name}-to-{dst.name}.bundle"
    ok(run_cli(src, "bundle", "export", str(bundle), "--project", e.project))
    ok(run_cli(dst, "bundle", "import", str(bundle)))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Economy:
    """Alice creates "Jardin" and adds Bob; each records contributions in their own home; bundles carry
    the changes both ways. (The set-up uses the library to save time; the exchange uses the CLI.)"""
    root = tmp_path_factory.mktemp("economy")
    alice = Workspace.create(root / "alice", "Alice")
    bob = Workspace.create(root / "bob", "Bob")
    project = projects.create_project(alice, "Jardin")
    projects.add_member(alice, project, bob.peer_id)
    alice_time = projects.contribute(alice, project, "time", 60, "min", "plantation", {"joy": 1})
    alice_money = projects.contribute(alice, project, "money", 5000, "EUR", "graines")
    revenue = projects.record_entry(alice, project, kind="revenue", amount=10000, unit="EUR", note="marché")
    e = Economy(
        root, alice.home, bob.home, alice.peer_id, bob.peer_id, project, "", alice_time, alice_money, revenue
    )
    exchange(e, e.alice, e.bob)
    bob = Workspace.open(root / "bob")
    bob_time = projects.contribute(bob, project, "time", 120, "min", "désherbage", {"joy": 3})
    exchange(e, e.bob, e.alice)
    return replace(e, bob_time=bob_time)


@pytest.fixture
def fresh(base: Economy, tmp_path: Path) -> Economy:
    return base.copy(tmp_path)


def ledger(home: Path, project: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in as_json(run_cli(home, "project", "ledger", project, "--json"))}


# ----------------------------------------------------------------------------------------- read-only


def test_both_homes_hold_the_same_ledger(base: Economy) -> None:
    mine, theirs = ledger(base.alice, base.project), ledger(base.bob, base.project)
    assert mine == theirs
    assert set(mine) == {base.bob_time, base.alice_time, base.alice_money, base.revenue}
    row = mine[base.bob_time]
    assert {k: row[k] for k in ("kind", "action", "amount", "unit", "member", "author", "reversed_by")} == {
        "kind": "contribution",
        "action": "work",
        "amount": 120,
        "unit": "min",
        "member": base.bob_id,
        "author": base.bob_id,
        "reversed_by": None,
    }
    assert row["dimensions"] == {"joy": 3}


def test_balances(base: Economy) -> None:
    data = as_json(run_cli(base.alice, "project", "balances", "Jardin", "--json"))
    assert set(data) == {"balances", "breaches", "issues"}
    assert data["balances"] == {
        "EUR": {"@project": 5000, base.alice_id: -5000},
        "min": {"@project": -180, base.alice_id: 60, base.bob_id: 120},
    }
    assert all(sum(accounts.values()) == 0 for accounts in data["balances"].values())
    assert data["breaches"] == [] and data["issues"] == []
    text = ok(run_cli(base.bob, "project", "balances", base.project[:8]))
    assert "EUR:" in text and "-50.00 EUR" in text and "Alice" in text and "project" in text
    assert "120 min" in text and "Bob" in text


def test_matrix(base: Economy) -> None:
    data = as_json(run_cli(base.alice, "project", "matrix", "Jardin", "--json"))
    assert data == {base.alice_id: {"joy": 1}, base.bob_id: {"joy": 3}}
    header, *rows = ok(run_cli(base.bob, "project", "matrix", "Jardin")).splitlines()
    assert header.split() == ["joy"]
    assert sorted(r.split() for r in rows) == [["Alice", "1"], ["Bob", "3"]]


def test_dividend_is_explained_and_sums_to_the_pool(base: Economy) -> None:
    rows = as_json(
        run_cli(
            base.bob, "project", "dividend", "Jardin", "--from", FROM, "--to", TO, "--pool", "10", "--json"
        )
    )
    assert (rows["pool"], rows["unit"], rows["reserve"], rows["id"]) == (1000, "EUR", 100, None)
    rows = rows["lines"]
    assert [r["member"] for r in rows] == sorted([base.alice_id, base.bob_id])
    assert all(set(r) == {"member", "name", "amount", "explanation"} for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Bob"]["explanation"].startswith("Bob: ") and "120 min" in by_name["Bob"]["explanation"]
    # default policy: 10 % reserve, 20 % equal base, 70 % by contribution
    assert sum(r["amount"] for r in rows) == 900
    text = ok(run_cli(base.bob, "project", "dividend", "Jardin", "--from", FROM, "--to", TO, "--lang", "fr"))
    first = text.splitlines()[0]
    assert first == "pool 100.00 EUR, reserve 10.00 EUR, policy v0", "the default pool is the net revenue"


def test_policy_shows_the_default(base: Economy) -> None:
    data = as_json(run_cli(base.bob, "project", "policy", "Jardin", "--json"))
    assert data["default"] is True and data["version"] == 0
    assert [b["rule"] for b in data["buckets"]] == ["reserve", "equal", "contribution"]
    text = ok(run_cli(base.bob, "project", "policy", "Jardin"))
    assert text.startswith("policy version 0 (default policy)")


# ----------------------------------------------------------------------------------------- bad input

BAD_FILES = {
    "not-json.json": "{buckets: ",
    "array.json": "[1, 2]",
    "ninety.json": json.dumps({"buckets": [{"name": "base", "percent": 90, "rule": "equal"}], "weights": []}),
    "unknown-rule.json": json.dumps({"buckets": [{"name": "all", "percent": 100, "rule": "lottery"}]}),
    "good.json": json.dumps(
        {"buckets": [{"name": "all", "percent": 100, "rule": "contribution"}], "weights": []}
    ),
}


def set_policy(file: str) -> Callable[[Economy], list[str]]:
    return lambda e: ["project", "policy", e.project, "--set", str(e.root / file)]


def contribute_with(*dims: str) -> Callable[[Economy], list[str]]:
    """Five minutes of time, with these `--dim` values."""
    extra = [part for dim in dims for part in ("--dim", dim)]
    return lambda e: [
        "project",
        "contribute",
        e.project,
        "--kind",
        "time",
        "--amount",
        "5",
        "--unit",
        "min",
        *extra,
    ]


# case -> (home, args, part of the one-line reason)
BAD_INPUT: dict[str, tuple[str, Callable[[Economy], list[str]], str]] = {
    "reverse an unknown entry": (
        "alice",
        lambda e: ["project", "reverse", e.project, "nope"],
        "no entry 'nope'",
    ),
    "reverse in an unknown project": (
        "alice",
        lambda e: ["project", "reverse", "nothing", e.bob_time],
        "no project",
    ),
    "acknowledge an unknown entry": (
        "bob",
        lambda e: ["project", "acknowledge", e.project, "nope"],
        "nope is not in the ledger",
    ),
    "acknowledge one's own entry": (
        "bob",
        lambda e: ["project", "acknowledge", e.project, e.bob_time],
        "cannot acknowledge your own entry",
    ),
    "acknowledge beyond the policy's bounds": (
        "bob",
        lambda e: ["project", "acknowledge", e.project, e.alice_time, "--factor", "200"],
        "outside the policy's bounds (50 % to 150 %)",
    ),
    "acknowledge a revenue": (
        "bob",
        lambda e: ["project", "acknowledge", e.project, e.revenue],
        "only contributions are acknowledged",
    ),
    "factor that is not a number": (
        "bob",
        lambda e: ["project", "acknowledge", e.project, e.alice_time, "--factor", "lots"],
        "'lots' is not a valid integer",
    ),
    "negative pool": (
        "alice",
        lambda e: ["project", "dividend", e.project, "--from", FROM, "--to", TO, "--pool=-5", "--record"],
        "--pool: “-5”: an amount is positive",
    ),
    "negative pool, spaced": (
        "alice",
        lambda e: ["project", "dividend", e.project, "--from", FROM, "--to", TO, "--pool", "-5"],
        "--pool: “-5”: an amount is positive",
    ),
    "impossible date": (
        "alice",
        lambda e: ["project", "dividend", e.project, "--from", "2026-13-01", "--to", TO],
        "not an ISO 8601 date",
    ),
    "period backwards": (
        "alice",
        lambda e: ["project", "dividend", e.project, "--from", TO, "--to", FROM, "--record"],
        "before it starts",
    ),
    "member records a distribution": (
        "bob",
        lambda e: ["project", "dividend", e.project, "--from", FROM, "--to", TO, "--record"],
        "only stewards of project 'Jardin' can do this",
    ),
    "verify an unknown distribution": (
        "alice",
        lambda e: ["project", "verify-distribution", e.project, "nope"],
        "no distribution 'nope'",
    ),
    "policy file that is not JSON": (
        "alice",
        set_policy("not-json.json"),
        "not-json.json is not JSON",
    ),
    "policy that is not an object": (
        "alice",
        set_policy("array.json"),
        "a policy file holds a JSON object",
    ),
    "policy that does not sum to 100": (
        "alice",
        set_policy("ninety.json"),
        "bucket percentages sum to 90, not 100",
    ),
    "policy with an unknown rule": (
        "alice",
        set_policy("unknown-rule.json"),
        "unknown rule 'lottery'",
    ),
    "missing policy file": (
        "alice",
        set_policy("missing.json"),
        "cannot read",
    ),
    "member sets the policy": (
        "bob",
        set_policy("good.json"),
        "only stewards",
    ),
    "positive credit floor": (
        "alice",
        lambda e: ["project", "limit", e.project, e.bob_id, "min", "10"],
        "a floor at or below zero",
    ),
    "member sets a limit": (
        "bob",
        lambda e: ["project", "limit", e.project, "*", "min", "-10"],
        "only stewards",
    ),
    "zero contribution": (
        "bob",
        lambda e: ["project", "contribute", e.project, "--kind", "time", "--amount", "0", "--unit", "min"],
        "must be positive",
    ),
    "dimension that is not a number": (
        "bob",
        contribute_with("joy=lots"),
        "--dim takes NAME=INTEGER",
    ),
    "dimension without a name": (
        "bob",
        contribute_with("joy=2", "=3"),
        "--dim takes NAME=INTEGER, not '=3'",
    ),
    "dimension that only looks like a number": (  # '²' passes str.isdigit(), not int()
        "bob",
        contribute_with("joy=²"),
        "--dim takes NAME=INTEGER, not 'joy=²'",
    ),
    "transfer without a receiver": (
        "bob",
        lambda e: ["project", "record", e.project, "--kind", "transfer", "--amount", "5", "--unit", "min"],
        "a transfer needs --to",
    ),
}


@dataclass(frozen=True)
class Outcome:
    result: CliResult
    before: dict[str, bytes]
    after: dict[str, bytes]


@pytest.fixture(scope="module")
def bad_input_outcomes(base: Economy) -> dict[str, Outcome]:
    """Run every bad command once on the shared homes, two at a time: none of them may change anything."""
    for name, text in BAD_FILES.items():
        (base.root / name).write_text(text, "utf-8")
    homes = {"alice": base.alice, "bob": base.bob}
    before = {name: tree(home) for name, home in homes.items()}

    def run(case: str) -> tuple[str, Outcome]:
        who, args, _ = BAD_INPUT[case]
        result = run_cli(homes[who], *args(base))
        return case, Outcome(result, before[who], tree(homes[who]))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, sorted(BAD_INPUT)))


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_clear_line_and_changes_nothing(
    bad_input_outcomes: dict[str, Outcome], case: str
) -> None:
    outcome = bad_input_outcomes[case]
    code, out, err = outcome.result
    reason = BAD_INPUT[case][2]
    if "not a valid integer" in reason:  # a usage error, from click
        assert code == 2 and out == "" and err.count("\n") == 1 and reason in err and "Traceback" not in err
    else:
        assert_one_line_error(outcome.result, reason)
    assert outcome.after == outcome.before


# ----------------------------------------------------------------------------------------- changes


def test_reverse(fresh: Economy) -> None:
    before = library_export(fresh.alice)
    reversal = ok(
        run_cli(fresh.alice, "project", "reverse", "Jardin", fresh.alice_money, "--note", "typo")
    ).strip()
    rows = ledger(fresh.alice, fresh.project)
    assert rows[fresh.alice_money]["reversed_by"] == reversal
    assert rows[reversal]["kind"] == "reversal" and rows[reversal]["reverses"] == fresh.alice_money
    assert rows[reversal]["amount"] == 5000 and rows[reversal]["note"] == "typo"
    balances = as_json(run_cli(fresh.alice, "project", "balances", "Jardin", "--json"))["balances"]
    assert balances["EUR"] == {"@project": 10000, fresh.alice_id: -10000}
    # Reversing again, or reversing the reversal, is refused and changes nothing.
    after_one = tree(fresh.alice)
    assert_one_line_error(
        run_cli(fresh.alice, "project", "reverse", "Jardin", fresh.alice_money), "already reversed"
    )
    assert_one_line_error(
        run_cli(fresh.alice, "project", "reverse", "Jardin", reversal), "is itself a reversal"
    )
    assert tree(fresh.alice) == after_one
    assert library_export(fresh.alice)["participants"] == before["participants"]


def test_acknowledge_by_another_member_counts_in_the_dividend(fresh: Economy) -> None:
    ack = ok(
        run_cli(fresh.bob, "project", "acknowledge", "Jardin", fresh.alice_time, "--factor", "150")
    ).strip()
    assert ack.startswith(fresh.bob_id[2:14] + "-")
    state = tree(fresh.bob)
    assert_one_line_error(
        run_cli(fresh.bob, "project", "acknowledge", "Jardin", fresh.alice_time, "--factor", "150"),
        "you already acknowledged entry",
    )
    assert tree(fresh.bob) == state
    # Acknowledging again with another factor is a change of mind: the latest counts.
    ok(run_cli(fresh.bob, "project", "acknowledge", "Jardin", fresh.alice_time, "--factor", "120"))
    exchange(fresh, fresh.bob, fresh.alice)
    [project] = library_export(fresh.alice)["projects"]
    assert sorted(a["factor_pct"] for a in project["acknowledgements"]) == [120, 150]
    rows = as_json(
        run_cli(
            fresh.alice,
            "project",
            "dividend",
            "Jardin",
            "--from",
            FROM,
            "--to",
            TO,
            "--pool",
            "10",  # 10.00 EUR: amounts are typed in major units
            "--json",
        )
    )
    alice = next(r for r in rows["lines"] if r["member"] == fresh.alice_id)
    assert "work 60 min at 120%" in alice["explanation"]


def test_limit_and_breach(fresh: Economy) -> None:
    out = ok(run_cli(fresh.alice, "project", "limit", "Jardin", fresh.alice_id, "EUR", "-10"))
    assert out.startswith(f"credit floor of {fresh.alice_id[:14]} in EUR: -10.00 EUR")
    data = as_json(run_cli(fresh.alice, "project", "balances", "Jardin", "--json"))
    [breach] = data["breaches"]
    assert "-50.00 EUR" in breach and "-10.00 EUR" in breach, breach


def test_a_malformed_credit_limit_is_reported_and_ignored(fresh: Economy) -> None:
    """A steward signs whatever limit keys and values their own software writes; `project limit` checks them,
    the document cannot. Each member's commands keep working, leave such a limit out and say why."""
    ok(run_cli(fresh.alice, "project", "limit", "Jardin", fresh.alice_id, "EUR", "-10"))
    exchange(fresh, fresh.alice, fresh.bob)
    before = {
        home: (as_json(run_cli(home, "project", "balances", "Jardin", "--json")), ledger(home, fresh.project))
        for home in (fresh.alice, fresh.bob)
    }
    alice = Workspace.open(fresh.alice)
    doc = projects.open_project(alice, fresh.project)

    def plant(w: Any) -> None:
        pdoc.set_limit(w, fresh.bob_id, "EUR cents", -100)  # the key "<peer> EUR cents"
        pdoc.set_limit(w, "@treasurer", "min", -60)  # a reserved account name
        pdoc.set_limit(w, fresh.bob_id, "min", -(10**16))  # out of range
        limits = w.child(ROOT_ID, "limits")
        assert limits is not None
        w.put(limits, fresh.bob_id, -5)  # no unit in the key
        w.put(limits, f"{fresh.bob_id} kg", "-5")  # a floor that is not an integer

    doc.local_change(alice.identity.sign, plant)
    exchange(fresh, fresh.alice, fresh.bob)

    for home in (fresh.alice, fresh.bob):
        balances_before, rows_before = before[home]
        data = as_json(run_cli(home, "project", "balances", "Jardin", "--json"))
        assert data["balances"] == balances_before["balances"]
        assert data["breaches"] == balances_before["breaches"] != []  # the good limit still applies
        assert balances_before["issues"] == []
        assert len(data["issues"]) == 5, data["issues"]
        assert all(issue.startswith("credit limit '") and " ignored: " in issue for issue in data["issues"])
        joined = "\n".join(data["issues"])
        assert f"'{fresh.bob_id} EUR cents'" in joined and "cannot contain spaces" in joined
        assert "'@treasurer min'" in joined and "is reserved" in joined
        assert f"'{fresh.bob_id} min'" in joined and "must be at least" in joined
        assert f"'{fresh.bob_id}' ignored" in joined
        assert f"'{fresh.bob_id} kg' ignored: its floor is not an integer" in joined
        assert ledger(home, fresh.project) == rows_before
        text = ok(run_cli(home, "project", "balances", "Jardin"))
        assert sum(line.startswith("! credit limit '") for line in text.splitlines()) == 5, text
        view = projects.ledger_view(projects.open_project(Workspace.open(home), fresh.project))
        assert view.limits == [economy.CreditLimit(fresh.alice_id, "EUR", -1000)]


def test_policy_set_then_shown(fresh: Economy) -> None:
    (fresh.root / "good.json").write_text(BAD_FILES["good.json"], "utf-8")
    out = ok(run_cli(fresh.alice, "project", "policy", "Jardin", "--set", str(fresh.root / "good.json")))
    assert out.strip() == "policy version 1 saved"
    exchange(fresh, fresh.alice, fresh.bob)
    data = as_json(run_cli(fresh.bob, "project", "policy", "Jardin", "--json"))
    assert data["default"] is False and data["version"] == 1
    assert data["buckets"] == [{"name": "all", "percent": 100, "rule": "contribution"}]


def test_dividend_recorded_then_verified_by_both_members(fresh: Economy) -> None:
    recorded = as_json(
        run_cli(
            fresh.alice,
            "project",
            "dividend",
            "Jardin",
            "--from",
            FROM,
            "--to",
            TO,
            "--pool",
            "10",  # 10.00 EUR: amounts are typed in major units
            "--record",
            "--json",
        )
    )
    assert set(recorded) == {"id", "pool", "unit", "reserve", "lines"} and recorded["reserve"] == 100
    assert sum(line["amount"] for line in recorded["lines"]) == 900
    rows = ledger(fresh.alice, fresh.project)
    entry = rows[recorded["id"]]
    assert entry["kind"] == "distribution" and entry["amount"] == 900
    assert ok(run_cli(fresh.alice, "project", "verify-distribution", "Jardin", recorded["id"])).startswith(
        "✓ confirmed"
    )
    exchange(fresh, fresh.alice, fresh.bob)
    assert ok(run_cli(fresh.bob, "project", "verify-distribution", "Jardin", recorded["id"])).startswith(
        "✓ confirmed"
    )
    balances = as_json(run_cli(fresh.bob, "project", "balances", "Jardin", "--json"))["balances"]
    paid = {line["member"]: line["amount"] for line in recorded["lines"]}
    assert balances["EUR"][fresh.bob_id] == paid[fresh.bob_id]


def test_verify_shows_the_differences_of_a_tampered_distribution(fresh: Economy) -> None:
    """A steward could write a distribution whose payouts do not follow the policy (the ledger cannot
    stop a signed change); anyone who verifies it sees where it differs."""
    alice = Workspace.open(fresh.alice)
    dist = projects.dividend(alice, fresh.project, FROM, TO, 1000)
    honest = projects.record_distribution(alice, fresh.project, dist)
    data = economy.distribution_to_data(dist)
    first, second = data["lines"]
    first["amount"], second["amount"] = second["amount"], first["amount"]
    doc = projects.open_project(alice, fresh.project)
    forged = pdoc.new_record_id(alice.peer_id)
    doc.local_change(alice.identity.sign, lambda w: pdoc.add_distribution(w, forged, data, alice.peer_id))

    assert ok(run_cli(fresh.alice, "project", "verify-distribution", "Jardin", honest)).startswith("✓")
    code, out, err = run_cli(fresh.alice, "project", "verify-distribution", "Jardin", forged)
    assert code == 1 and err == "", (out, err, data)
    lines = out.splitlines()
    assert lines and all(line.startswith("✗ ") for line in lines)
    assert any(first["member"] in line for line in lines) and any(second["member"] in line for line in lines)
