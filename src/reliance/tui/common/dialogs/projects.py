"""A project's dialogs: a new project, who receives its document, its ledger's entries, its members and
their credit limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from reliance.economy import DimensionError, parse_dimensions
from reliance.i18n import t
from reliance.identity import decode_peer_id
from reliance.model.amounts import parse_amount
from reliance.model.messages import InputError, shown
from reliance.tui.common.dialogs.base import Dialog
from reliance.tui.common.widgets import plain_options


def visibility_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"visibility.{v}", lang).capitalize(), v) for v in ("members", "public")]


@dataclass(frozen=True)
class ProjectDraft:
    name: str
    visibility: str


class ProjectDialog(Dialog[ProjectDraft]):
    """A new project: its name and who receives its document (members only unless chosen otherwise)."""

    TITLE_KEY = "dialog.new_project"
    FOCUS = "#project-name"

    def compose_fields(self) -> ComposeResult:
        yield from self.field("field.project_name", Input("", id="project-name", compact=True))
        yield from self.choice(
            "field.visibility", "visibility", visibility_choices(self.rapp.lang), "members", "hint.visibility"
        )

    def result(self) -> ProjectDraft:
        name = self.value("project-name").strip()
        if not name:
            raise ValueError(self.t("error.empty"))
        return ProjectDraft(name, self.chosen("visibility"))


class VisibilityDialog(Dialog[str]):
    """A steward changes who receives the project's document."""

    FOCUS = "#visibility"

    def __init__(self, project: str, current: str) -> None:
        super().__init__()
        self.project = project
        self.current = current

    def title_text(self) -> str:
        return self.t("dialog.visibility", project=self.project)

    def compose_fields(self) -> ComposeResult:
        yield Static(self.t("hint.visibility"), classes="field-hint")
        yield from self.choice(
            "field.visibility",
            "visibility",
            visibility_choices(self.rapp.lang),
            self.current,
            "hint.visibility_change",
        )

    def result(self) -> str:
        return self.chosen("visibility")


@dataclass(frozen=True)
class EntryDraft:
    kind: str  # time, money, resource, knowledge (contributions), expense, revenue, transfer
    amount: int
    unit: str
    note: str
    dimensions: dict[str, int]
    counterparty: str = ""


CONTRIBUTIONS = ("time", "money", "resource", "knowledge")
ENTRY_KINDS = (*CONTRIBUTIONS, "expense", "revenue", "transfer")
DEFAULT_UNITS = {"time": "min", "money": "EUR", "resource": "min", "knowledge": "min"}


class EntryDialog(Dialog[EntryDraft]):
    """A contribution (time, money, resource, knowledge), an expense, a revenue or a transfer."""

    TITLE_KEY = "dialog.contribute"
    FOCUS = "#amount"
    ASK_BEFORE_DISCARD = True
    ENTER_MOVES_ON = True
    ENTER_SUBMITS_IN = "dims"

    def __init__(self, project: str, members: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.project = project
        self.members = list(members)

    def title_text(self) -> str:
        return self.t("dialog.contribute_title", project=self.project)

    def compose_fields(self) -> ComposeResult:
        kinds = [(self.t(f"entry_kind.{k}"), k) for k in ENTRY_KINDS]
        yield from self.choice("field.entry_kind", "ckind", kinds, "time")
        yield from self.field(
            "field.amount", Input(id="amount", placeholder="90", compact=True), "hint.amount"
        )
        yield from self.field("field.unit", Input("min", id="unit", compact=True))
        yield from self.field("field.note", Input(id="note", compact=True))
        counterparties = [(self.t("entry.project_account"), "@project"), *self.members]
        with Vertical(id="counterparty-box"):
            yield from self.field(
                "field.counterparty",
                Select(
                    plain_options(counterparties),
                    prompt=self.t("field.choose"),
                    id="counterparty",
                    compact=True,
                ),
            )
        yield from self.field(
            "field.dimensions", Input(id="dims", placeholder="joie=2 kg=3", compact=True), "hint.dimensions"
        )

    def on_mount(self) -> None:  # Dialog.on_mount runs too, after this one
        self.query_one("#counterparty-box").display = False

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "ckind" and event.value is not Select.NULL:
            kind = str(event.value)
            self.query_one("#unit", Input).value = DEFAULT_UNITS.get(kind, "EUR")
            self.query_one("#counterparty-box").display = kind == "transfer"

    def result(self) -> EntryDraft:
        unit = self.value("unit").strip()
        amount = parse_amount(self.value("amount"), unit)  # major units as typed; minor units stored
        if amount == 0:
            raise InputError("amount.error.zero", field="amount", text=shown(self.value("amount")))
        try:
            dimensions = parse_dimensions(self.value("dims").replace(",", " ").split())
        except DimensionError as exc:
            raise ValueError(self.t("error.dimension", part=exc.typed)) from None
        kind = self.chosen("ckind")
        counterparty = self.query_one("#counterparty", Select).value
        if kind == "transfer" and counterparty is Select.NULL:
            raise ValueError(self.t("error.counterparty"))
        return EntryDraft(
            kind,
            amount,
            unit,
            self.value("note").strip(),
            dimensions,
            "" if counterparty is Select.NULL else str(counterparty),
        )


@dataclass(frozen=True)
class MemberDraft:
    peer_id: str
    role: str


class MemberDialog(Dialog[MemberDraft]):
    TITLE_KEY = "dialog.member"

    def __init__(self, known: Sequence[tuple[str, str]], peer_id: str = "", role: str = "member") -> None:
        super().__init__()
        self.known = list(known)
        self.peer_id = peer_id
        self.role = role

    def compose_fields(self) -> ComposeResult:
        if self.known:
            yield from self.field(
                "field.known_peer",
                Select(plain_options(self.known), prompt=self.t("field.choose"), id="known", compact=True),
            )
        yield from self.field(
            "field.peer_id", Input(self.peer_id, id="peer", placeholder="rl…", compact=True)
        )
        roles = [(self.t("role.member"), "member"), (self.t("role.steward"), "steward")]
        yield from self.choice("field.role", "role", roles, self.role)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "known" and event.value is not Select.NULL:
            self.query_one("#peer", Input).value = str(event.value)

    def result(self) -> MemberDraft:
        peer = self.value("peer").strip()
        decode_peer_id(peer)
        return MemberDraft(peer, self.chosen("role"))


@dataclass(frozen=True)
class LimitDraft:
    member: str
    unit: str
    floor: int


class LimitDialog(Dialog[LimitDraft]):
    """A credit limit: how far below zero a member's balance may go in one unit."""

    TITLE_KEY = "dialog.limit"
    FOCUS = "#floor"

    def __init__(self, members: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.members = list(members)

    def compose_fields(self) -> ComposeResult:
        yield from self.choice("field.member", "member", plain_options(self.members), self.members[0][1])
        yield from self.field("field.unit", Input("EUR", id="unit", compact=True))
        yield from self.field("field.floor", Input(id="floor", placeholder="-50", compact=True), "hint.floor")

    def result(self) -> LimitDraft:
        unit = self.value("unit").strip()
        try:
            floor = parse_amount(self.value("floor"), unit, signed=True)  # -50 EUR: -5000 cents
        except InputError as error:
            raise InputError(error.key, field="floor", **error.params) from None
        if floor > 0:
            raise InputError("amount.error.floor", field="floor", text=shown(self.value("floor")))
        return LimitDraft(self.chosen("member"), unit, floor)
