"""Every user-visible string exists in French and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import reliance.tui
from reliance.i18n import MESSAGES, locale_lang, resolve_lang, t, tn

NAMESPACES = {key.split(".", 1)[0] for key in MESSAGES}
KEY_LITERAL = re.compile(r"""["']([a-z_]+\.[a-z_0-9.]+)["']""")
TEMPLATE = re.compile(r"""f["']([a-z_]+)\.\{""")


def used_keys() -> set[str]:
    """Key-like literals of the app; the names of local API operations (`web.pair`) are not keys."""
    from reliance.localapi.ops import TABLE

    found: set[str] = set()
    for path in Path(reliance.tui.__file__).parent.rglob("*.py"):
        for literal in KEY_LITERAL.findall(path.read_text("utf-8")):
            if (
                literal.split(".", 1)[0] in NAMESPACES
                and not literal.endswith((".py", ".tcss", ".json", ".md"))
                and literal not in TABLE.operations
            ):
                found.add(literal)
    return found


def test_every_key_the_app_uses_exists() -> None:
    missing = sorted(k for k in used_keys() if k not in MESSAGES and f"{k}.one" not in MESSAGES)
    assert missing == []


def test_templated_families_are_complete() -> None:
    for family, values in {
        "kind": ["offer", "need", "call", "event", "seed"],
        "kind_short": ["offer", "need", "call", "event", "seed"],
        "peer_state": ["discovered", "connecting", "connected", "pending", "blocked", "unreachable"],
        "entry": ["contribution", "expense", "revenue", "transfer", "distribution", "reversal"],
        "role": ["steward", "member"],
        "day": [str(d) for d in range(7)],
        "month": [str(m) for m in range(1, 13)],
        "feed": [
            "item_new",
            "item_update",
            "answer",
            "ledger",
            "amend",
            "peer_new",
            "project_new",
            "peer",
            "rejected",
            "error",
        ],
        "projects.hint": ["ledger", "members", "balances"],
    }.items():
        for value in values:
            assert f"{family}.{value}" in MESSAGES, f"{family}.{value}"


def test_both_languages_have_the_same_placeholders() -> None:
    formatter = string.Formatter()
    for key, (fr, en) in MESSAGES.items():
        assert fr and en, key
        fields_fr = {f for _, f, _, _ in formatter.parse(fr) if f}
        fields_en = {f for _, f, _, _ in formatter.parse(en) if f}
        assert fields_fr == fields_en, key


def test_translation_and_defaults() -> None:
    assert t("nav.home", "fr") == "Accueil" and t("nav.home", "en") == "Home"
    assert t("done.item_created", "en", title="Pain") == "Published: Pain"
    assert t("done.item_created", "en") == "Published: {title}"  # a missing parameter never raises
    assert t("no.such.key", "fr") == "no.such.key"
    assert tn("count.items", 1, "en") == "1 item" and tn("count.items", 0, "fr") == "0 élément"
    assert tn("count.items", 2, "fr") == "2 éléments"
    assert locale_lang({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert locale_lang({"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}) == "en"
    assert locale_lang({}) == "en"
    assert resolve_lang(None, "fr") == "fr" and resolve_lang("en", "fr") == "en"
