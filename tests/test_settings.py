"""Settings of a home (config.json): what a hand-edited or damaged file gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reliance import settings
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


def test_an_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(RelianceError, match=r"cannot read config\.json"):
        settings.load_config(tmp_path)


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
