"""Settings → Devices in the app: the list (this one, revoked), invite with a code and a QR code while a real
joiner links over loopback, rename, revoke after a confirmation; and joining an identity from the welcome
screen of a new home. In French and in English."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from reliance.app import linking, settings
from reliance.app.devices import device_rows
from reliance.app.workspace import Workspace
from reliance.i18n import t
from reliance.net.pairing.codes import Code, parse_code
from reliance.net.pairing.protocol import DeviceRequest, Invitation
from reliance.net.pairing.transport import InvitationServer, join, parse_address
from reliance.tui import devices as _devices_package  # noqa: F401  (the package exists)
from reliance.tui.app import RelianceApp, create_app
from reliance.tui.devices import screen as devices_screen
from reliance.tui.devices.screen import DevicesDialog, InviteDialog, JoinDialog
from reliance.tui.home.screen import HomeScreen
from reliance.tui.node import no_node_factory
from reliance.tui.welcome.screen import WelcomeScreen
from tests.tui.conftest import go_to, settle, shown_text
from tests.tui.conftest import offline as offline_app

SIZE = (120, 40)
CODE = re.compile(r"[0-9]{1,2}-[a-z]+-[a-z]+")


@pytest.fixture(autouse=True)
def loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Invitations listen on loopback in tests."""
    monkeypatch.setattr(devices_screen, "LISTEN_HOST", "127.0.0.1")


def offline(home: Path, lang: str) -> RelianceApp:
    settings.set_config(home, "mdns", "off")
    return offline_app(home, lang)


async def open_devices(app: RelianceApp, pilot: Pilot[None]) -> DevicesDialog:
    await go_to(app, pilot, "7")
    await pilot.click("#devices")
    await settle(app, pilot)
    assert isinstance(app.screen, DevicesDialog)
    return app.screen


