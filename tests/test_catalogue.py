"""One catalogue: every user-visible text is in `reliance.i18n`, in both languages, and nothing else in the
code knows which language is which.

The scans read the sources (AST), so a new `if lang == "fr"` or an English sentence echoed by the command
line fails here, with the file and line to fix.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import reliance
from reliance.i18n import AREAS, LANGS, MESSAGES, Phrase, merged, phrase, t, tn

SRC = Path(reliance.__file__).parent
CATALOGUE = SRC / "i18n"  # the package: its __init__ and every area's table
# Faces: what people read. A string with words in it, given to one of these calls, belongs in the catalogue.
FACES = ("cli", "tui", "web", "net/doctor.py", "export/exporters.py")
SHOWING_CALLS = {"echo", "fail", "warn", "notify", "Finding", "Static", "Label", "Button", "RadioButton"}
SHOWING_CALLS |= {
    "RelianceError",
    "ModelError",
    "PolicyError",
    "InputError",
    "ClickException",
    "UsageError",
}  # their text reaches people
WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
TOKEN = re.compile(r"[a-z0-9_.\-]*")  # an id, a code, a key, a program name: not a sentence
KEY_LITERAL = re.compile(r"""["']([a-z_]+\.[a-z_0-9.]+)["']""")
NAMESPACES = {key.split(".", 1)[0] for key in MESSAGES}


def sources() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*.py")):
        if not path.is_relative_to(CATALOGUE):
            yield path


def relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def is_language(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in LANGS
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(is_language(e) for e in node.elts)
    return False


def is_language_branch(node: ast.AST) -> bool:
    """A comparison with a language code, a dictionary keyed by one, `lang.startswith("fr")`."""
    if isinstance(node, ast.Compare):
        return any(is_language(n) for n in (node.left, *node.comparators))
    if isinstance(node, ast.Dict):
        return any(k is not None and is_language(k) for k in node.keys)
    if isinstance(node, ast.MatchValue):
        return is_language(node.value)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("startswith", "endswith", "removeprefix")
        and any(is_language(a) for a in node.args)
    )


def language_branches(tree: ast.AST) -> Iterator[ast.AST]:
    return (node for node in ast.walk(tree) if is_language_branch(node))


def test_no_language_branch_outside_the_catalogue() -> None:
    found = [
        f"{relative(path)}:{node.lineno}"  # type: ignore[attr-defined]
        for path in sources()
        for node in language_branches(ast.parse(path.read_text("utf-8")))
    ]
    assert found == [], "compare languages only in reliance/i18n/: " + ", ".join(found)


def test_the_scan_sees_a_language_branch() -> None:
    code = 'fr = lang == "fr"\nx = {"en": 1}\nlang.startswith("fr")\nmatch lang:\n    case "en": pass'
    assert len(list(language_branches(ast.parse(code)))) == 4
    assert list(language_branches(ast.parse('t("nav.home", "fr")\ndef f(lang: str = "en"): ...'))) == []


def call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def has_words(node: ast.AST) -> bool:
    """A literal (or the literal parts of an f-string) with a word in it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return WORD.search(node.value) is not None and TOKEN.fullmatch(node.value) is None
    if isinstance(node, ast.JoinedStr):
        return any(has_words(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return has_words(node.left) or has_words(node.right)
    if isinstance(node, ast.IfExp):
        return has_words(node.body) or has_words(node.orelse)
    return False


def hard_coded_texts(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and call_name(node) in SHOWING_CALLS
            and any(has_words(a) for a in node.args)
        ):
            yield node


def face_sources() -> Iterator[Path]:
    for face in FACES:
        path = SRC / face
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def test_faces_show_no_hard_coded_text() -> None:
    found = [
        f"{relative(path)}:{node.lineno}"
        for path in face_sources()
        for node in hard_coded_texts(ast.parse(path.read_text("utf-8")))
    ]
    assert found == [], "put these texts in reliance/i18n/: " + ", ".join(found)


def test_the_scan_sees_a_hard_coded_text() -> None:
    assert len(list(hard_coded_texts(ast.parse('echo(f"wrote {path}")\nfail("no such item")')))) == 2
    assert list(hard_coded_texts(ast.parse('echo(t("cli.wrote", lang, path=p))\necho(f"{a}  {b}")'))) == []


def operation_names(tree: ast.AST) -> set[str]:
    """Names of local API operations (`ctx.call("code.set", ...)`): dotted like keys, but not texts."""
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and call_name(node) == "call"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def used_keys() -> set[str]:
    """Every literal in the sources (and the web face's templates) that looks like a catalogue key (a known
    namespace, a dot); the names of local API operations (the web face's forms post to them) are not."""
    from reliance.localapi.ops import TABLE

    api_names = set(TABLE.operations)
    found: set[str] = set()
    for template in sorted((SRC / "web" / "templates").glob("*.html")):
        keys = re.findall(r"""tr\(["']([a-z_.]+)["']""", template.read_text("utf-8"))
        found.update(key for key in keys if not key.endswith("."))  # "entry_kind." ~ kind: built there
    for path in sources():
        if "localapi" in path.parts:  # its operations are named like keys (code.set)
            continue
        text = path.read_text("utf-8")
        operations = operation_names(ast.parse(text))
        for literal in KEY_LITERAL.findall(text):
            if (
                literal.split(".", 1)[0] in NAMESPACES
                and literal not in operations
                and literal not in api_names
                and not literal.endswith(
                    (".py", ".tcss", ".json", ".md", ".lock", ".html", ".ics", ".pem", ".key")
                )
            ):
                found.add(literal)
    return found


def test_every_key_the_code_uses_exists() -> None:
    missing = sorted(k for k in used_keys() if k not in MESSAGES and f"{k}.one" not in MESSAGES)
    assert missing == []


def test_every_entry_has_both_languages_with_the_same_placeholders() -> None:
    formatter = string.Formatter()
    for key, pair in MESSAGES.items():
        assert len(pair) == len(LANGS) and all(pair), key
        fields = [{f for _, f, _, _ in formatter.parse(text) if f} for text in pair]
        assert all(f == fields[0] for f in fields), key


def test_every_area_of_the_catalogue_is_merged() -> None:
    tables = sorted(path.stem for path in CATALOGUE.glob("messages_*.py"))
    assert sorted(area.__name__.rpartition(".")[2] for area in AREAS) == tables
    assert sum(len(area.MESSAGES) for area in AREAS) == len(MESSAGES)


def test_no_table_repeats_a_key() -> None:
    """Within one dict literal Python keeps the last value silently: read the tables' sources instead."""
    for path in sorted(CATALOGUE.glob("messages_*.py")):
        keys = [
            key.value
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.Dict)
            for key in node.keys
            if isinstance(key, ast.Constant)
        ]
        assert sorted({k for k in keys if keys.count(k) > 1}) == [], relative(path)


def _area(name: str, namespaces: tuple[str, ...], keys: list[str]) -> ModuleType:
    area = ModuleType(name)
    area.NAMESPACES = namespaces  # type: ignore[attr-defined]
    area.MESSAGES = {key: ("fr", "en") for key in keys}  # type: ignore[attr-defined]
    return area


def test_the_merge_refuses_a_key_twice_or_out_of_place() -> None:
    one = _area("one", ("x",), ["x.a"])
    assert merged([one, _area("two", ("y",), ["y.a"])]) == {"x.a": ("fr", "en"), "y.a": ("fr", "en")}
    with pytest.raises(ValueError, match="defined twice"):
        merged([one, _area("two", ("y",), ["x.a"])])
    with pytest.raises(ValueError, match="outside its NAMESPACES"):
        merged([one, _area("two", ("y",), ["z.a"])])
    with pytest.raises(ValueError, match="'x' is in one and in two"):
        merged([one, _area("two", ("x",), ["x.b"])])


def test_plurals_have_both_forms() -> None:
    for key in MESSAGES:
        if key.endswith(".one"):
            assert key.removesuffix(".one") + ".other" in MESSAGES, key


@pytest.mark.parametrize("lang", LANGS)
def test_a_phrase_is_worded_in_the_language_that_shows_it(lang: str) -> None:
    nested = phrase("doctor.detail", detail="EPERM")
    assert t("doctor.multicast_unsure", lang, detail=nested) == t(
        "doctor.multicast_unsure", lang, detail=t("doctor.detail", lang, detail="EPERM")
    )
    assert Phrase("nav.home").describe(lang) == t("nav.home", lang)
    assert tn("count.items", 2, lang) == t("count.items.other", lang, count=2)
