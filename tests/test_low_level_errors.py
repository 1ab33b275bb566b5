"""What the store, the automerge wrapper and the node's settings refuse reaches people in their language:
an unreadable document or a bad RELIANCE_* setting on the command line, a refused write or a broken document
through the library, each worded by the catalogue in French and in English."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, BindingMisuse, CrdtDoc, CrdtError, CrdtPanic
from reliance.errors import RelianceError, StoreError
from reliance.i18n import MESSAGES, phrase, t
from reliance.limits import Limits
from reliance.store.repository import Repository, doc_kind
from tests.conftest import run_cli
from tests.doc.test_crdt import panic_chunk

LOCALE = {"fr": "fr_FR.UTF-8", "en": "C.UTF-8"}
ACTOR = bytes(range(16))


def one_error_line(err: str) -> str:
    (line,) = err.splitlines()
    assert "Traceback" not in err
    return line


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_unreadable_document_is_said_in_the_language_of_the_command_line(home: Path, lang: str) -> None:
    ws = Workspace.create(home, "Alice")
    project = projects.create_project(ws, "atelier")
    ws.repo.open(project).compact()
    (home / "docs" / project / "snapshot").write_bytes(msgpack.packb([1]))

    code, _, err = run_cli(home, "project", "show", project, env={"LC_ALL": LOCALE[lang]})

    expected = t(
        "store.error.snapshot_unreadable", lang, doc=project, reason=phrase("store.damaged.not_a_map")
    )
    assert code != 0 and expected in one_error_line(err), err


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("RELIANCE_HEARTBEAT", "soon", "net.config.seconds"),
        ("RELIANCE_SERVICE_TYPE", "reliance", "net.config.service_type"),
    ],
)
def test_a_bad_node_setting_is_said_in_the_language_of_the_command_line(
    home: Path, lang: str, name: str, value: str, key: str
) -> None:
    Workspace.create(home, "Alice")

    code, _, err = run_cli(home, "serve", "--no-mdns", "--no-web", env={"LC_ALL": LOCALE[lang], name: value})

    assert code == 1 and t(key, lang, name=name, value=repr(value)) in one_error_line(err), err


def test_the_store_refusals_are_worded_in_both_languages(tmp_path: Path) -> None:
    repo = Repository(tmp_path / "store", ACTOR, limits=Limits(max_change_bytes=300))
    missing = "pj" + "0" * 32
    refusals: list[tuple[RelianceError, str, dict[str, object]]] = []
    with pytest.raises(StoreError) as caught:
        repo.open(missing)
    refusals.append((caught.value, "store.error.no_document", {"doc": missing}))
    with pytest.raises(StoreError) as caught:
        doc_kind("../etc")
    refusals.append((caught.value, "store.error.not_a_doc_id", {"id": "'../etc'"}))
    stored = repo.open(missing, create=True)
    with pytest.raises(StoreError) as caught:
        stored.local_change(lambda _: bytes(64), lambda w: w.put(ROOT_ID, "long", "x" * 400))
    assert stored.heads() == []  # nothing was written
    refusals.append((caught.value, "store.error.change_too_big", dict(caught.value.params)))
    for error, key, params in refusals:
        assert error.key == key and error.params == params
        assert error.text("fr") == t(key, "fr", **params) != error.text("en") == t(key, "en", **params)


def test_the_automerge_refusals_are_worded_in_both_languages() -> None:
    with pytest.raises(CrdtError) as refused:
        CrdtDoc.load(b"not a document", ACTOR)
    with pytest.raises(CrdtPanic) as panicked:
        CrdtDoc.load(panic_chunk(), ACTOR)
    doc = CrdtDoc.new(ACTOR)
    doc.poisoned = True
    with pytest.raises(CrdtPanic) as poisoned:
        doc.heads()
    for error in (refused.value, panicked.value, poisoned.value):
        assert error.key in MESSAGES and error.text("fr") != error.text("en")
    assert t("crdt.action.load", "fr") in refused.value.text("fr")
    assert t("crdt.action.load", "en") in panicked.value.text("en")


def test_every_call_into_the_binding_names_an_action_of_the_catalogue() -> None:
    import ast
    import inspect

    from reliance.automerge import crdt

    actions = {
        node.args[0].value
        for node in ast.walk(ast.parse(inspect.getsource(crdt)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_guard"
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(actions) > 10 and {a for a in actions if f"crdt.action.{a}" not in MESSAGES} == set()


def test_a_value_the_wrapper_never_writes_is_a_bug_not_a_message() -> None:
    """Outside a transaction it is not a user's error; inside one, the refusal is worded all the same."""
    assert not issubclass(BindingMisuse, RelianceError)
    doc = CrdtDoc.new(ACTOR)
    with pytest.raises(CrdtError) as caught:
        doc.change(lambda w: w.put(ROOT_ID, "x", 1j))  # type: ignore[arg-type]
    assert t("crdt.action.change", "fr") in caught.value.text("fr")
