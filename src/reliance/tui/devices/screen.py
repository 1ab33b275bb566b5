"""Settings → Devices: this person's devices (this one, revoked), rename, revoke after a confirmation, invite
a new one (its code and a QR code, waiting for it), and join an identity with a code (from a new home: the
welcome screen offers it).

The dialogs post what happened upwards (`DevicesChanged`, `Joined`); the screen below and the app decide
what to refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from reliance.i18n import t
from reliance.tui.common.dialogs import ConfirmDialog, PromptDialog
from reliance.tui.common.widgets import AppFooter, QrCode, localize_bindings, plain

if TYPE_CHECKING:
    from reliance.app.devices import DeviceRow
    from reliance.app.workspace import Workspace
    from reliance.net.pairing.protocol import DeviceRequest, Failed, Linked, Reason
    from reliance.net.pairing.transport import InvitationServer
    from reliance.tui.app import RelianceApp

# Where an invitation listens: every interface, so that a device on the LAN reaches it (tests: loopback).
LISTEN_HOST = "0.0.0.0"


class DevicesChanged(Message):
    """A device was linked, renamed or revoked: what lists devices reads them again."""


class Joined(Message):
    """This home joined an identity: the app opens it."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace


class _Modal(ModalScreen[None]):
    @property
    def rapp(self) -> RelianceApp:
        return cast("RelianceApp", self.app)

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.rapp.lang, **params)

    def on_mount(self) -> None:
        localize_bindings(self, self.rapp.lang)
        self.refresh_bindings()


def _state(row: DeviceRow, lang: str) -> str:
    if row.revoked:
        return t("link.tui.revoked", lang)
    if row.this_one:
        return t("link.tui.this_one", lang)
    return t("link.tui.active", lang)


