"""The base of every modal dialog (title, fields with their error lines, OK/Cancel, Escape that asks before
throwing a typed form away), the confirmation it asks with, and a one-line prompt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from reliance.errors import RelianceError
from reliance.i18n import t
from reliance.tui.common.widgets import AppFooter, localize_bindings, plain

if TYPE_CHECKING:
    from reliance.tui.app import RelianceApp

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    """A modal with a title, a body and OK/Cancel; escape cancels, ctrl+s confirms."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("ctrl+s", "submit", "key.save"),
    ]
    TITLE_KEY = ""
    OK_KEY = "button.ok"
    FOCUS: ClassVar[str] = ""  # what gets the focus first (default: the first field)
    ASK_BEFORE_DISCARD: ClassVar[bool] = False  # a form: Escape asks before throwing away what was typed
    ENTER_MOVES_ON: ClassVar[bool] = (
        False  # a form: Enter in a field moves to the next one (else it submits)…
    )
    ENTER_SUBMITS_IN: ClassVar[str] = (
        ""  # …except in this field, where it submits (none: ctrl+s or the button)
    )

    @property
    def rapp(self) -> RelianceApp:
        return cast("RelianceApp", self.app)

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.rapp.lang, **params)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text()), classes="dialog-title")  # titles quote names, titles
            body = VerticalScroll(classes="dialog-body")
            body.can_focus = False  # the first field gets the focus
            with body:
                yield from self.compose_fields()
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t(self.OK_KEY), variant="primary", id="ok")
                yield Button(self.t("button.cancel"), id="cancel")
        yield AppFooter()

    def title_text(self) -> str:
        return self.t(self.TITLE_KEY)

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        localize_bindings(self, self.rapp.lang)
        self.refresh_bindings()
        fields = self.query(self.FOCUS or "Input, TextArea, Select")
        if fields:
            fields.first().focus()
        self._initial = self.filled_values()

    def filled_values(self) -> list[object]:
        """What the fields hold now (to tell whether anything was typed since the form opened)."""
        values: list[object] = []
        for widget in self.query("Input, TextArea, Select"):
            if isinstance(widget, Input | Select):
                values.append(widget.value)
            elif isinstance(widget, TextArea):
                values.append(widget.text)
        return values

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.ENTER_MOVES_ON and event.input.id != self.ENTER_SUBMITS_IN:
            self.focus_next()
        else:
            self.action_submit()

    def action_cancel(self) -> None:
        if not self.ASK_BEFORE_DISCARD or self.filled_values() == getattr(self, "_initial", None):
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog(self.t("confirm.discard")), answered)

    def action_submit(self) -> None:
        for said in self.query(".field-error.shown"):
            said.remove_class("shown")
        try:
            result = self.result()
        except RelianceError as exc:
            self.show_input_error(exc)
            return
        except ValueError as exc:
            self.notify(str(exc), title=self.t("error.title"), severity="error")
            return
        if result is not None:
            self.dismiss(result)

    def show_input_error(self, error: RelianceError) -> None:
        """The error in the interface's language, next to the field at fault, which gets the focus; a
        notification when the form has no such field."""
        text = error.text(self.rapp.lang)
        fields = self.query(f"#{error.field}") if error.field else None
        places = self.query(f"#{error.field}-error") if error.field else None
        if not fields or not places:
            self.notify(text, title=self.t("error.title"), severity="error")
            return
        place = places.first(Static)
        place.update(plain(text, multiline=True))
        place.add_class("shown")
        fields.first().focus()

    def result(self) -> T | None:
        return None

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def field(self, label_key: str, widget: Any, hint_key: str = "") -> ComposeResult:
        yield Label(self.t(label_key), classes="field-label")
        yield widget
        if widget.id:  # where an error about this field goes (`show_input_error`); hidden until then
            yield Static("", id=f"{widget.id}-error", classes="field-error")
        if hint_key:
            yield Static(self.t(hint_key), classes="field-hint")

    def choice(
        self,
        label_key: str,
        widget_id: str,
        options: Iterable[tuple[RenderableType, str]],
        value: str,
        hint_key: str = "",
    ) -> ComposeResult:
        """A field where one of `options` is chosen, `value` at first; it is never left blank."""
        select = Select(options, value=value, allow_blank=False, id=widget_id, compact=True)
        yield from self.field(label_key, select, hint_key)

    def chosen(self, widget_id: str) -> str:
        """What a `choice` field holds."""
        return str(self.query_one(f"#{widget_id}", Select).value)


class ConfirmDialog(Dialog[bool]):
    FOCUS = "#ok"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("y", "submit", "key.yes"),
    ]
    OK_KEY = "button.yes"

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def title_text(self) -> str:
        return self.t("dialog.confirm")

    def compose_fields(self) -> ComposeResult:
        yield Static(plain(self.message, multiline=True), classes="confirm-message")

    def result(self) -> bool:
        return True


class PromptDialog(Dialog[str]):
    """One line of text."""

    def __init__(
        self, title: str, label: str, *, value: str = "", placeholder: str = "", password: bool = False
    ) -> None:
        super().__init__()
        self.title_value = title
        self.label = label
        self.initial = value
        self.placeholder = placeholder
        self.password = password

    def title_text(self) -> str:
        return self.title_value

    def compose_fields(self) -> ComposeResult:
        yield Label(plain(self.label), classes="field-label")
        yield Input(
            self.initial, placeholder=self.placeholder, password=self.password, id="prompt", compact=True
        )

    def result(self) -> str | None:
        text = self.value("prompt").strip()
        if not text:
            raise ValueError(self.t("error.empty"))
        return text
