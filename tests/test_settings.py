"""Settings of a home (config.json): what a hand-edited or damaged file gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reliance.app import settings
from reliance.errors import RelianceError


def load_with(home: Path, stored: Any) -> dict[str, Any]:
    home.mkdir(exist_ok=True)
    (home / "config.json").write_text(json.dumps(stored))
    return settings.load_config(home)


def test_valid_values_are_kept(tmp_path: Path) -> None:
    stored = {
        "policy": "known",
        "port": 9000,
        "lang": "fr",
        "theme": "light",
        "mdns": False,
        "announce": True,
        "web": False,
        "web_port": 8080,
        "web_tls": True,
    }
    assert load_with(tmp_path, stored) == stored


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("port", "7447"),
        ("port", True),
        ("port", 0),
        ("port", 70000),
        ("port", 7447.5),
        ("mdns", "yes"),
        ("mdns", 1),
        ("announce", "on"),
        ("policy", "everyone"),
        ("lang", "de"),
        ("theme", None),
    ],
)
def test_a_value_of_the_wrong_type_or_choice_falls_back_to_the_default(
    tmp_path: Path, key: str, value: Any
) -> None:
    config = load_with(tmp_path, {key: value, "theme": "light"} if key != "theme" else {key: value})
    assert config[key] == settings.DEFAULT_CONFIG[key]
    if key != "theme":
        assert config["theme"] == "light"  # one bad value does not cost the others


def test_unknown_keys_and_non_objects_are_ignored(tmp_path: Path) -> None:
    assert load_with(tmp_path, {"colour": "red"}) == settings.DEFAULT_CONFIG
    assert load_with(tmp_path, [1, 2]) == settings.DEFAULT_CONFIG


def test_an_unreadable_block_list_is_one_clear_error(tmp_path: Path) -> None:
    """Reading blocks for a bundle import must not take a damaged list for an empty one."""
    (tmp_path / "blocks.json").write_text("{not json")
    with pytest.raises(RelianceError, match=r"cannot read blocks\.json"):
        settings.blocked_keys(tmp_path)


def test_set_config_validates_and_stores(tmp_path: Path) -> None:
    assert settings.set_config(tmp_path, "port", "8123")["port"] == 8123
    assert settings.set_config(tmp_path, "mdns", "off")["mdns"] is False
    with pytest.raises(RelianceError, match="port is a number"):
        settings.set_config(tmp_path, "port", "99999")
    with pytest.raises(RelianceError, match="unknown setting"):
        settings.set_config(tmp_path, "colour", "red")
    assert settings.load_config(tmp_path)["port"] == 8123  # the refused values changed nothing


def test_the_mdns_advert_names_nobody_unless_asked(tmp_path: Path) -> None:
    assert settings.load_config(tmp_path)["announce"] is False
    assert settings.set_config(tmp_path, "announce", "on")["announce"] is True
    assert settings.set_config(tmp_path, "announce", "false")["announce"] is False
    with pytest.raises(RelianceError, match="announce is on or off"):
        settings.set_config(tmp_path, "announce", "maybe")


# -- writes from several processes at once, and a damaged file -------------------------------------------


def block_many(home: str, keys: list[bytes]) -> None:
    """In another process: block each key, one read-modify-write each (as the app and the CLI do)."""
    from reliance.identity import encode_peer_id

    for key in keys:
        settings.block(Path(home), encode_peer_id(key), "spam")


def set_many(home: str, key: str, values: list[str]) -> None:
    for value in values:
        settings.set_config(Path(home), key, value)


def test_processes_blocking_at_once_lose_no_block_and_never_leave_unreadable_json(tmp_path: Path) -> None:
    import multiprocessing
    import os
    import threading

    home = tmp_path / "home"
    home.mkdir()
    batches = [[os.urandom(32) for _ in range(12)] for _ in range(4)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=block_many, args=(str(home), batch)) for batch in batches]
    unreadable: list[str] = []
    done = threading.Event()

    def read_all_along() -> None:
        while not done.is_set():
            try:
                settings.blocks(home)
            except RelianceError as exc:
                unreadable.append(str(exc))

    reader = threading.Thread(target=read_all_along)
    reader.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    done.set()
    reader.join()
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert settings.blocked_keys(home) == {key for batch in batches for key in batch}
    assert unreadable == []
    assert sorted(p.name for p in home.iterdir()) == ["blocks.json", "settings.lock"]  # no temporary left


def test_processes_setting_different_keys_at_once_keep_each_last_value(tmp_path: Path) -> None:
    import multiprocessing

    home = tmp_path / "home"
    home.mkdir()
    context = multiprocessing.get_context("spawn")
    ports = [str(9000 + i) for i in range(15)]
    themes = ["light", "dark"] * 7 + ["light"]
    workers = [
        context.Process(target=set_many, args=(str(home), "port", ports)),
        context.Process(target=set_many, args=(str(home), "theme", themes)),
        context.Process(target=set_many, args=(str(home), "policy", ["open", "known"] * 7 + ["known"])),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    config = settings.load_config(home)
    assert (config["port"], config["theme"], config["policy"]) == (9014, "light", "known")


def test_a_damaged_config_gives_the_defaults_with_one_warning_and_the_stricter_policy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "config.json").write_text('{"port": 9000, "pol')  # cut short
    with caplog.at_level("WARNING", logger="reliance.app.settings"):
        first = settings.load_config(tmp_path)
        again = settings.load_config(tmp_path)
    assert first == again == settings.DEFAULT_CONFIG | {"policy": "known"}  # never more open than meant
    assert len(caplog.records) == 1, caplog.text
    assert "config.json" in caplog.records[0].getMessage()


def test_a_write_over_a_damaged_file_keeps_the_damaged_one_aside(tmp_path: Path) -> None:
    (tmp_path / "blocks.json").write_text("[{not json")
    import os

    from reliance.identity import encode_peer_id

    key = encode_peer_id(os.urandom(32))
    assert settings.block(tmp_path, key, "spam") is True
    assert [e["peer_id"] for e in settings.blocks(tmp_path)] == [key]
    assert (tmp_path / "blocks.json.damaged").read_text() == "[{not json"
