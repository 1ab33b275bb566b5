"""Other people's text cannot drive the terminal: escape sequences, C1 controls and bidirectional overrides
in a peer's document are shown inert by every command, markup shows as typed, and JSON keeps the exact text
(escaped)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.display import clean, json_text
from reliance.doc import participant
from reliance.errors import ModelError
from reliance.model.catalogue import Item, ItemKind
from reliance.net.status import write_peers_file
from reliance.replication.bundle import export_bundle
from tests.conftest import run_cli

OSC52 = "\x1b]52;c;cm0K\x07"  # writes "rm\n" to the clipboard in xterm, kitty, tmux
CLEAR = "\x1b[2J\x1b[H"
CSI8 = "\x9b31m"  # 8-bit CSI: red, in terminals that honour C1 controls
RLO = "\u202e"  # right-to-left override: "gnp.exe" reads "exe.png"
LRI = "\u2066"
MARKUP = "[b]x[/b][@click=app.quit]q[/]"
HOSTILE = f"pain{OSC52}{CLEAR}{CSI8}bio{RLO}gnp.exe{LRI}{MARKUP}\x7f\rFAKE"
SHORT = f"x{CSI8}{RLO}\x1b[2J"  # where fields are short (tags, dimensions)
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\x7f", "\r", RLO, LRI, "\u202a", "\u2069")


def assert_inert(text: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, f"{char!r} reached the terminal in: {text!r}"


def assert_shown(text: str) -> None:
    """The hostile text is there, visibly: its escape sequences as text, its markup as typed."""
    assert_inert(text)
    assert "␛]52;c;cm0K␇" in text, text
    assert "␛[2J" in text and "\ufffd31m" in text and "gnp.exe" in text, text
    assert MARKUP in text, text


def give_a_hostile_name(ws: Workspace) -> None:
    """What a modified client can write in its own document (the library refuses such a name)."""
    with pytest.raises(ModelError):
        ws.rename(HOSTILE)
    ws.my_doc().local_change(ws.identity.sign, lambda w: participant.set_name(w, HOSTILE))


@dataclass(frozen=True)
class Scene:
    home: Path  # Alice, who received Mallory's documents
    mallory: str
    item_id: str  # Mallory's item
    alice_item: str  # Alice's item, which Mallory answered
    pid: str  # Mallory's project, Alice a member


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    root = tmp_path_factory.mktemp("foreign")
    alice = Workspace.create(root / "alice", "Alice")
    alice_item = alice.add_item(Item(id="", kind=ItemKind.NEED, title="farine", author=""))
    stick = root / "alice.bundle"
    export_bundle(alice.repo, stick, [alice.peer_id], alice.peer_id)

    mallory = Workspace.create(root / "mallory", "Mallory")
    give_a_hostile_name(mallory)
    from reliance.replication.bundle import import_bundle

    import_bundle(mallory.repo, stick)
    item = mallory.add_item(
        Item(
            id="",
            kind=ItemKind.OFFER,
            title=HOSTILE,
            author="",
            description=HOSTILE + "\nsecond line",
            tags=(SHORT,),
            place=HOSTILE,
            reciprocity=HOSTILE,
        )
    )
    mallory.answer(alice_item.id, "can_help", HOSTILE)
    for section in ("histoire", "valeurs"):
        mallory.set_code(section, HOSTILE)
    pid = projects.create_project(mallory, HOSTILE)
    projects.add_member(mallory, pid, alice.peer_id)
    projects.set_project_code(mallory, pid, "valeurs", HOSTILE)
    projects.contribute(mallory, pid, "time", 30, "min", note=HOSTILE, dimensions={SHORT: 2})
    projects.record_entry(mallory, pid, kind="revenue", amount=500, unit="EUR", note=HOSTILE, member="")
    back = root / "mallory.bundle"
    export_bundle(mallory.repo, back, mallory.repo.doc_ids(), mallory.peer_id)
    import_bundle(alice.repo, back)
    # What a node writes after a handshake with Mallory (her name as she announces it) and a refusal.
    write_peers_file(
        alice.home,
        {"peers": {mallory.peer_id: {"name": HOSTILE, "addresses": ["127.0.0.1:1"], "source": "mdns"}}},
    )
    return Scene(alice.home, mallory.peer_id, item.id, alice_item.id, pid)


def cli_ok(scene: Scene, *args: str) -> str:
    code, out, err = run_cli(scene.home, *args)
    assert code == 0, (args, out, err)
    assert_inert(err)
    return out


@pytest.mark.parametrize(
    "args",
    [
        ("item", "list"),
        ("offer", "list"),
        ("item", "list", "--search", "bio"),
        ("item", "show", "{item_id}"),
        ("item", "show", "{alice_item}"),
        ("code", "show", "--peer", "{mallory}"),
        ("code", "show", "--project", "{pid}"),
        ("code", "history", "--peer", "{mallory}"),
        ("project", "list"),
        ("project", "show", "{pid}"),
        ("project", "ledger", "{pid}"),
        ("project", "balances", "{pid}"),
        ("peers",),
    ],
    ids=lambda args: "-".join(a for a in args if not a.startswith("{")),
)
def test_commands_show_foreign_text_inert(scene: Scene, args: tuple[str, ...]) -> None:
    filled = [a.format(**scene.__dict__) for a in args]
    out = cli_ok(scene, *filled)
    if args[:2] == ("code", "history") or args[:2] == ("project", "balances"):
        assert_inert(out)
        assert "␛]52" in out or "pain" in out, out  # the author's name, where names are shown
    else:
        assert_shown(out)


def test_single_line_fields_cannot_forge_lines(scene: Scene) -> None:
    out = cli_ok(scene, "item", "list")
    lines = out.splitlines()
    assert len(lines) == 2, out  # Mallory's offer and Alice's need, one line each
    assert not any(line.startswith("FAKE") for line in lines)
    shown = cli_ok(scene, "item", "show", scene.item_id)
    assert "second line" in shown.splitlines()  # a description keeps its own lines


def test_matrix_shows_foreign_dimension_names_inert(scene: Scene) -> None:
    out = cli_ok(scene, "project", "matrix", scene.pid)
    assert_inert(out)
    assert "x\ufffd31m" in out, out


@pytest.mark.parametrize(
    "args",
    [
        ("item", "list", "--json"),
        ("item", "show", "{item_id}", "--json"),
        ("code", "show", "--peer", "{mallory}", "--json"),
        ("project", "show", "{pid}", "--json"),
        ("project", "ledger", "{pid}", "--json"),
        ("peers", "--json"),
        ("export", "--format", "json"),
        ("export", "--format", "jsonld"),
    ],
    ids=lambda args: "-".join(a for a in args if not a.startswith("{")),
)
def test_json_keeps_the_exact_text_escaped(scene: Scene, args: tuple[str, ...]) -> None:
    out = cli_ok(scene, *[a.format(**scene.__dict__) for a in args])
    assert_inert(out)
    assert any(HOSTILE in text for text in strings(json.loads(out))), "the exact text, read back"


def strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


def test_errors_quoting_foreign_text_are_one_inert_line(scene: Scene) -> None:
    code, _, err = run_cli(scene.home, "item", "show", HOSTILE)
    assert code != 0
    assert_inert(err)
    assert len(err.strip().splitlines()) == 1, err


def test_clean_and_json_text() -> None:
    ordinary = "plain text, accents é, emoji 🍞, arabic مرحبا, [brackets]"
    assert clean(ordinary) == ordinary and clean(ordinary, multiline=True) == ordinary
    assert clean("a\nb\tc") == "a␊b c"  # a single-line field: a newline shows, and cannot start a line
    assert clean("a\nb\tc\r\nd\re", multiline=True) == "a\nb\tc\r\nd␍e"
    assert clean(f"{RLO}abc{LRI}d\u2069") == "\ufffdabc\ufffdd\ufffd"  # shown, not obeyed
    assert clean("\x1b[2J\x9b\x85\x7f\ud800") == "␛[2J\ufffd\ufffd␡\ufffd"
    assert clean("a\u2028b") == "a b" and clean("a\u2028b", multiline=True) == "a\nb"
    dumped = json_text({"t": HOSTILE})
    assert_inert(dumped)
    assert json.loads(dumped) == {"t": HOSTILE}


ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=60)  # surrogates and controls too


@given(ANY_TEXT)
def test_clean_is_inert_one_for_one_and_idempotent(text: str) -> None:
    for multiline in (False, True):
        shown = clean(text, multiline=multiline)
        assert len(shown) == len(text)  # one character for one: spans of styled text stay in place
        assert clean(shown, multiline=multiline) == shown
        kept = {"\n", "\t", "\r"} if multiline else set()
        for char in shown:
            code = ord(char)
            assert char in kept or not (code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF)
            assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        if multiline:
            assert "\r" not in shown.replace("\r\n", "")  # a CR only as part of a line end
        else:
            assert "\n" not in shown and "\u2028" not in shown


@given(ANY_TEXT)
def test_json_text_is_exact_and_inert(text: str) -> None:
    dumped = json_text({"k": text, text: [text]})
    assert json.loads(dumped) == {"k": text, text: [text]}
    for char in dumped:
        code = ord(char)
        assert char in "\n" or not (code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF)
        assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
