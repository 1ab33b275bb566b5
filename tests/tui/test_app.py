"""Pilot tests of every screen at 120x40: what a person does, and what ends up in the store."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from reliance import economy
from reliance.app import projects, settings
from reliance.app.workspace import ItemFilter, Workspace
from reliance.doc import project as pdoc
from reliance.i18n import t
from reliance.identity import has_identity
from reliance.model.catalogue import ItemKind, Status
from reliance.net.events import SYNCED, NodeEvent, PeerState
from reliance.net.status import read_peers_file
from reliance.tui.app import RelianceApp, create_app
from reliance.tui.catalogue.screen import CatalogueScreen
from reliance.tui.code.screen import CodeScreen
from reliance.tui.common.data import CatalogueFilter, load_cache, make_row
from reliance.tui.common.dialogs import (
    AddressDialog,
    ItemForm,
    ProjectDialog,
    SectionEditor,
    VisibilityDialog,
)
from reliance.tui.common.widgets import VirtualTable
from reliance.tui.home.screen import HomeScreen
from reliance.tui.node import no_node_factory
from reliance.tui.peers.screen import PeerRow, PeersScreen
from reliance.tui.projects.screen import ProjectsScreen
from reliance.tui.welcome.phrase import PhraseScreen
from reliance.tui.welcome.screen import UnlockScreen, WelcomeScreen
from tests.conftest import run_cli, stored_text
from tests.tui.conftest import fill_dialog, go_to, offline, settle, shown_text, until_screen
from tests.tui.world import FakeNode, World, item, peer_id_of, pump

SIZE = (120, 40)


def with_node(home: Path, node: FakeNode, lang: str = "en") -> RelianceApp:
    return create_app(home, node_factory=lambda ws: node, lang=lang)


def titles(app: RelianceApp) -> list[str]:
    table = app.screen.query_one("#items", VirtualTable)
    return [row.item.title for row in table.rows]


async def test_welcome_creates_an_identity(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    app = create_app(home, node_factory=no_node_factory, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click("#lang-fr")
        await pilot.pause()
        assert app.lang == "fr"
        assert "Bienvenue" in str(app.screen.query_one("#welcome-title").render())
        app.screen.query_one("#name").focus()
        await pilot.press(*"Alex", "enter", "enter", "enter")
        phrase = await until_screen(app, pilot, PhraseScreen)
        await pilot.click("#phrase-written")
        await pilot.pause()
        await pilot.press(
            *phrase.words[phrase.positions[0]], "enter", *phrase.words[phrase.positions[1]], "enter"
        )
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.workspace.identity.name == "Alex"
    assert has_identity(home)
    assert settings.load_config(home)["lang"] == "fr"


async def test_welcome_refuses_mismatched_passphrases(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"Alex", "enter", *"secret", "enter", *"other", "enter")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert not has_identity(home)


async def test_unlock_a_protected_key(tmp_path: Path) -> None:
    home = tmp_path / "locked"
    Workspace.create(home, "Lou", b"correct horse")
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*"wrong", "enter")
        async with asyncio.timeout(30):  # the attempt ends with an error shown (only a hung test waits long)
            while not any(n.severity == "error" for n in app._notifications):
                await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, UnlockScreen)
        app.screen.query_one("#passphrase").value = ""  # type: ignore[attr-defined]
        await pilot.press(*"correct horse", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_home_shows_me_network_and_feed(home: Path, node: FakeNode) -> None:
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        me = str(screen.query_one("#me-text").render())
        assert "Camille" in me and app.workspace.identity.fingerprint in me
        network = str(screen.query_one("#net-text").render())
        assert "192.168.1.20:7447" in network and "1" in network
        feed = [str(entry.params) for entry in app.data.feed]
        assert any("Je pétris avec toi samedi." in entry for entry in feed)  # answers to my offer
        assert node.started
        assert app.first_frame_at is not None


async def test_create_an_item_and_see_it_listed(home: Path, node: FakeNode) -> None:
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        assert isinstance(app.screen, CatalogueScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ItemForm)
        await pilot.press(*"Cours de pain")
        app.screen.query_one("#tags").value = "pain atelier"  # type: ignore[attr-defined]
        app.screen.query_one("#place").value = "Fournil"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CatalogueScreen)
        assert titles(app)[0] == "Cours de pain"
        assert app.workspace.peer_id in node.changed  # the node was told, peers get it live
    stored = Workspace.open(home).items(ItemFilter(text="cours de pain"))
    assert [i.title for i in stored] == ["Cours de pain"]
    assert stored[0].tags == ("pain", "atelier") and stored[0].kind == ItemKind.OFFER


async def test_edit_and_archive_my_item(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        screen = app.screen
        assert isinstance(screen, CatalogueScreen)
        screen.set_filter(CatalogueFilter(text="levain"))
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ItemForm)
        form.query_one("#title").value = "Pain au levain (jeudi)"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        screen.set_filter(CatalogueFilter(text="levain"))
        assert titles(app) == ["Pain au levain (jeudi)"]
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert titles(app) == []  # archived items are hidden by default
        screen.set_filter(CatalogueFilter(text="levain", status="all"))
        assert titles(app) == ["Pain au levain (jeudi)"]
    archived = Workspace.open(home).items(ItemFilter(text="levain"))
    assert archived[0].status == Status.ARCHIVED


async def test_filter_the_catalogue(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        assert len(titles(app)) == 9
        await pilot.press("slash", *"jardin")
        await pilot.pause()
        assert set(titles(app)) == {
            "Graines de tomates anciennes",
            "Faire son compost en ville",
            "Visite du jardin partagé",
            "Appel : cartographier les jardins du quartier",
            "Concert sous le tilleul",  # its place is the garden
        }
        await pilot.press(*" compost")
        await pilot.pause()
        assert titles(app) == ["Faire son compost en ville"]
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert len(titles(app)) == 9
        screen = app.screen
        assert isinstance(screen, CatalogueScreen)
        screen.set_filter(CatalogueFilter(kind="event"))
        assert set(titles(app)) == {
            "Atelier réparation de vélos",
            "Concert sous le tilleul",
            "Visite du jardin partagé",
        }
        screen.set_filter(CatalogueFilter(author=peer_id_of("dominique")))
        assert len(titles(app)) == 3
        screen.set_filter(CatalogueFilter(tag="pain"))
        assert set(titles(app)) == {"Pain au levain du fournil", "Bras pour pétrir le samedi"}
        await pilot.press("m")
        await pilot.pause()
        assert screen.filter.author == app.workspace.peer_id


async def test_answer_someone_and_see_answers_to_mine(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        screen = app.screen
        assert isinstance(screen, CatalogueScreen)
        screen.set_filter(CatalogueFilter(text="outils"))
        await pilot.press("h")
        await pilot.pause()
        await pilot.press(*"Je rends tout dimanche", "ctrl+s")
        await settle(app, pilot)
        details = str(screen.query_one("#details-text").render())
        assert "Je rends tout dimanche" in details
        screen.set_filter(CatalogueFilter(text="levain"))
        details = str(screen.query_one("#details-text").render())
        assert "Je peux passer jeudi ?" in details and "Je pétris avec toi samedi." in details
    answers = Workspace.open(home).answers_to_me()
    assert len(answers) == 2


async def test_edit_a_section_and_see_it_in_the_history(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "2")
        screen = app.screen
        assert isinstance(screen, CodeScreen)
        screen.query_one("#section-list").highlighted = screen.query_one("#section-list").get_option_index(
            "mediation"
        )  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SectionEditor)
        await pilot.press(*"Un cercle de trois personnes tirées au sort.")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Un cercle de trois" in str(screen.query_one("#section-text").render())
        await pilot.press("h")
        await settle(app, pilot)
        history = screen.query_one("#history-table", VirtualTable)
        newest = history.rows[0][1]
        assert newest.section == "mediation" and newest.by == app.workspace.peer_id
        await settle(app, pilot)
        assert "+ Un cercle de trois" in str(screen.query_one("#diff").render()).replace("+Un", "+ Un")
        # compare with Dominique's code, section by section
        screen.other = peer_id_of("dominique")
        screen.load()
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        compare = shown_text(screen.query_one("#compare-text"))
        assert "≠ History" in compare and "Menuisier" in compare and "Boulangère" in compare
    assert Workspace.open(home).code()["mediation"] == "Un cercle de trois personnes tirées au sort."


async def test_peer_code_and_follow(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_code(peer_id_of("sacha"))
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CodeScreen) and screen.doc_id == peer_id_of("sacha")
        assert "agronomie" in str(screen.query_one("#section-text").render())
        assert screen.check_action("edit", ()) is False
        await pilot.press("f")
        await settle(app, pilot)
        assert peer_id_of("sacha") in app.data.follows
    assert peer_id_of("sacha") in json.loads((home / "ui.json").read_text())["follow"]


async def test_accept_and_block_a_peer(home: Path, node: FakeNode) -> None:
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "6")
        screen = app.screen
        assert isinstance(screen, PeersScreen)
        table = screen.query_one("#peers-table", VirtualTable)
        assert table.rows[0].state == PeerState.PENDING  # pending first: they wait for you
        await pilot.press("a")
        await settle(app, pilot)
        assert node.accepted == [peer_id_of("stranger")]
        rows: list[PeerRow] = list(table.rows)
        table.cursor = next(i for i, r in enumerate(rows) if r.peer_id == peer_id_of("sacha"))
        await pilot.press("b")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert node.blocked == [peer_id_of("sacha")]
        assert peer_id_of("sacha") in {e["peer_id"] for e in settings.blocks(home)}
        blocked = next(r for r in table.rows if r.peer_id == peer_id_of("sacha"))
        assert blocked.state == PeerState.BLOCKED
        table.cursor = list(table.rows).index(blocked)
        await pilot.press("u")
        await settle(app, pilot)
        assert node.unblocked == [peer_id_of("sacha")]
        assert settings.blocks(home) == []
        await pilot.press("d")
        await settle(app, pilot)
        assert t("doctor.no_peers", app.lang) in str(screen.query_one("#doctor-text").render())
        await fill_dialog(app, pilot, "n", "10.0.0.7:7447")
        assert node.addresses == [("10.0.0.7", 7447)]


async def test_offline_a_typed_address_waits_for_the_node(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "6")
        await fill_dialog(app, pilot, "n", "10.0.0.7:7447")
    assert read_peers_file(home)["typed"] == ["10.0.0.7:7447"]  # as `reliance peer add` writes it


async def test_a_typed_address_reads_as_peer_add_reads_it(home: Path, node: FakeNode) -> None:
    """A bare host gets the default port and an IPv6 address goes in brackets, as with `reliance peer add`."""
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "6")
        for typed in ("10.0.0.8", "[fd00::7]:7450"):
            await pilot.press("n")
            await pilot.pause()
            await pilot.press(*typed, "enter")
            await settle(app, pilot)
        assert node.addresses == [("10.0.0.8", 7447), ("fd00::7", 7450)]
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"10.0.0.9:99999", "enter")
        await pilot.pause()
        assert isinstance(app.screen, AddressDialog)  # the dialog says what is wrong and stays open
        assert any("10.0.0.9:99999" in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(app, pilot)
    assert node.addresses == [("10.0.0.8", 7447), ("fd00::7", 7450)]


async def test_second_node_new_offer_appears_while_open(home: Path, world: World, tmp_path: Path) -> None:
    """Dominique publishes on his machine; the sync protocol brings it in; the open app shows it."""
    shutil.copytree(world.root / "dominique", tmp_path / "dominique", ignore=shutil.ignore_patterns("lock"))
    dominique = Workspace.open(tmp_path / "dominique")
    node = FakeNode([])
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        offer = dominique.add_item(item(ItemKind.OFFER, "Vélo cargo à prêter", tags=("vélo",)))
        pump(dominique.repo, app.workspace.repo)  # what the node does with a connected peer
        node.emit(NodeEvent(SYNCED, "1 change", peer_id=dominique.peer_id, doc_id=dominique.peer_id, count=1))
        await settle(app, pilot)
        assert titles(app)[0] == "Vélo cargo à prêter"
        entry = app.data.feed[0]
        assert entry.kind == "item_new" and entry.item_id == offer.id


async def test_another_process_writing_is_noticed(home: Path) -> None:
    """Offline, the CLI writes into the same home: the app polls the files and shows it."""
    app = create_app(home, node_factory=no_node_factory, lang="en", poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        Workspace.open(home).add_item(item(ItemKind.NEED, "Une échelle", tags=("outils",)))
        async with asyncio.timeout(30):  # only stops a hung test
            while "Une échelle" not in {r.item.title for r in app.data.rows}:
                await pilot.pause(0.05)


async def test_programme_by_day_and_place(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "4")
        screen = app.screen
        events = screen.query_one("#events", VirtualTable)
        assert [r.item.title for r in events.rows] == [
            "Atelier réparation de vélos",
            "Concert sous le tilleul",
        ]
        await pilot.press("right")
        await pilot.pause()
        assert [r.item.title for r in events.rows] == ["Visite du jardin partagé"]
        await pilot.press("enter")
        await pilot.pause()
        assert "Visite du jardin partagé" in str(app.screen.query_one("#details-text").render())


async def test_project_ledger_members_and_contribution(home: Path, world: World) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "5")
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        assert screen.project_id == world.project_id
        ledger = screen.query_one("#ledger-table", VirtualTable)
        assert len(ledger.rows) == 5
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"90")
        app.screen.query_one("#note").value = "Vaisselle"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert len(ledger.rows) == 6 and ledger.rows[0].note == "Vaisselle"
        await pilot.press("b")
        await settle(app, pilot)
        balances = shown_text(screen.query_one("#balances-text"))
        assert "330 min" in balances  # Camille's 240 min and the 90 just recorded
        assert screen.preview is not None and screen.preview.pool == 12000 - 0  # net revenue in EUR
        await pilot.press("g")
        members = screen.query_one("#members-table", VirtualTable)
        assert {m.peer_id for m in members.rows} == {app.workspace.peer_id, peer_id_of("dominique")}
        await pilot.press("m")
        await pilot.pause()
        app.screen.query_one("#peer").value = peer_id_of("sacha")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert peer_id_of("sacha") in {m.peer_id for m in members.rows}
    entries = projects.ledger(Workspace.open(home), world.project_id)
    assert entries[-1]["amount"] == 90 and entries[-1]["note"] == "Vaisselle"


async def test_reverse_acknowledge_and_remove_the_highlighted_rows(home: Path, world: World) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "5")
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        newest = screen.query_one("#ledger-table", VirtualTable).rows[0]
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        ledger = app.data.projects[world.project_id].ledger
        assert newest.id in economy.effective_reversals(ledger.entries)
        table = screen.query_one("#ledger-table", VirtualTable)
        table.cursor = [entry.id for entry in table.rows].index(newest.id)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("enter")  # at 100 %
        await settle(app, pilot)
        acknowledged = app.data.projects[world.project_id].ledger.acknowledgements
        assert [(a.entry_id, a.factor_pct) for a in acknowledged] == [(newest.id, 100)]
        await pilot.press("g")
        members = screen.query_one("#members-table", VirtualTable)
        members.cursor = next(i for i, m in enumerate(members.rows) if m.peer_id == peer_id_of("dominique"))
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert peer_id_of("dominique") not in app.data.projects[world.project_id].members


async def test_create_a_project(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "5")
        await fill_dialog(app, pilot, "n", "Jardin des voisins")
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        assert app.data.projects[screen.project_id].name == "Jardin des voisins"


async def test_settings_language_and_theme(home: Path) -> None:
    app = offline(home, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "7")
        await pilot.click("#lang-fr")
        await settle(app, pilot)
        assert app.lang == "fr"
        assert "Réglages" in str(app.screen.query_one("#nav-settings").render())
        await pilot.click("#theme-light")
        await settle(app, pilot)
        assert app.theme == "textual-light"
        await go_to(app, pilot, "1")
        assert "Moi" in str(app.screen.query_one("#me-panel").border_title)
    config = settings.load_config(home)
    assert config["lang"] == "fr" and config["theme"] == "light"


async def test_rename_in_settings_reaches_the_profile(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "7")
        app.screen.query_one("#name", Input).value = "Camille B."
        await pilot.click("#rename")
        await settle(app, pilot)
        assert app.workspace.identity.name == "Camille B."
        me = app.workspace.peer_id
    result = run_cli(home, "whoami", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["name"] == "Camille B."
    assert Workspace.open(home).participant_name(me) == "Camille B."


async def test_quit_stops_the_node_and_saves_the_cache(home: Path, node: FakeNode) -> None:
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert node.stopped
    cached = load_cache(home)
    assert sum(len(v.items) for v in cached.values()) >= 7  # the peers' items (my own document is reread)


async def test_a_node_that_fails_to_start_leaves_the_app_offline(home: Path) -> None:
    class Broken(FakeNode):
        async def start(self) -> None:
            raise OSError("address already in use")

    app = with_node(home, Broken())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.node is None
        assert any(entry.kind == "error" for entry in app.data.feed)
        await pilot.press("3")  # still usable
        await settle(app, pilot)
        assert len(titles(app)) == 9


async def test_errors_are_notifications_not_crashes(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "5")
        await pilot.press("m")
        await pilot.pause()
        app.screen.query_one("#peer").value = "rl-not-a-peer"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app._notifications  # the dialog says what is wrong and stays open
        await pilot.press("escape")
        app.perform(app.io(projects.add_member, app.workspace, "pj" + "0" * 32, peer_id_of("sacha")))
        await settle(app, pilot)
        assert any("no project" in n.message for n in app._notifications)
        assert app.is_running


async def test_command_palette_offers_every_screen_action(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        titles_ = [c.title for c in app.get_system_commands(app.screen)]
        for expected in ("Go to: Catalogue", "New", "Search", "Mine", "Toggle light / dark theme", "Quit"):
            assert expected in titles_
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to: Projects", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ProjectsScreen)


@pytest.mark.parametrize("size", [(80, 24), (60, 24)])
async def test_every_screen_usable_on_small_terminals(
    home: Path, node: FakeNode, size: tuple[int, int]
) -> None:
    app = with_node(home, node, lang="fr")
    main = {
        "1": "#feed",
        "2": "#section-list",
        "3": "#items",
        "4": "#events",
        "5": "#ledger-table",
        "6": "#peers-table",
        "7": "#name",
    }
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for key, selector in main.items():
            await pilot.press(key)
            await settle(app, pilot)
            widget = app.screen.query_one(selector)
            region = widget.region
            assert region.width >= 20 and region.height >= 1, (key, region)
            assert region.right <= size[0] and region.y < size[1] - 1, (key, region)
            footer = app.screen.query_one("Footer")
            assert footer.region.y == size[1] - 1


async def test_items_are_refreshed_per_document(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = {r.item.id: r for r in app.data.rows}
        await app.operate(
            app.workspace.peer_id, "code.set", {"section": "enjeux", "text": "Nourrir le quartier."}
        )
        await settle(app, pilot)
        after = {r.item.id: r for r in app.data.rows}
        others = [i for i, r in before.items() if r.item.author != app.workspace.peer_id]
        assert all(after[i] is before[i] for i in others)  # other documents were not read again


def test_row_filter_matches_like_the_cli(world: World) -> None:
    app_rows = [make_row(i, "x") for i in world.camille.items()]
    for text in ("jardin", "pain levain", "zzz"):
        mine = [r.item.id for r in CatalogueFilter(status="all", text=text).apply(app_rows)]
        cli = [i.id for i in world.camille.items(ItemFilter(text=text))]
        assert mine == cli


async def open_balances(app: RelianceApp, pilot: Pilot[None]) -> ProjectsScreen:
    """The Projects screen, on its Balances tab."""
    await settle(app, pilot)
    await go_to(app, pilot, "5")
    await pilot.press("b")
    await settle(app, pilot)
    assert isinstance(app.screen, ProjectsScreen)
    return app.screen


async def test_record_and_verify_a_distribution_and_set_a_limit(home: Path, world: World) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_balances(app, pilot)
        assert screen.preview is not None
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert screen.extras is not None
        [(_id, _at, _by, pool, unit, issues)] = screen.extras.distributions
        assert (pool, unit, issues) == (12000, "EUR", [])  # recomputed identically
        await pilot.press("L")
        await pilot.pause()
        await pilot.press(*"-50", "ctrl+s")
        await settle(app, pilot)
        assert app.data.projects[world.project_id].ledger.limits[0].floor == -5000


async def test_a_malformed_credit_limit_is_listed_not_fatal(home: Path, world: World) -> None:
    """A limit key no app would write (a steward's own software can sign one): the project still opens."""
    ws = Workspace.open(home)
    doc = projects.open_project(ws, world.project_id)
    doc.local_change(ws.identity.sign, lambda w: pdoc.set_limit(w, ws.peer_id, "EUR cents", -100))
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_balances(app, pilot)
        assert screen.project_id == world.project_id
        view = app.data.projects[world.project_id].ledger
        assert view.limits == [] and len(view.entries) == 5
        [issue] = view.issues
        assert issue.describe("en").startswith(f"credit limit '{ws.peer_id} EUR cents' ignored: ")
        assert "cannot contain spaces" in shown_text(screen.query_one("#balances-text"))


async def test_a_draft_made_in_the_app_is_listed_but_stays_off_the_document(
    home: Path, node: FakeNode
) -> None:
    app = with_node(home, node)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "3")
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ItemForm)
        await pilot.press(*"Four à bois mobile")
        form.query_one("#status", Select).value = "draft"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CatalogueScreen)
        screen.set_filter(CatalogueFilter(text="mobile", status="all"))
        assert titles(app) == ["Four à bois mobile"]
    ws = Workspace.open(home)
    assert "Four à bois".encode() not in stored_text(ws)
    [draft] = ws.items(ItemFilter(text="mobile"))
    assert draft.status is Status.DRAFT and ws.is_draft(draft.id)


async def test_a_steward_sees_and_changes_who_receives_a_project(home: Path, world: World) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "5")
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        screen.select_project(world.project_id)
        await settle(app, pilot)
        assert "members only" in shown_text(screen.query_one("#project-head"))
        await pilot.press("v")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, VisibilityDialog)
        dialog.query_one("#visibility", Select).value = "public"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.data.projects[world.project_id].visibility == "public"
        assert "public" in shown_text(screen.query_one("#project-head"))
    assert projects.summary(Workspace.open(home), world.project_id).visibility == "public"


async def test_a_new_project_is_for_its_members_unless_chosen_public(home: Path) -> None:
    app = offline(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await go_to(app, pilot, "5")
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ProjectDialog)
        assert dialog.query_one("#visibility", Select).value == "members"
        await pilot.press(*"Jardin ouvert")
        dialog.query_one("#visibility", Select).value = "public"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        assert app.data.projects[screen.project_id].visibility == "public"
