"""The app's Home shows the web face's QR code, pairs a phone and revokes it (its own node, real sockets)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.tui.app import create_app
from reliance.tui.common.dialogs import PairDialog, SessionsDialog
from reliance.tui.node import default_node_factory
from tests.net.cluster import free_port


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    for _ in range(150):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def open_pairing(url: str) -> int:
    base, _, token = url.rpartition("/pair/")
    request = urllib.request.Request(
        f"{base}/pair", data=urllib.parse.urlencode({"token": token}).encode(), headers={"Origin": base}
    )
    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as exc:
        return exc.code  # 303 to the person's page: paired
    return 200


async def test_home_shows_the_web_qr_and_pairs_and_revokes_a_phone(tmp_path: Path) -> None:
    home = tmp_path / "alice"
    Workspace.create(home, "Alice")
    web_port = free_port()
    settings.set_config(home, "port", str(free_port()))
    settings.set_config(home, "web_port", str(web_port))
    settings.set_config(home, "mdns", "off")
    app = create_app(home, node_factory=default_node_factory, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:

        def caption() -> str:
            found = app.screen.query("#qr-caption")
            return str(found.first(Static).render()) if found else ""

        await wait_for(pilot, lambda: f":{web_port}/" in caption(), "the web address on Home")
        assert "0.0.0.0" not in caption()

        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PairDialog), "the pairing dialog")
        dialog = app.screen
        assert isinstance(dialog, PairDialog) and "/pair/" in dialog.url
        local = "http://127.0.0.1:" + dialog.url.split(":")[2].split("/", 1)[0] + "/pair/"
        assert await asyncio.to_thread(open_pairing, local + dialog.url.rsplit("/", 1)[1]) == 303
        await pilot.press("escape")

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsDialog), "the sessions dialog")
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("enter")
        stored = home / "web-sessions.json"
        await wait_for(pilot, lambda: json.loads(stored.read_text()) == [], "the session revoked")
