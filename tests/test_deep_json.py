"""JSON nested deeper than Python's parser recurses (`[[[[…`) is refused like any JSON that does not parse,
wherever it comes from: a text in a peer's project document, a local API request, a file to import."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, CrdtDoc, Writer
from reliance.doc import project as pdoc
from reliance.errors import RelianceError
from reliance.localapi.ops import run_here
from tests.conftest import CliResult

DEEP = "[" * 100_000  # a few hundred kilobytes: far under every size limit


def a_project_holding(text: str) -> CrdtDoc:
    doc = CrdtDoc.new(bytes(range(16)))

    def write(w: Writer) -> None:
        policy = w.put_map(ROOT_ID, "policy")
        w.put(policy, "data", text)
        w.put(policy, "version", 1)
        distributions = w.put_map(ROOT_ID, "distributions")
        w.put(w.put_map(distributions, "d1"), "data", text)
        ledger = w.put_map(ROOT_ID, "ledger")
        entry = w.put_map(ledger, "e1")
        w.put(entry, "lines", text)

    doc.change(write)
    return doc


def test_a_peers_deeply_nested_json_in_a_project_reads_as_unreadable() -> None:
    doc = a_project_holding(DEEP)
    assert pdoc.policy(doc) == (None, 1)
    assert pdoc.distributions(doc) == {}
    assert [e.get("lines") for e in pdoc.entries(doc)] == ["unreadable"]


def test_a_deeply_nested_policy_sent_to_the_owner_is_refused_in_words(workspace: Workspace) -> None:
    project = run_here(workspace, "project.create", {"name": "Jardin"}).result["id"]
    with pytest.raises(RelianceError) as refused:
        run_here(workspace, "project.policy", {"project": project, "policy": DEEP})
    assert refused.value.key == "localapi.error.policy_json"


def test_a_deeply_nested_file_to_import_is_one_clear_line(cli: object, home: Path, tmp_path: Path) -> None:
    run = cli
    assert callable(run)
    init: CliResult = run("init", "--name", "Alice")
    assert init.code == 0, init.err
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, "utf-8")
    code, out, err = run("import", str(deep))
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err and "deep.json" in err
