"""The peers' dialogs: a peer's address to connect to, and my own identity as a QR code."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from reliance.errors import RelianceError
from reliance.tui.common.dialogs.base import Dialog
from reliance.tui.common.widgets import QrCode


class AddressDialog(Dialog[tuple[str, int]]):
    FOCUS = "#address"
    TITLE_KEY = "dialog.address"
    OK_KEY = "button.connect"

    def compose_fields(self) -> ComposeResult:
        yield from self.field(
            "field.address",
            Input(id="address", placeholder="192.168.1.20:7447", compact=True),
            "hint.address",
        )

    def result(self) -> tuple[str, int]:
        from reliance.net.config import parse_address  # as `reliance peer add`; loads after the first frame

        text = self.value("address").strip()
        try:
            return parse_address(text)
        except (RelianceError, ValueError):  # ValueError: a port such as '²' passes isdigit(), not int()
            raise ValueError(self.t("error.address", address=text)) from None


class QrDialog(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]
    OK_KEY = "button.close"

    def __init__(self, name: str, peer_id: str, fingerprint: str) -> None:
        super().__init__()
        self.name_value = name
        self.peer_id = peer_id
        self.fingerprint = fingerprint

    def title_text(self) -> str:
        return self.t("dialog.qr", name=self.name_value)

    def compose_fields(self) -> ComposeResult:
        yield QrCode(self.peer_id.upper(), id="qr-big")
        yield Static(Text(f"{self.peer_id}\n{self.fingerprint}", justify="center"), classes="qr-caption")

    def action_submit(self) -> None:
        self.dismiss(None)
