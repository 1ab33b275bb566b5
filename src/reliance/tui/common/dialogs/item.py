"""The item form: create or edit an offer, a request or an event."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static, TextArea

from reliance.i18n import kind_label, reciprocity_label, status_label
from reliance.model.catalogue import (
    MAX_CAPACITY,
    Item,
    ItemKind,
    Repeat,
    Status,
    normalise_tags,
    parse_repeat,
)
from reliance.model.dates import describe_repeat, describe_span, parse_span, parse_when
from reliance.model.messages import InputError
from reliance.tui.common.dialogs.base import Dialog
from reliance.tui.common.widgets import plain, plain_options


class ItemForm(Dialog[Item]):
    """Create or edit an item; returns a validated draft (id and author filled in by the workspace)."""

    FOCUS = "#title"
    ASK_BEFORE_DISCARD = True
    ENTER_MOVES_ON = True  # enter moves on; ctrl+s or the button saves

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
        yield from self.choice(
            "field.kind", "kind", [(kind_label(k, lang), k.value) for k in ItemKind], kind.value
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
        repeat = item.repeat if item else None
        with Horizontal(classes="field-row"):
            with Vertical():
                yield from self.choice(
                    "field.repeat",
                    "repeat",
                    [(self.t(f"repeat_choice.{f}"), f) for f in REPEAT_CHOICES],
                    repeat.freq.value if repeat else "none",
                )
            with Vertical():
                yield from self.field(
                    "field.until",
                    Input(
                        repeat.until if repeat else "",
                        id="until",
                        placeholder=self.t("hint.until"),
                        compact=True,
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
        yield from self.choice(
            "field.status",
            "status",
            [(status_label(s, lang), s.value) for s in Status],
            (item.status if item else Status.PUBLISHED).value,
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

    def _typed_dates(self) -> tuple[str, str, str, str]:
        if self.is_mounted:
            return self.value("begins"), self.value("ends"), self.chosen("repeat"), self.value("until")
        item = self.item
        if item is None:
            return "", "", "none", ""
        repeat = item.repeat
        return item.begins, item.ends, repeat.freq.value if repeat else "none", repeat.until if repeat else ""

    def _understood(self) -> str:
        """What the date fields are understood as, in words, shown back as they are typed: the span, and
        how it repeats (« chaque samedi jusqu'au … »)."""
        lang = self.rapp.lang
        begins, ends, freq, until = self._typed_dates()
        try:
            start, end = parse_span(begins, ends, lang)
            span = describe_span(start, end, lang)
            repeat = repeat_of(freq, until, start.iso() if start else "", lang)
        except InputError:
            return ""  # said when saving, next to the field
        if not span:
            return ""
        if repeat is not None and start is not None:
            span = self.t(
                "hint.when_repeating", when=span, repeat=describe_repeat(freq, repeat.until, start.day, lang)
            )
        return self.t("hint.when_understood", when=span)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("begins", "ends", "until"):
            self.query_one("#when-understood", Static).update(plain(self._understood()))

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "repeat" and self.is_mounted:
            self.query_one("#when-understood", Static).update(plain(self._understood()))

    def result(self) -> Item:
        project = self.query_one("#project", Select).value
        raw_tags = self.value("tags").replace(",", " ").split()
        lang = self.rapp.lang
        begins, ends = parse_span(self.value("begins"), self.value("ends"), lang)
        repeat = repeat_of(self.chosen("repeat"), self.value("until"), begins.iso() if begins else "", lang)
        draft = Item(
            id=self.item.id if self.item else "draft",
            kind=ItemKind(self.chosen("kind")),
            title=self.value("title"),
            author=self.author,
            description=self.query_one("#description", TextArea).text,
            tags=normalise_tags(raw_tags),
            place=self.value("place"),
            begins=begins.iso() if begins else "",
            ends=ends.iso() if ends else "",
            status=Status(self.chosen("status")),
            reciprocity=self.value("reciprocity"),
            project="" if project is Select.NULL else str(project),
            capacity=places(self.value("capacity")),
            repeat=repeat,
        )
        return draft.validated()


REPEAT_CHOICES = ("none", "daily", "weekly")


def repeat_of(freq: str, until: str, begins: str, lang: str) -> Repeat | None:
    """The repeat fields: none, or every day or week until a day typed as people write it (as `--repeat`
    and `--until` take them); InputErrors name the field at fault."""
    if freq == "none":
        return None
    if not until.strip():
        raise InputError("repeat.error.until", field="until", value="")
    try:
        last = parse_when(until, lang).day.isoformat()
    except InputError as error:
        raise InputError(error.key, field="until", **error.params) from None
    try:
        return parse_repeat(freq, last, begins)
    except InputError as error:
        field = "begins" if error.key == "repeat.error.needs_begins" else "until"
        raise InputError(error.key, field=field, **error.params) from None


def places(typed: str) -> int | None:
    """The capacity field: empty for no limit, else a whole number (the model checks its range)."""
    typed = typed.strip()
    if not typed:
        return None
    if not typed.isascii() or not typed.isdigit() or len(typed) > 9:
        raise InputError("capacity.error", field="capacity", max=MAX_CAPACITY)
    return int(typed)
