"""Places at an event, answers that become conversations, and withdrawing an item, through the command
line (subprocesses on real homes; answers travel between homes in real bundles)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reliance.i18n import t, tn

from .conftest import CliResult, run_cli

FRENCH = {"LC_ALL": "fr_FR.UTF-8"}


def ok(result: CliResult) -> str:
    assert result.code == 0, result.err
    assert result.err == ""
    return result.out


def as_json(result: CliResult) -> Any:
    return json.loads(ok(result))


def one_line_error(result: CliResult) -> str:
    assert result.code != 0 and "Traceback" not in result.err and result.out == ""
    assert result.err.count("\n") == 1, repr(result.err)
    return result.err


def peer_of(home: Path) -> str:
    return str(as_json(run_cli(home, "whoami", "--json"))["peer_id"])


def carry(source: Path, target: Path, tmp_path: Path) -> None:
    """Everything `source` holds reaches `target`, in a bundle."""
    bundle = tmp_path / f"{source.name}-to-{target.name}.bundle"
    ok(run_cli(source, "bundle", "export", str(bundle)))
    ok(run_cli(target, "bundle", "import", str(bundle)))


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("people")
    homes = {name: root / name for name in ("alice", "bob", "carol")}
    for name, home in homes.items():
        ok(run_cli(home, "init", "--name", name.capitalize()))
    return homes


def copies(people: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    import shutil

    out = {}
    for name, home in people.items():
        shutil.copytree(home, tmp_path / name)
        out[name] = tmp_path / name
    return out


# -- 4. places at an event ----------------------------------------------------------------------------------


def test_an_event_with_places_fills_up_and_refuses_one_more(people: dict[str, Path], tmp_path: Path) -> None:
    homes = copies(people, tmp_path)
    alice, bob, carol = homes["alice"], homes["bob"], homes["carol"]
    bal = ok(
        run_cli(
            alice, "event", "add", "--title", "Bal folk", "--begins", "2026-07-14T21:00", "--capacity", "1"
        )
    ).strip()
    shown = as_json(run_cli(alice, "item", "show", bal, "--json"))
    assert shown["capacity"] == 1
    assert shown["attendance"] == {"capacity": 1, "places_left": 1, "coming": [], "waiting": []}
    assert tn("rsvp.places_left", 1, "en") in ok(run_cli(alice, "item", "show", bal))
    assert tn("rsvp.places_left", 1, "fr") in ok(run_cli(alice, "item", "show", bal, env=FRENCH))
    listed = ok(run_cli(alice, "item", "list"))
    assert "Bal folk" in listed and tn("rsvp.places_left", 1, "en") in listed

    carry(alice, bob, tmp_path)
    carry(alice, carol, tmp_path)
    ok(run_cli(bob, "item", "answer", bal, "--kind", "coming", "--message", "J'amène un violon"))
    after = as_json(run_cli(bob, "item", "show", bal, "--json"))
    assert after["attendance"]["coming"] == [peer_of(bob)] and after["attendance"]["places_left"] == 0
    assert t("rsvp.full_short", "en") in ok(run_cli(bob, "item", "list"))

    carry(bob, carol, tmp_path)  # Carol sees that the only place is taken: her side refuses
    refused = one_line_error(run_cli(carol, "item", "answer", bal, "--kind", "coming"))
    assert t("rsvp.full", "en", capacity=1, title="Bal folk") in refused
    refused_fr = one_line_error(run_cli(carol, "item", "answer", bal, "--kind", "coming", env=FRENCH))
    assert t("rsvp.full", "fr", capacity=1, title="Bal folk") in refused_fr
    assert as_json(run_cli(carol, "item", "show", bal, "--json"))["attendance"]["waiting"] == []
    ok(run_cli(carol, "item", "answer", bal, "--kind", "interested"))  # interest is always welcome

    # The capacity can be changed, and is checked like any other field.
    ok(run_cli(alice, "item", "update", bal, "--capacity", "3"))
    assert as_json(run_cli(alice, "item", "show", bal, "--json"))["capacity"] == 3
    bad = one_line_error(run_cli(alice, "item", "update", bal, "--capacity", "0"))
    assert "capacity" in bad or "places" in bad


def test_the_programme_gives_the_places_left_of_each_event(people: dict[str, Path], tmp_path: Path) -> None:
    homes = copies(people, tmp_path)
    alice, bob = homes["alice"], homes["bob"]
    bal = ok(
        run_cli(
            alice, "event", "add", "--title", "Bal folk", "--begins", "2030-07-14T21:00",
            "--repeat", "daily", "--until", "2030-07-15", "--capacity", "2",
        )
    ).strip()  # fmt: skip
    concert = ok(run_cli(alice, "event", "add", "--title", "Concert", "--begins", "2030-07-14T18:00")).strip()
    someday = ok(run_cli(alice, "event", "add", "--title", "Veillée", "--capacity", "1")).strip()
    carry(alice, bob, tmp_path)
    ok(run_cli(bob, "item", "answer", bal, "--kind", "coming"))
    ok(run_cli(bob, "item", "answer", someday, "--kind", "coming"))
    carry(bob, alice, tmp_path)

    data = as_json(run_cli(alice, "programme", "--json"))
    entries = {(e["id"], d["day"]): e for d in data["days"] for e in d["entries"]}
    for day in ("2030-07-14", "2030-07-15"):  # the same places on each day the event repeats
        assert entries[(bal, day)]["attendance"] == {
            "capacity": 2, "places_left": 1, "coming": [peer_of(bob)], "waiting": [],
        }  # fmt: skip
    assert entries[(concert, "2030-07-14")]["attendance"]["capacity"] is None
    undated = {u["id"]: u for u in data["undated"]}
    assert undated[someday]["attendance"]["places_left"] == 0

    text = ok(run_cli(alice, "programme"))
    bal_lines = [line for line in text.splitlines() if "Bal folk" in line]
    assert len(bal_lines) == 2
    assert all(f"[{tn('rsvp.places_left', 1, 'en')}]" in line for line in bal_lines)
    concert_line = next(line for line in text.splitlines() if "Concert" in line)
    assert "[" not in concert_line  # no capacity, nothing said about places
    veillee = next(line for line in text.splitlines() if "Veillée" in line)
    assert f"[{t('rsvp.full_short', 'en')}]" in veillee
    french = ok(run_cli(alice, "programme", "--day", "15/07/2030", env=FRENCH))
    assert f"[{tn('rsvp.places_left', 1, 'fr')}]" in french


@pytest.mark.slow  # 20 runs of the command line; tests/tui/test_rsvp.py covers the same in-process
def test_concurrent_answers_past_the_capacity_wait_in_the_same_order_everywhere(
    people: dict[str, Path], tmp_path: Path
) -> None:
    homes = copies(people, tmp_path)
    alice, bob, carol = homes["alice"], homes["bob"], homes["carol"]
    atelier = ok(run_cli(alice, "event", "add", "--title", "Atelier vélo", "--capacity", "1")).strip()
    carry(alice, bob, tmp_path)
    carry(alice, carol, tmp_path)
    # Offline, each sees one place left and takes it.
    ok(run_cli(bob, "item", "answer", atelier, "--kind", "coming"))
    ok(run_cli(carol, "item", "answer", atelier, "--kind", "coming"))
    carry(bob, carol, tmp_path)
    carry(carol, bob, tmp_path)
    carry(bob, alice, tmp_path)
    seen = {
        name: as_json(run_cli(home, "item", "show", atelier, "--json"))["attendance"]
        for name, home in homes.items()
    }
    assert seen["alice"] == seen["bob"] == seen["carol"]
    assert len(seen["alice"]["coming"]) == 1 and len(seen["alice"]["waiting"]) == 1
    assert set(seen["alice"]["coming"] + seen["alice"]["waiting"]) == {peer_of(bob), peer_of(carol)}
    text = ok(run_cli(alice, "item", "show", atelier))
    assert t("rsvp.full_short", "en") in text and tn("rsvp.waiting", 1, "en") in text
    assert t("cli.item.waiting_position", "en", position=1) in text


# -- 5. answers become conversations ------------------------------------------------------------------------


def test_one_answer_per_kind_withdrawal_and_a_conversation_with_the_author(
    people: dict[str, Path], tmp_path: Path
) -> None:
    homes = copies(people, tmp_path)
    alice, bob, carol = homes["alice"], homes["bob"], homes["carol"]
    need = ok(run_cli(alice, "need", "add", "--title", "Bras pour la buvette")).strip()
    carry(alice, bob, tmp_path)
    first = ok(run_cli(bob, "item", "answer", need, "--message", "Samedi matin")).strip()
    again = ok(
        run_cli(bob, "item", "answer", need, "--message", "Samedi et dimanche", "--contact", "06 12 34 56 78")
    ).strip()
    assert again == first  # answering again updates the answer
    [answer] = as_json(run_cli(bob, "item", "show", need, "--json"))["answers"]
    assert answer["message"] == "Samedi et dimanche" and answer["contact"] == "06 12 34 56 78"
    ok(run_cli(bob, "item", "answer", need, "--kind", "interested"))
    assert len(as_json(run_cli(bob, "item", "show", need, "--json"))["answers"]) == 2
    said = ok(run_cli(bob, "item", "answer", need, "--kind", "interested", "--withdraw"))
    assert said.strip() == t("rsvp.withdrawn", "en", answer=t("answer.interested", "en"))
    nothing = one_line_error(run_cli(bob, "item", "answer", need, "--kind", "interested", "--withdraw"))
    assert t("rsvp.nothing_to_withdraw", "en", answer=t("answer.interested", "en")) in nothing
    assert [a["kind"] for a in as_json(run_cli(bob, "item", "show", need, "--json"))["answers"]] == [
        "can_help"
    ]

    # The author replies with a meeting point; the answerer writes back; a third person cannot join.
    carry(bob, alice, tmp_path)
    ok(run_cli(alice, "item", "reply", first, "--message", "Merci !", "--contact", "Entrée nord, 8h"))
    carry(alice, bob, tmp_path)
    ok(run_cli(bob, "item", "reply", first, "--message", "J'y serai"))
    carry(bob, carol, tmp_path)
    refused = one_line_error(run_cli(carol, "item", "reply", first, "--message", "Et moi ?"))
    assert t("rsvp.reply_not_allowed", "en") in refused
    carry(bob, alice, tmp_path)
    for home in (alice, bob):  # shown to both
        [shown] = as_json(run_cli(home, "item", "show", need, "--json"))["answers"]
        assert [(r["message"], r["contact"]) for r in shown["replies"]] == [
            ("Merci !", "Entrée nord, 8h"),
            ("J'y serai", None),
        ]
        text = ok(run_cli(home, "item", "show", need, env=FRENCH))
        assert "↪ Alice: Merci !" in text and "↪ Bob: J'y serai" in text
        assert t("cli.item.contact", "fr", contact="Entrée nord, 8h") in text
        assert t("cli.item.contact", "fr", contact="06 12 34 56 78") in text

    # Bounded: a message past the limit is refused on the writing side, in the person's language.
    long = "x" * 2001
    too_long = one_line_error(run_cli(alice, "item", "reply", first, "--message", long, env=FRENCH))
    assert "2000" in too_long and "2001" in too_long
    two_lines = one_line_error(run_cli(bob, "item", "answer", need, "--contact", "a\nb"))
    assert t("rsvp.contact_one_line", "en") in two_lines


# -- 8. withdrawing an item for everyone --------------------------------------------------------------------


def test_withdraw_an_item_for_everyone_after_confirmation(people: dict[str, Path], tmp_path: Path) -> None:
    homes = copies(people, tmp_path)
    alice, bob = homes["alice"], homes["bob"]
    offer = ok(run_cli(alice, "offer", "add", "--title", "Vélo à prêter")).strip()
    carry(alice, bob, tmp_path)
    ok(run_cli(bob, "item", "answer", offer, "--message", "Pour samedi ?"))
    asked = one_line_error(run_cli(alice, "item", "withdraw", offer))  # no terminal to ask: --yes needed
    assert t("cli.item.withdraw_needs_yes", "en", title="Vélo à prêter") in asked
    assert "--yes" in one_line_error(run_cli(alice, "item", "withdraw", offer, env=FRENCH))
    not_mine = one_line_error(run_cli(bob, "item", "withdraw", offer, "--yes"))
    assert t("error.not_mine", "en") in not_mine
    assert ok(run_cli(alice, "item", "withdraw", offer, "--yes")).strip() == t(
        "cli.item.withdrawn", "en", title="Vélo à prêter"
    )
    assert as_json(run_cli(alice, "item", "list", "--json")) == []
    carry(alice, bob, tmp_path)
    assert as_json(run_cli(bob, "item", "list", "--json")) == []
    gone = one_line_error(run_cli(bob, "item", "show", offer))
    assert t("rsvp.item_withdrawn", "en", item=offer) in gone
