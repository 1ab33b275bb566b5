"""Errors people read carry a catalogue key and its parameters, never an English sentence.

The scan reads the sources (AST): a call of one of the user-facing error classes (`RelianceError` and every
class derived from it, found in the sources), or of a check that words its error from the name it is given
(`check_amount(value, "the pool", ...)`), with a literal sentence in its arguments fails here, with the file
and line to fix: none may remain. An error that can never reach a person (a bug in reliance's own code) is
of a class not derived from `RelianceError` (`BindingMisuse`, say), which says why in its docstring.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import reliance
from reliance.economy import LedgerError, PolicyError, policy_from_data
from reliance.economy.checks import check_amount, in_entry
from reliance.errors import RelianceError, worded
from reliance.i18n import MESSAGES, t
from tests.test_catalogue import TOKEN, call_name, has_words, sources

SRC = Path(reliance.__file__).parent
# Checks that put the name they are given (`what`) into their error.
CHECKS = {"check_text", "check_account_name", "check_unit", "check_amount", "parse_instant", "check_name"}


def user_error_classes() -> set[str]:
    """RelianceError and every class of the sources derived from it (by name)."""
    bases: dict[str, list[str]] = {}
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [
                    b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                    for b in node.bases
                ]
    found = {"RelianceError"}
    grew = True
    while grew:
        more = {name for name, parents in bases.items() if found & set(parents)} - found
        found |= more
        grew = bool(more)
    return found


def worded_errors(tree: ast.AST, classes: set[str]) -> Iterator[ast.Call]:
    """Calls of an error class or a check with a sentence among their arguments (positional or named)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) in classes | CHECKS:
            values = [*node.args, *(k.value for k in node.keywords)]
            if any(has_words(v) for v in values):
                yield node


def test_no_english_sentence_in_a_user_facing_error() -> None:
    classes = user_error_classes()
    found = [
        f"{path.relative_to(SRC).as_posix()}:{call.lineno}"
        for path in sources()
        for call in worded_errors(ast.parse(path.read_text("utf-8")), classes)
    ]
    assert found == [], "raise these with a catalogue key and parameters (reliance.i18n)"


def test_the_scan_sees_a_worded_error() -> None:
    code = (
        'raise LedgerError(f"entry {eid}: bad")\n'
        'raise PolicyError("a policy needs a bucket")\n'
        'check_amount(value, "the pool", minimum=0)\n'
        'raise MyError(what="the unit")\n'
    )
    assert len(list(worded_errors(ast.parse(code), {"LedgerError", "PolicyError", "MyError"}))) == 4
    keyed = 'raise LedgerError("ledger.error.empty", what=what("pool"))\ncheck_amount(v, what("pool"))'
    assert list(worded_errors(ast.parse(keyed), {"LedgerError"})) == []
    assert {"ModelError", "LedgerError", "PolicyError", "InputError"} <= user_error_classes()


def error_keys(tree: ast.AST, classes: set[str]) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) in classes and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and "." in first.value:
                yield first.value


def test_every_error_key_is_in_the_catalogue() -> None:
    classes = user_error_classes()
    missing = sorted(
        key
        for path in sources()
        for key in error_keys(ast.parse(path.read_text("utf-8")), classes)
        if TOKEN.fullmatch(key) and key not in MESSAGES
    )
    assert missing == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_error_is_worded_in_the_language_that_shows_it(lang: str) -> None:
    with pytest.raises(LedgerError) as caught:
        check_amount("12,50", in_entry("e1", "amount"), minimum=1)
    error = caught.value
    expected = t("ledger.error.not_whole", lang, what=in_entry("e1", "amount"), value="'12,50'")
    assert error.text(lang) == expected
    assert worded(error, lang) == error.text(lang)
    assert str(error) == error.text("en")  # logs read English
    assert "montant" in error.text("fr") and "amount" in error.text("en")


def test_an_error_stays_catchable_and_its_key_passes_on() -> None:
    with pytest.raises(PolicyError) as caught:
        weight = {"action": "work", "unit": "m n", "weight": 1}
        policy_from_data({"version": 1, "buckets": [], "weights": [weight]})
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, RelianceError)
    assert caught.value.key.startswith(("dividend.", "ledger."))
    assert "dividend." not in caught.value.text("fr")
    assert RelianceError("already worded, as is").text("fr") == "already worded, as is"


def test_no_error_has_a_parameter_named_like_an_argument_of_t() -> None:
    """`t(key, lang, **params)`: a parameter called `key` or `lang` would make building the error fail."""
    classes = user_error_classes() | {"phrase", "Phrase"}
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sources()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Call)
        and call_name(node) in classes
        and any(k.arg in ("key", "lang") for k in node.keywords)
    ]
    assert found == []
