"""Small things of the command line: addresses, forgetting a peer, settings shown as they are set, reading
without the passphrase, changing it, and a nameless peer shown by its fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reliance.identity import decode_peer_id, fingerprint
from tests.conftest import run_cli
from tests.test_cli_rsvp import FRENCH, ok, one_line_error


@pytest.fixture
def zoe(tmp_path: Path) -> Path:
    home = tmp_path / "zoe"
    ok(run_cli(home, "init", "--name", "Zoé"))
    return home


@pytest.mark.parametrize(
    ("env", "refused"),
    [({}, "“pas une adresse” is not an address"), (FRENCH, "« pas une adresse » n'est pas une adresse")],
)
def test_peer_add_refuses_what_is_not_an_address_and_peer_remove_forgets(
    zoe: Path, env: dict[str, str], refused: str
) -> None:
    assert refused in one_line_error(run_cli(zoe, "peer", "add", "pas une adresse", env=env))
    assert "bad port" in one_line_error(run_cli(zoe, "peer", "add", "10.0.0.9:99999"))
    ok(run_cli(zoe, "peer", "add", "10.0.0.9:7447", env=env))
    ok(run_cli(zoe, "peer", "add", "fournil.local", env=env))
    assert json.loads((zoe / "peers.json").read_text())["typed"] == ["10.0.0.9:7447", "fournil.local:7447"]
    ok(run_cli(zoe, "peer", "remove", "10.0.0.9:7447", env=env))
    assert json.loads((zoe / "peers.json").read_text())["typed"] == ["fournil.local:7447"]
    one_line_error(run_cli(zoe, "peer", "remove", "10.0.0.9:7447", env=env))  # not there any more
    # A peer accepted by hand is forgotten by its id.
    peer = json.loads(ok(run_cli(zoe.parent / "zoe", "whoami", "--json")))["peer_id"]
    ok(run_cli(zoe, "peer", "accept", peer))
    assert peer in json.loads((zoe / "peers.json").read_text())["peers"]
    ok(run_cli(zoe, "peer", "remove", peer))
    assert peer not in json.loads((zoe / "peers.json").read_text())["peers"]


def test_an_entry_an_older_version_let_in_can_be_removed(zoe: Path) -> None:
    (zoe / "peers.json").write_text(json.dumps({"peers": {}, "typed": ["pas une adresse:7447"]}))
    ok(run_cli(zoe, "peer", "remove", "pas une adresse"))
    assert json.loads((zoe / "peers.json").read_text())["typed"] == []


def test_config_show_prints_what_config_set_takes(zoe: Path) -> None:
    lines = ok(run_cli(zoe, "config", "show")).splitlines()
    shown = dict(line.split(None, 1) for line in lines)
    assert shown["mdns"] == "on" and shown["announce"] == "off" and shown["lang"] == "''"
    for key, value in shown.items():  # each line typed back is taken as it is
        ok(run_cli(zoe, "config", "set", key, "" if value == "''" else value))
    assert ok(run_cli(zoe, "config", "show")).splitlines() == lines


def test_reading_never_asks_for_the_passphrase_and_it_can_be_changed(tmp_path: Path) -> None:
    home = tmp_path / "zoe"
    secret, other = tmp_path / "secret", tmp_path / "other"
    secret.write_text("sésame ouvre-toi\n")
    other.write_text("autre chose\n")
    ok(run_cli(home, "--passphrase-file", str(secret), "init", "--name", "Zoé"))
    ok(run_cli(home, "--passphrase-file", str(secret), "offer", "add", "--title", "Pain"))
    # Without a terminal and without the passphrase: reading works, writing says what is missing.
    assert "Zoé" in ok(run_cli(home, "whoami"))
    assert "Pain" in ok(run_cli(home, "item", "list"))
    assert "passphrase" in one_line_error(run_cli(home, "offer", "add", "--title", "Vélo"))
    peer = json.loads(ok(run_cli(home, "whoami", "--json")))["peer_id"]
    # Changed: the old one no longer opens the key, the new one does, the peer id stays.
    ok(
        run_cli(
            home,
            "--passphrase-file",
            str(secret),
            "passphrase",
            "change",
            "--new-passphrase-file",
            str(other),
        )
    )
    one_line_error(run_cli(home, "--passphrase-file", str(secret), "offer", "add", "--title", "Vélo"))
    ok(run_cli(home, "--passphrase-file", str(other), "offer", "add", "--title", "Vélo"))
    assert (
        json.loads(ok(run_cli(home, "--passphrase-file", str(other), "whoami", "--json")))["peer_id"] == peer
    )
    assert (home / "identity" / "device.key").stat().st_mode & 0o777 == 0o600
    # Removed: no passphrase needed any more, in French too.
    out = ok(run_cli(home, "--passphrase-file", str(other), "passphrase", "change", "--remove", env=FRENCH))
    assert "plus de phrase secrète" in out
    ok(run_cli(home, "offer", "add", "--title", "Sans secret"))
    # Without a terminal nor a file, the new one cannot be asked: one line says how to give it.
    assert "--new-passphrase-file" in one_line_error(run_cli(home, "passphrase", "change"))


def test_a_nameless_peer_shows_its_fingerprint(zoe: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    ok(run_cli(other, "init", "--name", "Autre"))
    peer = json.loads(ok(run_cli(other, "whoami", "--json")))["peer_id"]
    ok(run_cli(zoe, "peer", "accept", peer))
    out = ok(run_cli(zoe, "peers"))
    assert fingerprint(decode_peer_id(peer)) in out and "?" not in out