class DevicesDialog(_Modal):
    """The list of devices and what can be done with them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "key.close"),
        Binding("i", "invite", "link.tui.invite"),
        Binding("r", "rename", "link.tui.rename"),
        Binding("x", "revoke", "link.tui.revoke"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DeviceRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="devices-dialog"):
            yield Label(self.t("link.tui.title"), classes="dialog-title")
            yield Static(self.t("link.tui.intro"), classes="hint")
            table: DataTable[Text | str] = DataTable(id="devices", cursor_type="row", zebra_stripes=True)
            yield table
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("link.tui.invite"), variant="primary", id="invite")
                yield Button(self.t("link.tui.rename"), id="rename")
                yield Button(self.t("link.tui.revoke"), variant="error", id="revoke")
                yield Button(self.t("link.tui.close"), id="close")
        yield AppFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#devices", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.rapp.perform(self._load())

    async def _load(self) -> None:
        from reliance.app.devices import device_rows

        self.rows = await self.rapp.io(device_rows, self.rapp.workspace)
        self.show_rows()

    def show_rows(self) -> None:
        import time

        table = self.query_one("#devices", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        widths = {"name": 28, "fingerprint": 14, "created": 12, "state": 16}
        for key, width in widths.items():
            table.add_column(self.t(f"link.tui.col.{key}"), key=key, width=width)
        if not self.rows:
            table.add_row(plain(self.t("link.tui.none")), "", "", "")
        for row in self.rows:
            created = time.strftime("%Y-%m-%d", time.gmtime(row.created)) if row.created else "—"
            style = "dim strike" if row.revoked else ("bold" if row.this_one else "")
            table.add_row(
                plain(row.name, style),
                "".join(row.fingerprint.split())[:12],
                created,
                _state(row, self.rapp.lang),
                key=row.device_id,
            )
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))

    def selected(self) -> DeviceRow | None:
        table = self.query_one("#devices", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "invite": self.action_invite,
            "rename": self.action_rename,
            "revoke": self.action_revoke,
            "close": self.action_close,
        }
        if event.button.id in actions:
            actions[event.button.id]()

    def on_devices_changed(self, _: DevicesChanged) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_invite(self) -> None:
        self.app.push_screen(InviteDialog(self))

    def action_rename(self) -> None:
        row = self.selected()
        if row is None:
            return

        def renamed(name: str | None) -> None:
            if name:
                self.rapp.perform(self._rename(row, name))

        title = self.t("link.tui.rename")
        self.app.push_screen(
            PromptDialog(title, self.t("link.tui.rename_prompt", name=row.name), value=row.name), renamed
        )

    async def _rename(self, row: DeviceRow, name: str) -> None:
        ws = self.rapp.workspace
        await self.rapp.operate(ws.peer_id, "device.rename", {"device": row.device_id, "name": name})
        self.notify(self.t("link.tui.renamed", old=row.name, new=name))
        self.post_message(DevicesChanged())

    def action_revoke(self) -> None:
        row = self.selected()
        if row is None or row.revoked:
            return
        if row.this_one:
            self.notify(self.t("link.tui.cannot_revoke_self"), severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.rapp.perform(self._revoke(row))

        self.app.push_screen(ConfirmDialog(self.t("link.tui.revoke_confirm", name=row.name)), confirmed)

    async def _revoke(self, row: DeviceRow) -> None:
        ws = self.rapp.workspace
        await self.rapp.operate(ws.peer_id, "device.revoke", {"device": row.device_id})
        self.notify(self.t("link.tui.revoked_done", name=row.name))
        self.post_message(DevicesChanged())


class InviteDialog(_Modal):
    """An open invitation: its code in large, as a QR code, where it listens; waits for the new device.
    Closing it ends the invitation."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "key.close")]

    def __init__(self, devices: DevicesDialog) -> None:
        super().__init__()
        self.devices = devices
        self.server: InvitationServer | None = None
        self.code = ""

    def compose(self) -> ComposeResult:
        from reliance.net.pairing.codes import new_code

        self.code = str(new_code())
        with Vertical(classes="dialog", id="invite-dialog"):
            yield Label(self.t("link.tui.invite"), classes="dialog-title")
            yield Static(self.t("link.tui.invite_waiting"), classes="hint")
            yield Static(Text(self.code, style="bold", justify="center"), id="invite-code")
            yield QrCode(self.code, id="invite-qr")
            yield Static("", id="invite-addresses", classes="hint")
            yield Static("", id="invite-state")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("link.tui.close"), id="close")
        yield AppFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.rapp.perform(self._serve())

    async def _serve(self) -> None:
        from reliance.app import linking, settings
        from reliance.net.pairing.codes import parse_code
        from reliance.net.pairing.protocol import Invitation
        from reliance.net.pairing.transport import InvitationServer

        ws = self.rapp.workspace
        limits = ws.repo.limits

        async def make_grant(request: DeviceRequest) -> bytes:
            args = {"name": request.name, "key": request.public_key.hex()}
            made = await self.rapp.operate(ws.peer_id, "device.grant", args)
            # The grant may be larger than a response: the owner left it in a private file of the home.
            return await self.rapp.io(linking.take_grant_file, self.rapp.home, str(made["grant_file"]))

        mdns = bool(settings.load_config(self.rapp.home).get("mdns", True))
        invitation = Invitation(parse_code(self.code), limits=limits)

        def told_late(reason: Reason) -> None:
            self.notify(self.t(f"link.invite.late.{reason.value}"), severity="warning")

        self.server = InvitationServer(invitation, make_grant, host=LISTEN_HOST, mdns=mdns, on_late=told_late)
        try:
            addresses = await self.server.start()
            self.query_one("#invite-addresses", Static).update(
                plain(t("link.invite.addresses", self.rapp.lang, addresses=", ".join(addresses)))
            )
            minutes = max(1, limits.link_invitation_seconds // 60)
            self.query_one("#invite-state", Static).update(self.t("link.tui.invite_expires", minutes=minutes))
            outcome = await self.server.wait()
            self._show_outcome(outcome)
            if not isinstance(outcome, Linked):
                # While the screen stays open, a joiner who comes late is told why (and it shows here).
                while self.is_attached and self.server.listening:
                    await self.server.linger(limits.link_late_answer_seconds)
        finally:
            await self.server.close()

    def _show_outcome(self, outcome: Linked | Failed) -> None:
        from reliance.net.pairing.protocol import Linked

        state = self.query_one("#invite-state", Static)
        if isinstance(outcome, Linked):
            text = self.t("link.invite.linked", name=outcome.name)
            state.update(plain(text))
            self.notify(text)
            self.devices.post_message(DevicesChanged())
        else:
            reason = outcome.reason.value
            key = (
                f"link.why.{reason}.inviter" if reason in ("wrong-code", "expired") else f"link.why.{reason}"
            )
            state.update(plain(self.t(key)))
            state.add_class("error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        if self.server is not None:
            self.rapp.perform(self.server.close())
        self.dismiss(None)


class JoinDialog(_Modal):
    """Join an identity from this new home: the code the other device shows, this device's name, and
    (when the network does not find it) the inviter's address. Posts `Joined` to the app."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "key.close")]

    def __init__(self, passphrase: bytes | None = None) -> None:
        super().__init__()
        self.passphrase = passphrase
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="join-dialog"):
            yield Label(self.t("link.tui.join"), classes="dialog-title")
            yield Label(self.t("link.tui.join_prompt"), classes="field-label")
            yield Input(id="join-code", placeholder="7-guitar-ocean", compact=True)
            yield Label(self.t("link.tui.join_name"), classes="field-label")
            yield Input(id="join-name", compact=True)
            yield Label(self.t("link.tui.join_address"), classes="field-label")
            yield Input(id="join-address", compact=True)
            yield Static("", id="join-state")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("link.tui.join"), variant="primary", id="join")
                yield Button(self.t("link.tui.cancel"), id="close")
        yield AppFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#join-code", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "join-address":
            self.action_join()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "join":
            self.action_join()
        else:
            self.action_close()

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(None)

    def say(self, text: str, *, error: bool = False) -> None:
        state = self.query_one("#join-state", Static)
        state.update(plain(text, multiline=True))
        state.set_class(error, "error")

    def action_join(self) -> None:
        if self.running:
            return
        from reliance.net.pairing.codes import CodeError, parse_code
        from reliance.net.pairing.transport import parse_address

        try:
            code = parse_code(self.query_one("#join-code", Input).value)
        except CodeError as exc:
            self.say(self.t(exc.reason), error=True)
            return
        name = self.query_one("#join-name", Input).value.strip()
        limit = self.rapp_limits().link_device_name_chars
        if not 1 <= len(name) <= limit or any(not ch.isprintable() for ch in name):
            self.say(self.t("link.join.bad_name", most=limit), error=True)
            return
        address_text = self.query_one("#join-address", Input).value.strip()
        addresses: list[tuple[str, int]] = []
        if address_text:
            try:
                addresses = [parse_address(address_text)]
            except ValueError:
                self.say(self.t("link.join.bad_address", address=address_text), error=True)
                return
        self.running = True
        self.say(self.t("link.tui.join_running"))
        self.rapp.perform(self._join(code, name, addresses))

    def rapp_limits(self) -> Any:
        from reliance.app import settings

        return settings.load_limits(self.rapp.home)

    async def _join(self, code: Any, name: str, addresses: list[tuple[str, int]]) -> None:
        from reliance.app import linking
        from reliance.errors import RelianceError
        from reliance.net.pairing.transport import LinkFailed, find_inviter, join

        home, passphrase, limits = self.rapp.home, self.passphrase, self.rapp_limits()
        joined: list[Workspace] = []
        try:
            if not await self.rapp.io(linking.can_join, home):
                self.say(self.t("link.tui.join_needs_new_home"), error=True)
                return
            if not addresses:
                self.say(self.t("link.join.searching", number=code.number))
                found = await find_inviter(code.number)
                if len(found) != 1:
                    key = "link.join.not_found" if not found else "link.join.several"
                    self.say(self.t(key, number=code.number), error=True)
                    return
                addresses = found[0]
            public_key = await self.rapp.io(linking.start_join, home, passphrase)

            async def take(grant: bytes) -> None:
                joined.append(await self.rapp.io(linking.take_grant, home, grant, name, passphrase))

            await join(code, name, public_key, addresses, take, limits=limits)
        except LinkFailed as exc:
            self.say(self.t(f"link.why.{exc.reason.value}"), error=True)
            return
        except (TimeoutError, RelianceError, OSError) as exc:
            self.say(self.t("link.join.grant_refused", reason=str(exc)), error=True)
            return
        finally:
            self.running = False
        self.dismiss(None)
        self.app.post_message(Joined(joined[0]))
