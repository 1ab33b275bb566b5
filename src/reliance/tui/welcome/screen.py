"""First run (create an identity), unlock (a passphrase-protected key), and the blank boot screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from reliance.i18n import LANGS, t
from reliance.tui.common.widgets import AppFooter, localize_bindings

if TYPE_CHECKING:
    from reliance.tui.app import RelianceApp


class BootScreen(Screen[None]):
    """Shown for the instant between start and the first real screen."""

    def compose(self) -> ComposeResult:
        yield Static("reliance", id="boot")


class _FormScreen(Screen[None]):
    @property
    def rapp(self) -> RelianceApp:
        return cast("RelianceApp", self.app)

    def on_mount(self) -> None:
        localize_bindings(self, self.rapp.lang)
        self.refresh_bindings()


class WelcomeScreen(_FormScreen):
    """Name, optional passphrase, language: everything needed to start."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "create", "key.create")]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False

    def compose(self) -> ComposeResult:
        lang = self.rapp.lang
        with VerticalScroll(id="welcome-scroll"), Center(), Vertical(id="welcome-box"):
            yield Static(t("welcome.title", lang), id="welcome-title")
            yield Static(t("welcome.intro", lang), id="welcome-intro")
            yield Label(t("welcome.name", lang), classes="field-label")
            yield Input(id="name", placeholder=t("welcome.name_hint", lang), max_length=80)
            yield Label(t("welcome.passphrase", lang), classes="field-label")
            yield Input(id="passphrase", password=True, placeholder=t("welcome.passphrase_hint", lang))
            yield Input(id="passphrase2", password=True, placeholder=t("welcome.passphrase_again", lang))
            yield Label(t("welcome.language", lang), classes="field-label")
            with RadioSet(id="lang"):
                for choice in LANGS:
                    yield RadioButton(
                        t(f"lang_name.{choice}", choice), value=choice == lang, id=f"lang-{choice}"
                    )
            yield Button(t("welcome.create", lang), variant="primary", id="create")
            yield Button(t("link.tui.join", lang), id="join")
            yield Static(t("welcome.privacy", lang), id="welcome-privacy")
        yield AppFooter()

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#name", Input).focus()

    async def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        lang = (event.pressed.id or "").removeprefix("lang-")
        if lang == self.rapp.lang or lang not in LANGS:
            return
        values = {w.id: w.value for w in self.query(Input) if w.id}
        self.rapp.lang = lang
        localize_bindings(self, lang)
        localize_bindings(self.app, lang)
        await self.recompose()
        for widget_id, value in values.items():
            self.query_one(f"#{widget_id}", Input).value = value
        self.query_one("#lang", RadioSet).focus()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "passphrase2":
            self.action_create()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()
        elif event.button.id == "join":
            self.action_join()

    def action_create(self) -> None:
        if self.busy:
            return
        lang = self.rapp.lang
        name = self.query_one("#name", Input).value.strip()
        first = self.query_one("#passphrase", Input).value
        second = self.query_one("#passphrase2", Input).value
        if not name:
            self.notify(t("welcome.need_name", lang), severity="error")
            self.query_one("#name", Input).focus()
            return
        if first != second:
            self.notify(t("welcome.passphrase_mismatch", lang), severity="error")
            self.query_one("#passphrase2", Input).focus()
            return
        self.busy = True
        self.rapp.create_identity(name, first.encode() if first else None, lang, on_error=self._failed)

    def action_join(self) -> None:
        """This person already has an identity on another device: join it with the code that one shows
        (the passphrase typed here, if any, protects this device's key)."""
        from reliance.tui.devices.screen import JoinDialog

        first = self.query_one("#passphrase", Input).value
        second = self.query_one("#passphrase2", Input).value
        if first != second:
            self.notify(t("welcome.passphrase_mismatch", self.rapp.lang), severity="error")
            self.query_one("#passphrase2", Input).focus()
            return
        self.app.push_screen(JoinDialog(first.encode() if first else None))

    def _failed(self) -> None:
        self.busy = False


class UnlockScreen(_FormScreen):
    """The key is protected: ask for the passphrase."""

    def compose(self) -> ComposeResult:
        lang = self.rapp.lang
        with Center(), Vertical(id="welcome-box"):
            yield Static(t("unlock.title", lang), id="welcome-title")
            yield Static(t("unlock.intro", lang, home=str(self.rapp.home)), id="welcome-intro")
            yield Input(id="passphrase", password=True, placeholder=t("unlock.passphrase", lang))
            yield Button(t("unlock.open", lang), variant="primary", id="unlock")
        yield AppFooter()

    def on_mount(self) -> None:  # the base class handler runs too (Textual calls each class's)
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._unlock()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._unlock()

    def _unlock(self) -> None:
        value = self.query_one("#passphrase", Input).value
        if value:
            self.rapp.unlock(value.encode())
