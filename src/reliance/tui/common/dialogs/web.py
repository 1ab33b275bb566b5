"""The web face in the app: pairing a phone (a one-time link as a QR code) and the paired browsers."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from reliance.display import clean
from reliance.tui.common.dialogs.base import Dialog
from reliance.tui.common.widgets import QrCode


class PairDialog(Dialog[None]):
    """A pairing link (valid 10 minutes, once) as a QR code, with the certificate's fingerprint."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]
    TITLE_KEY = "web_dialog.pair_title"
    OK_KEY = "button.close"

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__()
        self.url = str(info["urls"][0])
        self.fingerprint = str(info.get("fingerprint") or "")

    def compose_fields(self) -> ComposeResult:
        yield Static(self.t("web_dialog.pair_help"))
        yield QrCode(self.url, id="qr-big")
        caption = self.url
        if self.fingerprint:
            caption += "\n" + self.t("web_dialog.fingerprint", fingerprint=self.fingerprint)
        elif self.url.startswith("http:"):
            caption += "\n" + self.t("web_dialog.plain_http")
        yield Static(Text(clean(caption), justify="center"), classes="qr-caption")

    def action_submit(self) -> None:
        self.dismiss(None)


class SessionsDialog(Dialog[str | None]):
    """The paired browsers; Enter on one revokes it (the dialog returns its id)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]
    TITLE_KEY = "web_dialog.sessions_title"
    OK_KEY = "web_dialog.revoke"
    FOCUS = "OptionList"

    def __init__(self, sessions: list[dict[str, Any]]) -> None:
        super().__init__()
        self.sessions = sessions

    def compose_fields(self) -> ComposeResult:
        if not self.sessions:
            yield Static(self.t("web_dialog.no_sessions"))
            return
        yield Static(self.t("web_dialog.sessions_help"))
        yield OptionList(
            *(Option(Text(clean(f"{s['id']}  {s['agent']}")), id=str(s["id"])) for s in self.sessions),
            id="web-sessions",
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_submit(self) -> None:
        options = self.query(OptionList)
        highlighted = options.first().highlighted if options else None
        if highlighted is None:
            self.dismiss(None)
            return
        self.dismiss(options.first().get_option_at_index(highlighted).id)
