"""Home shows the addresses others can type; Enter renames and Home shows the new name at once; exports and
bundles made from the app go to a folder the person sees and can choose, never the directory the app was
started from; the export menu offers the catalogue and the programme for printing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Select

from reliance.net import discovery
from reliance.net.discovery import InterfaceAddress
from reliance.tui.app import create_app
from reliance.tui.home.screen import HomeScreen
from reliance.tui.prefs.screen import SettingsScreen
from tests.tui.conftest import go_to, offline, settle, shown_text
from tests.tui.world import FakeNode, fake_peers

SIZE = (120, 40)


@pytest.mark.parametrize(("lang", "label"), [("en", "Your address"), ("fr", "Votre adresse")])
async def test_home_shows_addresses_others_can_type(
    home: Path, monkeypatch: pytest.MonkeyPatch, lang: str, label: str
) -> None:
    interfaces = [
        InterfaceAddress("lo", "127.0.0.1", 8, True, False),
        InterfaceAddress("wlan0", "192.168.1.31", 24, True, True),
        InterfaceAddress("eth1", "10.0.0.4", 8, False, True),  # down: nobody reaches it
    ]
    monkeypatch.setattr(discovery, "list_ipv4_interfaces", lambda: interfaces)
    node = FakeNode(fake_peers())
    node.listen_address = ("0.0.0.0", 7447)
    app = create_app(home, node_factory=lambda ws: node, lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        network = shown_text(app.screen.query_one("#net-text"))
        assert label in network and "192.168.1.31:7447" in network
        assert "0.0.0.0" not in network and "127.0.0.1" not in network and "10.0.0.4" not in network


async def test_enter_renames_and_home_shows_the_new_name_at_once(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "7")
        field = app.screen.query_one("#name", Input)
        field.focus()
        field.value = "Camille Boulangère"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.workspace.identity.name == "Camille Boulangère"
        app.screen.set_focus(None)  # out of the field: the digit goes to the app
        await go_to(app, pilot, "1")
        assert isinstance(app.screen, HomeScreen)
        assert "Camille Boulangère" in shown_text(app.screen.query_one("#me-text"))


@pytest.mark.parametrize(
    ("lang", "done", "heading"), [("en", "Exported to ~/", "# "), ("fr", "Exporté dans ~/", "# ")]
)
async def test_exports_and_bundles_go_to_a_folder_the_person_sees_and_chooses(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, done: str, heading: str
) -> None:
    started_in = tmp_path / "started-here"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    monkeypatch.delenv("XDG_DOCUMENTS_DIR", raising=False)
    documents = tmp_path / "Documents"  # $HOME is tmp_path (the home fixture)
    documents.mkdir()
    app = offline(home, lang)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "7")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert screen.query_one("#export-folder", Input).value == "~/Documents"
        options = [value for _, value in screen.query_one("#format", Select)._options]
        assert "markdown_catalogue" in options and "markdown_programme" in options
        screen.query_one("#format", Select).value = "markdown_programme"
        await settle(app, pilot)
        assert screen.query_one("#export-path", Input).value == "reliance-programme.md"
        screen.query_one("#export", Button).press()
        await settle(app, pilot)
        programme = documents / "reliance-programme.md"
        assert programme.read_text("utf-8").startswith(heading)
        assert any(
            n.message.startswith(done) and "Documents/reliance-programme.md" in n.message
            for n in app._notifications
        )
        # Another folder, chosen by the person: the bundle goes there, and it is remembered.
        stick = tmp_path / "stick"
        stick.mkdir()
        screen.query_one("#export-folder", Input).value = str(stick)
        screen.query_one("#bundle-export", Button).press()
        await settle(app, pilot)
        assert (stick / "reliance.bundle").stat().st_size > 0
        # A name cannot send the file elsewhere, and a folder that is not there is said, not created.
        screen.query_one("#format", Select).value = "markdown_catalogue"
        await settle(app, pilot)
        screen.query_one("#export-path", Input).value = "../../evil.md"
        screen.query_one("#export", Button).press()
        await settle(app, pilot)
        assert (stick / "evil.md").exists() and not (tmp_path / "evil.md").exists()
        screen.query_one("#export-folder", Input).value = str(tmp_path / "nowhere")
        screen.query_one("#export", Button).press()
        await settle(app, pilot)
        assert not (tmp_path / "nowhere").exists()
        assert any("nowhere" in n.message for n in app._notifications)  # said, not a crash
    assert list(started_in.iterdir()) == []  # nothing in the directory the app was started from
    assert json.loads((home / "ui.json").read_text("utf-8"))["export_dir"] == str(stick)
