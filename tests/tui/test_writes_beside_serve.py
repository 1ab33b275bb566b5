"""The app beside a real `reliance serve` writes through it: the serve runs the same local API operations
the CLI sends, so the app's process never writes the home's documents.

The serve's store poll is an hour long, so only the API explains what it announces; a watcher subscribed to
its events sees every write of the app as a `documents` event of origin `api` (a client's write), never
`disk` (a write it had to read back from the files).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from reliance.app import settings
from reliance.localapi.client import AsyncApiClient
from reliance.localapi.protocol import Event
from reliance.localapi.remote import RemoteNode
from reliance.tui.app import RelianceApp, create_app
from reliance.tui.catalogue.screen import CatalogueScreen
from reliance.tui.code.screen import CodeScreen
from reliance.tui.common.actions import answer_item
from reliance.tui.common.dialogs import AnswerDialog, EntryDialog, ItemForm, SectionEditor
from reliance.tui.projects.screen import ProjectsScreen
from tests.net.cluster import Cluster, free_port
from tests.tui.conftest import go_to, settle

pytestmark = pytest.mark.slow

SIZE = (120, 40)
PATIENCE = 60.0  # only stops a test that hangs
NO_POLL = {"RELIANCE_POLL_INTERVAL": "3600"}


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


def local_writes(events: list[Event]) -> list[dict[str, object]]:
    """The `documents` events a local write made (not a peer's changes arriving)."""
    return [e.data for e in events if e.kind == "documents" and e.data.get("origin") != "peer"]


async def save(app: RelianceApp, pilot: Pilot[None], events: list[Event], before: int) -> None:
    """Confirm the open form, and wait until the serve announced the write it made."""
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: len(local_writes(events)) > before, "the serve announced the write")
    await settle(app, pilot)


async def test_the_apps_writes_beside_serve_are_made_by_the_serve(tmp_path: Path) -> None:
    with Cluster(tmp_path, 2, mode="loopback") as cluster:
        alice, bob = cluster.nodes
        settings.set_config(alice.home, "port", str(free_port()))
        settings.set_config(alice.home, "mdns", "off")
        bob.cli("peer", "add", alice.address)
        alice.start(mdns=False, env=NO_POLL)
        bob.start(mdns=False, env=NO_POLL)
        alice.wait_listening()
        bob.wait_listening()
        cluster.wait(lambda: bob.peer_id in alice.connected(), PATIENCE, "bob connected")
        bob.add_offer("Bread knife")
        cluster.wait_titles({"Bread knife"}, [alice], timeout=PATIENCE)
        project_id = alice.cli("project", "create", "Garden").out.strip()

        events: list[Event] = []
        watcher = await AsyncApiClient.connect(alice.home, events.append, lambda: None)
        await watcher.call("subscribe")
        app = create_app(alice.home, lang="en")
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await wait_for(pilot, lambda: isinstance(app.node, RemoteNode) and app._node_started, "online")

            # An item, from the catalogue's form.
            await go_to(app, pilot, "3")
            assert isinstance(app.screen, CatalogueScreen)
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, ItemForm)
            await pilot.press(*"Sourdough starter")
            await save(app, pilot, events, 0)
            assert "Sourdough starter" in {r.item.title for r in app.data.rows}

            # An answer to bob's offer.
            [knife] = [r.item for r in app.data.rows if r.item.title == "Bread knife"]
            answer_item(app, knife, "interested")
            await pilot.pause()
            assert isinstance(app.screen, AnswerDialog)
            app.screen.query_one("#message", Input).value = "Tomorrow?"
            await save(app, pilot, events, 1)
            assert [a.message for a in app.data.mine(knife)] == ["Tomorrow?"]

            # A section of the project's social code.
            await go_to(app, pilot, "2")
            code = app.screen
            assert isinstance(code, CodeScreen)
            code.query_one("#whose", Select).value = project_id
            await settle(app, pilot)
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, SectionEditor)
            await pilot.press(*"We water on Sundays.")
            await save(app, pilot, events, 2)

            # A ledger entry of the project: refused by the serve first, in the app's words.
            await go_to(app, pilot, "5")
            projects = app.screen
            assert isinstance(projects, ProjectsScreen)
            await pilot.press("c")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, EntryDialog)
            form.query_one("#ckind", Select).value = "money"
            await pilot.pause()
            form.query_one("#unit", Input).value = "E U R"
            form.query_one("#amount", Input).value = "12"
            await pilot.press("ctrl+s")
            await wait_for(
                pilot, lambda: any(n.severity == "error" for n in app._notifications), "the refusal shown"
            )
            [refusal] = [n.message for n in app._notifications if n.severity == "error"]
            assert "the unit 'E U R' cannot contain spaces" in refusal
            await settle(app, pilot)
            await pilot.press("c")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, EntryDialog)
            form.query_one("#ckind", Select).value = "money"
            await pilot.pause()
            form.query_one("#amount", Input).value = "12.50"
            await save(app, pilot, events, 3)
            await app.action_quit()
        await watcher.close()

        # Each write was a client's, run and announced by the serve: none was read back from the files.
        assert local_writes(events) == [
            {"doc_ids": [alice.peer_id], "origin": "api"},
            {"doc_ids": [alice.peer_id], "origin": "api"},
            {"doc_ids": [project_id], "origin": "api"},
            {"doc_ids": [project_id], "origin": "api"},
        ]
        assert "changed on disk" not in alice.log()
        cluster.wait_titles({"Bread knife", "Sourdough starter"}, [bob], timeout=PATIENCE)
        code_text = json.loads(alice.cli("code", "show", "--project", project_id, "--json").out)
        assert "We water on Sundays." in json.dumps(code_text)
        ledger = json.loads(alice.cli("project", "ledger", project_id, "--json").out)
        assert [(e["amount"], e["unit"]) for e in ledger] == [(1250, "EUR")]
