"""Modal dialogs: forms for items, answers, contributions and members; a section editor; confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from reliance.display import clean
from reliance.economy import DimensionError, parse_dimensions
from reliance.errors import RelianceError
from reliance.i18n import kind_label, reciprocity_label, status_label, t
from reliance.identity import decode_peer_id
from reliance.model.amounts import parse_amount
from reliance.model.catalogue import MAX_CAPACITY, Item, ItemKind, Status, normalise_tags
from reliance.model.dates import describe_span, parse_span
from reliance.model.messages import InputError, shown
from reliance.tui.common.widgets import AppFooter, QrCode, localize_bindings, plain, plain_options

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
        except InputError as exc:
            self.show_input_error(exc)
            return
        except (RelianceError, ValueError) as exc:
            self.notify(str(exc), title=self.t("error.title"), severity="error")
            return
        if result is not None:
            self.dismiss(result)

    def show_input_error(self, error: InputError) -> None:
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


# -- projects ----------------------------------------------------------------------------------------------


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
        yield from self.field(
            "field.visibility",
            Select(
                visibility_choices(self.rapp.lang),
                value="members",
                allow_blank=False,
                id="visibility",
                compact=True,
            ),
            "hint.visibility",
        )

    def result(self) -> ProjectDraft:
        name = self.value("project-name").strip()
        if not name:
            raise ValueError(self.t("error.empty"))
        return ProjectDraft(name, str(self.query_one("#visibility", Select).value))


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
        yield from self.field(
            "field.visibility",
            Select(
                visibility_choices(self.rapp.lang),
                value=self.current,
                allow_blank=False,
                id="visibility",
                compact=True,
            ),
            "hint.visibility_change",
        )

    def result(self) -> str:
        return str(self.query_one("#visibility", Select).value)


# -- items -------------------------------------------------------------------------------------------------


class ItemForm(Dialog[Item]):
    """Create or edit an item; returns a validated draft (id and author filled in by the workspace)."""

    FOCUS = "#title"
    ASK_BEFORE_DISCARD = True

    TITLE_KEY = "dialog.item_new"

    def __init__(
        self,
        item: Item | None,
        author: str,
        projects: Sequence[tuple[str, str]],
        kind: ItemKind | None = None,
    ) -> None:
        super().__init__()
        self.item = item
        self.author = author
        self.projects = list(projects)
        self.kind = kind

    def title_text(self) -> str:
        return self.t("dialog.item_edit") if self.item else self.t("dialog.item_new")

    def compose_fields(self) -> ComposeResult:
        lang = self.rapp.lang
        item = self.item
        kind = item.kind if item else (self.kind or ItemKind.OFFER)
        yield from self.field(
            "field.kind",
            Select(
                [(kind_label(k, lang), k.value) for k in ItemKind],
                value=kind.value,
                allow_blank=False,
                id="kind",
                compact=True,
            ),
        )
        yield from self.field("field.title", Input(item.title if item else "", id="title", compact=True))
        description = TextArea(
            item.description if item else "", id="description", soft_wrap=True, compact=True
        )
        yield from self.field("field.description", description)
        yield from self.field(
            "field.tags",
            Input(
                " ".join(item.tags) if item else "", id="tags", placeholder=self.t("hint.tags"), compact=True
            ),
        )
        yield from self.field("field.place", Input(item.place if item else "", id="place", compact=True))
        with Horizontal(classes="field-row"):
            with Vertical():
                yield from self.field(
                    "field.begins",
                    Input(
                        item.begins if item else "",
                        id="begins",
                        placeholder=self.t("hint.begins"),
                        compact=True,
                    ),
                )
            with Vertical():
                yield from self.field(
                    "field.ends",
                    Input(
                        item.ends if item else "", id="ends", placeholder=self.t("hint.ends"), compact=True
                    ),
                )
        yield Static(self._understood(), id="when-understood", classes="field-hint")
        capacity = str(item.capacity) if item and item.capacity is not None else ""
        yield from self.field(
            "field.capacity",
            Input(capacity, id="capacity", placeholder=self.t("hint.capacity"), compact=True),
        )
        yield from self.field(
            "field.reciprocity",
            Input(
                reciprocity_label(item.reciprocity, lang) if item else "",  # stored as a code
                id="reciprocity",
                placeholder=self.t("hint.reciprocity"),
                compact=True,
            ),
        )
        yield from self.field(
            "field.status",
            Select(
                [(status_label(s, lang), s.value) for s in Status],
                value=(item.status if item else Status.PUBLISHED).value,
                allow_blank=False,
                id="status",
                compact=True,
            ),
            "hint.draft",
        )
        options = [(name, pid) for name, pid in self.projects]
        current = item.project if item and item.project in {p for _, p in options} else Select.NULL
        yield from self.field(
            "field.project",
            Select(
                plain_options(options),
                value=current,
                prompt=self.t("field.no_project"),
                id="project",
                compact=True,
            ),
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter moves on; ctrl+s or the button saves
        event.prevent_default()  # not Dialog.on_input_submitted
        self.focus_next()

    def _typed_dates(self) -> tuple[str, str]:
        if self.is_mounted:
            return self.value("begins"), self.value("ends")
        return (self.item.begins, self.item.ends) if self.item else ("", "")

    def _understood(self) -> str:
        """What the date fields are understood as, in words, shown back as they are typed."""
        begins, ends = self._typed_dates()
        try:
            span = describe_span(*parse_span(begins, ends, self.rapp.lang), self.rapp.lang)
        except InputError:
            return ""  # said when saving, next to the field
        return self.t("hint.when_understood", when=span) if span else ""

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("begins", "ends"):
            self.query_one("#when-understood", Static).update(plain(self._understood()))

    def result(self) -> Item:
        kind = self.query_one("#kind", Select).value
        status = self.query_one("#status", Select).value
        project = self.query_one("#project", Select).value
        raw_tags = self.value("tags").replace(",", " ").split()
        begins, ends = parse_span(self.value("begins"), self.value("ends"), self.rapp.lang)
        draft = Item(
            id=self.item.id if self.item else "draft",
            kind=ItemKind(str(kind)),
            title=self.value("title"),
            author=self.author,
            description=self.query_one("#description", TextArea).text,
            tags=normalise_tags(raw_tags),
            place=self.value("place"),
            begins=begins.iso() if begins else "",
            ends=ends.iso() if ends else "",
            status=Status(str(status)),
            reciprocity=self.value("reciprocity"),
            project="" if project is Select.NULL else str(project),
            capacity=places(self.value("capacity")),
        )
        return draft.validated()


def places(typed: str) -> int | None:
    """The capacity field: empty for no limit, else a whole number (the model checks its range)."""
    typed = typed.strip()
    if not typed:
        return None
    if not typed.isascii() or not typed.isdigit() or len(typed) > 9:
        raise InputError("capacity.error", field="capacity", max=MAX_CAPACITY)
    return int(typed)


@dataclass(frozen=True)
class AnswerDraft:
    kind: str
    message: str
    contact: str = ""


class AnswerDialog(Dialog[AnswerDraft]):
    """An answer (or, when I already gave one of this kind, its new wording: one answer per kind)."""

    FOCUS = "#message"
    TITLE_KEY = "dialog.answer"
    OK_KEY = "button.send"
    ASK_BEFORE_DISCARD = True

    def __init__(self, title: str, kind: str, message: str = "", contact: str = "") -> None:
        super().__init__()
        self.item_title = title
        self.kind = kind
        self.message = message
        self.contact = contact

    def title_text(self) -> str:
        return self.t("dialog.answer_title", answer=self.t(f"answer.{self.kind}"), title=self.item_title)

    def compose_fields(self) -> ComposeResult:
        yield from self.field(
            "field.message",
            Input(self.message, id="message", placeholder=self.t("hint.message"), compact=True),
            "hint.answer",
        )
        yield from self.field(
            "field.contact",
            Input(self.contact, id="contact", placeholder=self.t("hint.contact"), compact=True),
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()
        if event.input.id == "message":
            self.focus_next()
        else:
            self.action_submit()

    def result(self) -> AnswerDraft:
        return AnswerDraft(self.kind, self.value("message").strip(), self.value("contact").strip())


@dataclass(frozen=True)
class ReplyDraft:
    answer_id: str
    message: str
    contact: str = ""


class ReplyDialog(Dialog[ReplyDraft]):
    """A message under an answer: to whom (when there are several answers I may reply to), what, and
    optionally a contact or a meeting point."""

    FOCUS = "#message"
    OK_KEY = "button.send"
    ASK_BEFORE_DISCARD = True

    def __init__(self, title: str, answers: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.item_title = title
        self.answers = list(answers)  # (label, answer id)

    def title_text(self) -> str:
        return self.t("dialog.reply", title=self.item_title)

    def compose_fields(self) -> ComposeResult:
        yield from self.field(
            "field.reply_to",
            Select(
                plain_options(self.answers),
                value=self.answers[0][1],
                allow_blank=False,
                id="answer",
                compact=True,
            ),
        )
        yield from self.field(
            "field.message", Input(id="message", placeholder=self.t("hint.message"), compact=True)
        )
        yield from self.field(
            "field.contact", Input(id="contact", placeholder=self.t("hint.contact"), compact=True)
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()
        if event.input.id == "message":
            self.focus_next()
        else:
            self.action_submit()

    def result(self) -> ReplyDraft:
        answer = str(self.query_one("#answer", Select).value)
        return ReplyDraft(answer, self.value("message").strip(), self.value("contact").strip())


class WithdrawAnswerDialog(Dialog[str]):
    """Which of my answers to an item to take back (its kind)."""

    FOCUS = "#kind"
    OK_KEY = "key.withdraw"

    def __init__(self, title: str, kinds: Sequence[str]) -> None:
        super().__init__()
        self.item_title = title
        self.kinds = list(kinds)

    def title_text(self) -> str:
        return self.t("dialog.withdraw_answer", title=self.item_title)

    def compose_fields(self) -> ComposeResult:
        yield from self.field(
            "field.answer_kind",
            Select(
                [(self.t(f"answer.{kind}"), kind) for kind in self.kinds],
                value=self.kinds[0],
                allow_blank=False,
                id="kind",
                compact=True,
            ),
        )

    def result(self) -> str:
        return str(self.query_one("#kind", Select).value)


# -- projects ----------------------------------------------------------------------------------------------


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
    ASK_BEFORE_DISCARD = True

    def __init__(self, project: str, members: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.project = project
        self.members = list(members)

    def title_text(self) -> str:
        return self.t("dialog.contribute_title", project=self.project)

    def compose_fields(self) -> ComposeResult:
        kinds = [(self.t(f"entry_kind.{k}"), k) for k in ENTRY_KINDS]
        yield from self.field(
            "field.entry_kind", Select(kinds, value="time", allow_blank=False, id="ckind", compact=True)
        )
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

    FOCUS = "#amount"

    def on_mount(self) -> None:  # Dialog.on_mount runs too, after this one
        self.query_one("#counterparty-box").display = False

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "ckind" and event.value is not Select.NULL:
            kind = str(event.value)
            self.query_one("#unit", Input).value = DEFAULT_UNITS.get(kind, "EUR")
            self.query_one("#counterparty-box").display = kind == "transfer"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # not Dialog.on_input_submitted
        if event.input.id == "dims":
            self.action_submit()
        else:
            self.focus_next()

    def result(self) -> EntryDraft:
        unit = self.value("unit").strip()
        amount = parse_amount(self.value("amount"), unit)  # major units as typed; minor units stored
        if amount == 0:
            raise InputError("amount.error.zero", field="amount", text=shown(self.value("amount")))
        try:
            dimensions = parse_dimensions(self.value("dims").replace(",", " ").split())
        except DimensionError as exc:
            raise ValueError(self.t("error.dimension", part=exc.text)) from None
        kind = str(self.query_one("#ckind", Select).value)
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
        yield from self.field(
            "field.role", Select(roles, value=self.role, allow_blank=False, id="role", compact=True)
        )

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "known" and event.value is not Select.NULL:
            self.query_one("#peer", Input).value = str(event.value)

    def result(self) -> MemberDraft:
        peer = self.value("peer").strip()
        decode_peer_id(peer)
        return MemberDraft(peer, str(self.query_one("#role", Select).value))


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
        yield from self.field(
            "field.member",
            Select(
                plain_options(self.members),
                value=self.members[0][1],
                allow_blank=False,
                id="member",
                compact=True,
            ),
        )
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
        return LimitDraft(str(self.query_one("#member", Select).value), unit, floor)


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


class SectionEditor(Dialog[str]):
    """A multi-line editor for one section of a social code."""

    FOCUS = "#editor"
    ASK_BEFORE_DISCARD = True

    TITLE_KEY = "dialog.edit_section"
    OK_KEY = "button.save"

    def __init__(self, whose: str, section: str, text: str) -> None:
        super().__init__()
        self.whose = whose
        self.section = section
        self.text = text

    def title_text(self) -> str:
        return self.t("dialog.edit_section", section=self.section, whose=self.whose)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog editor"):
            yield Label(plain(self.title_text()), classes="dialog-title")  # titles quote names, titles
            # A project's section may hold another member's text: its control characters are shown (and
            # saved) as their visible pictures, never sent to the terminal.
            yield TextArea(
                clean(self.text, multiline=True), id="editor", soft_wrap=True, show_line_numbers=False
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("button.save"), variant="primary", id="ok")
                yield Button(self.t("button.cancel"), id="cancel")
        yield AppFooter()

    def result(self) -> str:
        return self.query_one("#editor", TextArea).text


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
