"""`reliance import FILE`: merge a JSON export into your own document, never overwriting, never guessing."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reliance.app.workspace import Workspace
from reliance.export.exporters import export_json
from reliance.export.importer import ImportRefused, import_export
from reliance.identity import identity_dir, load_identity
from reliance.model.catalogue import Item, ItemKind
from tests.conftest import run_cli
from tests.export.conftest import World, exchange
from tests.export.helpers import store_state


def restored_home(source: Workspace, target: Path) -> Workspace:
    """A new device holding only `source`'s key: its document starts empty (lost data, key kept)."""
    shutil.copytree(identity_dir(source.home), identity_dir(target))
    ws = Workspace(target, load_identity(target))
    ws.start_my_document()
    return ws


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def mine(export: dict[str, Any], peer_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in export["participants"] if p["peer_id"] == peer_id]
    assert len(found) == 1
    return found[0]


def json_export(home: Path) -> dict[str, Any]:
    code, out, err = run_cli(home, "export", "--format", "json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    data.pop("exported_at")
    return data


def test_round_trip_restores_what_is_yours(world: World, tmp_path: Path) -> None:
    alice = world.alice
    world.bob.add_item(Item(id="", kind=ItemKind.OFFER, title="Des plants de tomates", author=""))
    exchange(alice, world.bob, tmp_path)
    file = tmp_path / "alice.json"
    code, out, err = run_cli(alice.home, "export", "--format", "json", "--output", str(file))
    assert code == 0, err
    fresh = restored_home(alice, tmp_path / "restored")

    code, out, err = run_cli(fresh.home, "import", str(file))
    assert code == 0 and err == "", err
    assert out.count("\n") == 1
    assert out.startswith("imported 5 items, 0 answers and 2 social-code sections into your document")
    assert "not imported: 1 item of 1 other participant and 1 project" in out
    assert "they come by sync or a bundle" in out

    before, after = json_export(alice.home), json_export(fresh.home)
    theirs, ours = mine(before, alice.peer_id), mine(after, alice.peer_id)
    assert ours["items"] == theirs["items"], "same ids, same fields, same times"
    assert ours["code"] == theirs["code"] and ours["name"] == theirs["name"]
    assert [p["peer_id"] for p in after["participants"]] == [alice.peer_id], "Bob's document is not forged"
    assert after["projects"] == []

    state = store_state(fresh.home)
    code, out, err = run_cli(fresh.home, "import", str(file))
    assert code == 0 and out.startswith("nothing to import: your document already holds everything of yours")
    assert store_state(fresh.home) == state


def test_answers_come_back_too(world: World, tmp_path: Path) -> None:
    file = write_json(tmp_path / "bob.json", export_json(world.bob))
    fresh = restored_home(world.bob, tmp_path / "bob2")
    summary = import_export(fresh, file)
    [answer] = mine(export_json(world.bob), world.bob.peer_id)["answers"]
    assert summary.answers_added == [answer["id"]] and summary.sections_filled == ["histoire"]
    assert mine(export_json(fresh), world.bob.peer_id)["answers"] == [answer]


def test_nothing_existing_is_changed(world: World, tmp_path: Path) -> None:
    data = export_json(world.alice)
    me = mine(data, world.alice.peer_id)
    me["items"][0]["title"] = "Changed in the file"
    me["code"]["valeurs"] = "Other values"
    me["name"] = "Mallory"
    file = write_json(tmp_path / "changed.json", data)
    state = store_state(world.alice.home)
    summary = import_export(world.alice, file)
    assert not summary.changed
    assert len(summary.items_kept) == 5 and summary.sections_kept == ["valeurs", "regles"]
    assert store_state(world.alice.home) == state


def test_only_empty_sections_and_missing_items_are_filled(world: World, tmp_path: Path) -> None:
    file = write_json(tmp_path / "alice.json", export_json(world.alice))
    fresh = restored_home(world.alice, tmp_path / "again")
    fresh.set_code("valeurs", "Written here first")
    kept = fresh.add_item(Item(id="", kind=ItemKind.NEED, title="Made on this device", author=""))
    summary = import_export(fresh, file)
    assert summary.sections_filled == ["regles"] and summary.sections_kept == ["valeurs"]
    assert fresh.code()["valeurs"] == "Written here first"
    assert fresh.code()["regles"] == world.alice.code()["regles"]
    ids = {i.id for i in fresh.items()}
    assert kept.id in ids and {i.id for i in world.alice.items()} <= ids
    history = [a.section for a in fresh.history()]
    assert history == ["valeurs", "regles"], "a filled section is an amendment like any other"


def test_dry_run_changes_nothing(world: World, tmp_path: Path) -> None:
    file = write_json(tmp_path / "alice.json", export_json(world.alice))
    fresh = restored_home(world.alice, tmp_path / "dry")
    state = store_state(fresh.home)
    code, out, err = run_cli(fresh.home, "import", str(file), "--dry-run", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] is True and len(report["items_added"]) == 5
    assert report["sections_filled"] == ["valeurs", "regles"]
    assert report["not_imported"] == {"participants": 1, "items": 0, "projects": 1}
    assert store_state(fresh.home) == state


def test_a_file_of_someone_else_brings_nothing(world: World, tmp_path: Path) -> None:
    data = export_json(world.bob)
    data["participants"] = [p for p in data["participants"] if p["peer_id"] != world.alice.peer_id]
    file = write_json(tmp_path / "bob-only.json", data)
    state = store_state(world.alice.home)
    summary = import_export(world.alice, file)
    assert summary.message().startswith("this file holds nothing of yours; not imported:")
    assert store_state(world.alice.home) == state


def test_a_malformed_file_is_refused_with_the_reason(world: World, tmp_path: Path) -> None:
    """...and changes nothing."""
    good = export_json(world.alice)
    index = [p["peer_id"] for p in good["participants"]].index(world.alice.peer_id)

    def variant(change: Any) -> Any:
        data = copy.deepcopy(good)
        change(data, data["participants"][index])
        return data

    def set_item(key: str, value: Any) -> Any:
        return variant(lambda d, me: me["items"][0].__setitem__(key, value))

    cases: list[tuple[str, bytes | Any, str]] = [
        ("not JSON", b"{format: reliance", "is not JSON"),
        ("not UTF-8", b"\xff\xfe\x00", "is not UTF-8 text"),
        ("a list", [], "holds a JSON a list, not a reliance export object"),
        ("no format", {"participants": []}, "no 'format' field"),
        ("other format", {"format": "reliance-bundle/1"}, "format 'reliance-bundle/1'"),
        ("participants", variant(lambda d, me: d.__setitem__("participants", {})), "participants: must be"),
        ("title type", set_item("title", 3), f"participants[{index}].items[0].title: must be text, not a"),
        ("tags type", set_item("tags", "a,b"), "items[0].tags: must be a list, not text"),
        ("kind", set_item("kind", "rumour"), "items[0].kind: unknown kind 'rumour'"),
        ("empty title", set_item("title", " "), "items[0]: an item needs a title"),
        ("created", set_item("created", "yesterday"), "items[0].created: not an ISO 8601 time"),
        ("item id", set_item("id", "../../etc"), "items[0].id: '../../etc' is not a valid id"),
        ("author", set_item("author", world.bob.peer_id), "is not the participant the item is listed under"),
        ("peer id", variant(lambda d, me: me.__setitem__("peer_id", "nobody")), "not a peer id"),
        ("code", variant(lambda d, me: me["code"].__setitem__("valeurs", [1])), "code.valeurs: must be"),
        ("same item twice", variant(lambda d, me: me["items"].append(me["items"][0])), "appears twice among"),
    ]
    fresh = restored_home(world.alice, tmp_path / "target")
    state = store_state(fresh.home)
    files = {}
    for name, content, reason in cases:
        file = files[name] = tmp_path / f"{name}.json"
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            write_json(file, content)
        with pytest.raises(ImportRefused) as refused:
            import_export(fresh, file)
        assert reason in str(refused.value) and "\n" not in str(refused.value), name
        assert store_state(fresh.home) == state, name
    # The command line says it in one line on standard error, and exits with 1.
    for name in ("not JSON", "other format", "title type", "missing"):
        code, out, err = run_cli(fresh.home, "import", str(files.get(name, tmp_path / "missing.json")))
        assert code == 1 and out == "", name
        assert err.startswith("reliance: error: ") and err.count("\n") == 1, (name, err)
        assert "Traceback" not in err, name
        assert store_state(fresh.home) == state, name
    assert "cannot read" in err


def test_a_draft_in_an_older_export_goes_to_the_drafts_file_not_the_document(
    world: World, tmp_path: Path
) -> None:
    data = export_json(world.alice)
    me = mine(data, world.alice.peer_id)
    old_draft = copy.deepcopy(me["items"][0]) | {
        "id": "00000000000000d1",
        "title": "Brouillon",
        "status": "draft",
    }
    me["items"].append(old_draft)  # earlier versions kept drafts in the document, so exported them
    file = write_json(tmp_path / "old.json", data)
    summary = import_export(world.alice, file)
    assert summary.items_added == ["00000000000000d1"]
    assert world.alice.is_draft("00000000000000d1")
    assert "Brouillon" not in {
        i["title"] for i in mine(export_json(world.alice), world.alice.peer_id)["items"]
    }
    assert world.alice.my_item("00000000000000d1").title == "Brouillon"


def test_repetition_capacity_and_withdrawal_come_back(world: World, tmp_path: Path) -> None:
    data = export_json(world.alice)
    me = mine(data, world.alice.peer_id)
    dated = next(i for i in me["items"] if i["begins"])
    dated["repeat"] = {"freq": "weekly", "until": "2026-09-30"}
    dated["capacity"] = 12
    fresh = restored_home(world.alice, tmp_path / "alice2")
    import_export(fresh, write_json(tmp_path / "alice.json", data))
    back = next(i for i in mine(export_json(fresh), world.alice.peer_id)["items"] if i["id"] == dated["id"])
    assert back["repeat"] == {"freq": "weekly", "until": "2026-09-30"} and back["capacity"] == 12

    answers = export_json(world.bob)
    [answer] = mine(answers, world.bob.peer_id)["answers"]
    answer["kind"], answer["withdrawn"] = "coming", "2026-06-02T10:00:00+00:00"
    bob = restored_home(world.bob, tmp_path / "bob2")
    import_export(bob, write_json(tmp_path / "bob.json", answers))
    assert mine(export_json(bob), world.bob.peer_id)["answers"] == [answer]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("repeat", "weekly", "repeat: must be an object, not text"),
        ("repeat", {"freq": "monthly", "until": "2026-09-30"}, "Unknown repetition “monthly”"),
        ("repeat", {"freq": "weekly", "until": 3}, "repeat.until: must be text, not a number"),
        ("capacity", "12", "capacity: must be a whole number, not text"),
        ("capacity", 0, "The number of places is a whole number from 1 to 100000"),
    ],
)
def test_a_malformed_repetition_or_capacity_is_refused(
    world: World, tmp_path: Path, key: str, value: Any, reason: str
) -> None:
    data = export_json(world.alice)
    dated = next(i for i in mine(data, world.alice.peer_id)["items"] if i["begins"])
    dated[key] = value
    fresh = restored_home(world.alice, tmp_path / "alice2")
    with pytest.raises(ImportRefused) as refused:
        import_export(fresh, write_json(tmp_path / "bad.json", data))
    assert reason in str(refused.value)
