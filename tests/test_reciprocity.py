"""A reciprocity typed as its label in either language ("don", "Troc", "money") is stored as its code, from
the command line and the library alike; anything else stays the words its author typed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from reliance.i18n import reciprocity_code
from reliance.model.catalogue import RECIPROCITY_WORDS, Item, ItemKind
from tests.conftest import CliResult

TYPED = {
    "don": "gift",
    " Don ": "gift",
    "gift": "gift",
    "GIFT": "gift",
    "temps": "time",
    "Time": "time",
    "argent": "money",
    "troc": "barter",
    "Barter": "barter",
    "échange de services": "échange de services",
    "donner": "donner",
}


@pytest.mark.parametrize(("typed", "stored"), sorted(TYPED.items()))
def test_the_model_stores_the_code(typed: str, stored: str) -> None:
    assert reciprocity_code(typed) == stored.strip()
    item = Item(id="x", kind=ItemKind.OFFER, title="Pain", author="rl" + "a" * 56, reciprocity=typed)
    assert item.validated().reciprocity == stored.strip()


def test_every_code_has_a_label_in_every_language() -> None:
    from reliance.i18n import LANGS, t

    for code in RECIPROCITY_WORDS:
        for lang in LANGS:
            assert reciprocity_code(t(f"reciprocity.{code}", lang)) == code


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_command_line_stores_the_code_whatever_language_it_was_typed_in(
    cli: Callable[..., CliResult], lang: str
) -> None:
    assert cli("init", "--name", "Zoé").code == 0
    assert cli("config", "set", "lang", lang).code == 0
    code, out, err = cli("offer", "add", "--title", "Pain", "--reciprocity", "Don")
    assert code == 0, err
    item_id = out.strip()
    shown = json.loads(cli("item", "show", item_id, "--json").out)
    assert shown["reciprocity"] == "gift"
    code, _, err = cli("item", "update", item_id, "--reciprocity", "barter" if lang == "fr" else "troc")
    assert code == 0, err
    assert json.loads(cli("item", "show", item_id, "--json").out)["reciprocity"] == "barter"
    code, _, err = cli("item", "update", item_id, "--reciprocity", "un coup de main")
    assert code == 0, err
    assert json.loads(cli("item", "show", item_id, "--json").out)["reciprocity"] == "un coup de main"