def table_text(dialog: DevicesDialog) -> str:
    return shown_text(dialog.query_one("#devices", DataTable))


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Wait for a positive cue. Not `settle`: an open invitation is a worker that runs until it ends."""
    for _ in range(1000):
        await pilot.pause(0.02)
        if condition():
            return
    said = [note.message for note in pilot.app._notifications]
    raise AssertionError(f"never: {what} (the app said: {said})")


@pytest.mark.parametrize(
    ("lang", "title", "this_one"), [("fr", "Appareils", "cet appareil"), ("en", "Devices", "this one")]
)
async def test_the_device_list_shows_this_one(home: Path, lang: str, title: str, this_one: str) -> None:
    app = offline(home, lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        dialog = await open_devices(app, pilot)
        assert title in str(dialog.query_one(".dialog-title").render())
        await until(pilot, lambda: this_one in table_text(dialog), "the list")
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, DevicesDialog)


@pytest.mark.parametrize(("lang", "linked"), [("fr", "lié"), ("en", "linked")])
async def test_invite_shows_a_code_and_a_qr_and_a_real_joiner_links_then_rename_and_revoke(
    home: Path, tmp_path: Path, lang: str, linked: str
) -> None:
    app = offline(home, lang)
    phone = tmp_path / "phone"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        dialog = await open_devices(app, pilot)
        await pilot.click("#invite")
        await until(pilot, lambda: isinstance(app.screen, InviteDialog), "the invitation")
        invite = app.screen
        assert isinstance(invite, InviteDialog)
        assert CODE.fullmatch(invite.code)
        assert invite.query_one("#invite-qr").render()  # the QR code is drawn
        await until(pilot, lambda: "127.0.0.1:" in shown_text(invite.query_one("#invite-addresses")), "ad")
        [address] = re.findall(r"127\.0\.0\.1:\d+", shown_text(invite.query_one("#invite-addresses")))

        key = await asyncio.to_thread(linking.start_join, phone, None)
        taken: list[Workspace] = []

        async def take(grant: bytes) -> None:
            taken.append(await asyncio.to_thread(linking.take_grant, phone, grant, "phone", None))

        await join(parse_code(invite.code), "phone", key, [parse_address(address)], take)
        await until(pilot, lambda: linked in shown_text(invite.query_one("#invite-state")), "linked")
        assert taken and taken[0].peer_id == app.workspace.peer_id
        await pilot.click("#close")
        await until(pilot, lambda: "phone" in table_text(dialog), "the phone listed")

        # rename the phone
        table = dialog.query_one("#devices", DataTable)
        table.move_cursor(row=[r.name for r in dialog.rows].index("phone"))
        await pilot.click("#rename")
        await settle(app, pilot)
        prompt = app.screen.query_one("#prompt", Input)
        prompt.value = "old phone"
        await pilot.press("enter")
        await until(pilot, lambda: "old phone" in [row.name for row in dialog.rows], "renamed")
        assert "old phone" in table_text(dialog)

        # revoke it, after saying yes
        dialog.query_one("#devices", DataTable).move_cursor(
            row=[r.name for r in dialog.rows].index("old phone")
        )
        await pilot.click("#revoke")
        await settle(app, pilot)
        await pilot.press("y")
        revoked = "révoqué" if lang == "fr" else "revoked"
        await until(pilot, lambda: revoked in table_text(dialog), "revoked")
    rows = {row.name: row for row in device_rows(Workspace.open(home))}
    assert rows["old phone"].revoked


async def test_this_device_cannot_be_revoked_from_itself(home: Path) -> None:
    app = offline(home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        dialog = await open_devices(app, pilot)
        await until(pilot, lambda: bool(dialog.rows), "the list")
        assert dialog.rows[0].this_one  # the cursor is on this device
        await pilot.click("#revoke")
        refusal = t("link.tui.cannot_revoke_self", "en")
        await until(pilot, lambda: any(refusal in n.message for n in app._notifications), "the refusal")
        assert app.screen is dialog  # no confirmation asked
        assert not any(row.revoked for row in device_rows(Workspace.open(home)))


async def serve_invitation(inviter: Workspace, code: Code) -> tuple[InvitationServer, str]:
    async def grant(request: DeviceRequest) -> bytes:
        made = await asyncio.to_thread(linking.grant_bytes, inviter, request.name, request.public_key)
        return made.grant

    server = InvitationServer(Invitation(code), grant, host="127.0.0.1", mdns=False)
    [address] = await server.start()
    return server, address


async def fill_join(app: RelianceApp, pilot: Pilot[None], code: str, address: str) -> JoinDialog:
    await pilot.click("#join")
    await until(pilot, lambda: isinstance(app.screen, JoinDialog), "the join dialog")
    dialog = app.screen
    assert isinstance(dialog, JoinDialog)
    dialog.query_one("#join-code", Input).value = code
    dialog.query_one("#join-name", Input).value = "tablet"
    dialog.query_one("#join-address", Input).value = address
    await pilot.click("#join")
    return dialog


@pytest.mark.parametrize(("lang", "wrong"), [("fr", "mauvais code"), ("en", "wrong code")])
async def test_a_new_home_joins_from_the_welcome_screen_and_a_wrong_code_is_said(
    tmp_path: Path, lang: str, wrong: str
) -> None:
    inviter = Workspace.create(tmp_path / "laptop", "Alice")
    home = tmp_path / "tablet"
    app = create_app(home, node_factory=no_node_factory, lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)

        code = Code(7, ("guitar", "ocean"))
        server, address = await serve_invitation(inviter, code)
        try:
            dialog = await fill_join(app, pilot, "7-guitar-orange", address)
            await until(pilot, lambda: wrong in shown_text(dialog.query_one("#join-state", Static)), "wrong")
        finally:
            await server.close()
        await pilot.click("#close")
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen), "back to the welcome screen")

        server, address = await serve_invitation(inviter, code)
        try:
            await fill_join(app, pilot, "7 guitar ocean", address)
            await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
        finally:
            await server.close()
        assert app.workspace.peer_id == inviter.peer_id
        assert app.workspace.identity.name == "Alice"
