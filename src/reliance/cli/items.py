"""Commands for the catalogue: `item` (add, list, show, update, archive, answer, reply, withdraw) and the
per-kind shortcuts (`offer add`, `need list`, ...)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reliance.cli.context import Context, echo, emit_json, fail, message_lang, pass_ctx, say
from reliance.display import clean
from reliance.i18n import answer_label, t
from reliance.identity import canonical_peer
from reliance.model.catalogue import ItemKind, parse_repeat
from reliance.model.dates import When, describe_repeat, describe_span, parse_span, parse_when
from reliance.model.messages import InputError
from reliance.model.rsvp import places_text

F = TypeVar("F", bound=Callable[..., Any])


def _item_options(func: F) -> F:
    options = [
        click.option("--title"),
        click.option("--description"),
        click.option("--tag", "tags", multiple=True, help="Repeat for several tags."),
        click.option("--place"),
        click.option(
            "--begins",
            help="When it begins, as people write it: '14/07/2026 10h', '14 July 10am', 'demain 18h'.",
        ),
        click.option("--ends", help="When it ends: a time alone ('12h') is on the day it begins."),
        click.option("--repeat", help="daily or weekly, until --until (update: none stops it)."),
        click.option("--until", help="The day it happens for the last time (with --repeat)."),
        click.option("--reciprocity", help="gift, time, money, barter, or free text."),
        click.option("--status", help="draft, published, matched, archived."),
        click.option("--project", "linked_project", help="Linked project id."),
        click.option("--capacity", type=int, help="Places for 'coming' answers (events)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _list_options(author_help: str | None = None) -> Callable[[F], F]:
    """The options of the item lists (`item list` and its shortcuts), as `_list_items` takes them."""

    def decorate(func: F) -> F:
        options = [
            click.option("--tag", "tags", multiple=True),
            click.option("--author", help=author_help),
            click.option("--status"),
            click.option("--search", help=SEARCH_HELP),
            click.option("--json", "as_json", is_flag=True),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _item_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The item options as the local API takes them (unset ones left out)."""
    out = {("project" if k == "linked_project" else k): v for k, v in fields.items()}
    out["tags"] = list(out.get("tags") or ()) or None
    return {k: v for k, v in out.items() if v is not None}


def _read_dates(ctx: Context, fields: dict[str, Any], item_id: str | None = None) -> None:
    """--begins and --ends as people write them, replaced in `fields` by the ISO 8601 the catalogue stores;
    what was understood is shown back on stderr (stdout stays the id, for scripts) unless it was typed as
    stored. For an update, a missing one is the item's stored value (an end alone is read from its
    beginning)."""
    typed = {name: fields.get(name) for name in ("begins", "ends")}
    repeat, until = fields.get("repeat"), fields.get("until")
    if until is not None and repeat is None:
        raise InputError("repeat.error.until_alone", field="until")
    if typed["begins"] is None and typed["ends"] is None and repeat is None:
        return
    stored = {"begins": "", "ends": ""}
    if item_id is not None and None in typed.values():
        current = ctx.call("item.show", item_id=item_id)
        stored = {name: str(current.get(name) or "") for name in stored}
    lang = ctx.lang()
    begins, ends = parse_span(
        typed["begins"] if typed["begins"] is not None else stored["begins"],
        typed["ends"] if typed["ends"] is not None else stored["ends"],
        lang,
    )
    understood = {"begins": begins.iso() if begins else "", "ends": ends.iso() if ends else ""}
    for name, text in typed.items():
        if text is not None:
            fields[name] = understood[name]
    shown_back = describe_span(begins, ends, lang)
    if repeat is not None and repeat.strip().lower() != "none":
        last = ""
        if until is not None:
            try:
                last = parse_when(until, lang).day.isoformat()
            except InputError as error:
                raise InputError(error.key, field="until", **error.params) from None
        checked = parse_repeat(repeat, last, understood["begins"])  # here, for its error in our language
        fields["until"] = checked.until
        assert begins is not None  # parse_repeat refuses a repetition without a beginning
        repeating = describe_repeat(checked.freq.value, checked.until, begins.day, lang)
        shown_back = t("cli.when.repeating", lang, when=shown_back, repeat=repeating)
    typed_otherwise = any(
        text is not None and text.strip() != understood[name] for name, text in typed.items()
    )
    if typed_otherwise or (until is not None and until.strip() != fields["until"]):
        click.echo(say("cli.when.understood", when=clean(shown_back)), err=True)


def _add_item(ctx: Context, kind: str, fields: dict[str, Any]) -> None:
    if not fields.get("title"):
        fail(say("cli.item.needs_title"))
    _read_dates(ctx, fields)
    echo(ctx.call("item.add", kind=kind, **_item_fields(fields))["id"])


SEARCH_HELP = (
    "Words that must all appear (in the title, text, place, tags or author's name; 'velo' finds 'Vélo')."
)


@click.group()
def item() -> None:
    """Offers, needs, calls for contribution, events and knowledge seeds."""


@item.command("add")
@click.argument("kind")
@_item_options
@pass_ctx
def item_add(ctx: Context, /, kind: str, **fields: Any) -> None:
    """Publish an item of KIND (offer, need, call, event, seed); prints its id."""
    _add_item(ctx, kind, fields)


def _make_shortcut(kind: ItemKind) -> click.Group:
    @click.group(name=kind.value, help=f"Shortcut for 'reliance item ... {kind.value}'.")
    def group() -> None:
        pass

    @group.command("add", help=f"Publish a new {kind.value}; prints its id.")
    @_item_options
    @pass_ctx
    def add(ctx: Context, /, **fields: Any) -> None:
        _add_item(ctx, kind.value, fields)

    @group.command("list", help=f"List {kind.value} items.")
    @_list_options()
    @pass_ctx
    def list_(ctx: Context, /, **filters: Any) -> None:
        _list_items(ctx, (kind.value,), **filters)

    return group


def places_left(seen: dict[str, Any]) -> str:
    """« 2 places restantes », "Full, 1 on the waiting list"; "" for an item without a capacity."""
    return places_text(seen["capacity"], len(seen["coming"]), len(seen["waiting"]), message_lang())


def _plain_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer as `--json` has always shown it (the author's name is for the text output)."""
    plain = {k: v for k, v in answer.items() if k != "author_name"}
    if "replies" in plain:
        plain["replies"] = [{k: v for k, v in r.items() if k != "author_name"} for r in plain["replies"]]
    return plain


def _list_items(
    ctx: Context,
    kinds: tuple[str, ...],
    tags: tuple[str, ...],
    author: str | None,
    status: str | None,
    search: str | None,
    as_json: bool,
) -> None:
    items = ctx.call(
        "item.list",
        kinds=list(kinds),
        tags=list(tags),
        author=canonical_peer(author) if author else None,
        status=status,
        search=search,
    )
    if as_json:
        emit_json([i | {"answers": [_plain_answer(a) for a in i["answers"]]} for i in items])
        return
    if not items:
        echo(say("cli.item.nothing_found"))
    lang = ctx.lang()
    for found in items:
        who = clean(found["author_name"] or found["author"][:14])
        tags_text = clean(" ".join("#" + t for t in found["tags"]))
        title = " · ".join(clean(part) for part in (found["title"], *_when_and_where(found, lang)))
        kind, status_text = clean(found["kind"]), clean(found["status"])
        places = places_left(found["attendance"])
        places = f"  [{places}]" if places else ""
        echo(f"{clean(found['id'])}  {kind:6} {status_text:9} {title}{places}  — {who} {tags_text}")


def _when_and_where(found: dict[str, Any], lang: str) -> list[str]:
    """When an item happens (in words, with its repetition) and where, as far as they are known and can be
    read (a peer's item may hold anything)."""
    parts: list[str] = []
    try:
        begins = When.from_iso(found["begins"]) if found.get("begins") else None
        ends = When.from_iso(found["ends"]) if found.get("ends") and begins else None
    except InputError:
        begins = ends = None
    if begins is not None:
        when = describe_span(begins, ends, lang)
        repeat = found.get("repeat") or {}
        repeating = describe_repeat(
            str(repeat.get("freq", "")), str(repeat.get("until", "")), begins.day, lang
        )
        parts.append(t("cli.when.repeating", lang, when=when, repeat=repeating) if repeating else when)
    if found.get("place"):
        parts.append(str(found["place"]))
    return parts


@item.command("list")
@click.option("--kind", "kinds", multiple=True)
@_list_options(author_help="Peer id of the author.")
@pass_ctx
def item_list(ctx: Context, /, kinds: tuple[str, ...], **filters: Any) -> None:
    """List items of everyone you know, newest first."""
    _list_items(ctx, kinds, **filters)


@item.command("show")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def item_show(ctx: Context, item_id: str, as_json: bool) -> None:
    """Show one item and the answers it received."""
    data = ctx.call("item.show", item_id=item_id.strip())
    answers = data["answers"]
    if as_json:
        emit_json(data | {"answers": [_plain_answer(a) for a in answers]})
        return
    for key in (
        "id",
        "kind",
        "title",
        "status",
        "author",
        "place",
        "begins",
        "ends",
        "reciprocity",
        "project",
    ):
        if data.get(key):
            echo(f"{key + ':':13}{clean(str(data[key]))}")
    if data["tags"]:
        echo(f"{'tags:':13}{clean(' '.join('#' + t for t in data['tags']))}")
    places = places_left(data["attendance"])
    if places:
        echo(say("cli.item.places", places=places))
    if data["description"]:
        echo()
        echo(data["description"])
    lang = message_lang()
    waiting = {peer: n for n, peer in enumerate(data["attendance"]["waiting"], start=1)}
    for answer in answers:
        who = clean(answer["author_name"] or answer["author"][:14])
        line = f"  ↳ {answer_label(clean(answer['kind']), lang)} — {who}"
        if answer["message"]:
            line += f": {clean(answer['message'])}"
        if answer["kind"] == "coming" and answer["author"] in waiting:
            line += "  (" + say("cli.item.waiting_position", position=waiting[answer["author"]]) + ")"
        echo(f"{line}  [{clean(answer['id'])}]")
        if answer.get("contact"):
            echo("      " + say("cli.item.contact", contact=clean(answer["contact"])))
        for reply in answer.get("replies", []):
            who = clean(reply["author_name"] or reply["author"][:14])
            echo(f"      ↪ {who}: {clean(reply['message'])}")
            if reply.get("contact"):
                echo("        " + say("cli.item.contact", contact=clean(reply["contact"])))


@item.command("update")
@click.argument("item_id")
@_item_options
@pass_ctx
def item_update(ctx: Context, /, item_id: str, **fields: Any) -> None:
    """Change fields of one of your items."""
    if not _item_fields(fields):
        fail(say("cli.item.nothing_to_update"))
    _read_dates(ctx, fields, item_id.strip())
    echo(ctx.call("item.update", item_id=item_id.strip(), **_item_fields(fields))["id"])


@item.command("archive")
@click.argument("item_id")
@pass_ctx
def item_archive(ctx: Context, item_id: str) -> None:
    """Archive one of your items."""
    echo(ctx.call("item.archive", item_id=item_id.strip())["id"])


@item.command("answer")
@click.argument("item_id")
@click.option("--kind", help="can_help (default), interested or coming.")
@click.option("--message", default="")
@click.option("--contact", help="How to reach you, or where to meet (one line).")
@click.option("--withdraw", is_flag=True, help="Take back your answer (of --kind) instead.")
@pass_ctx
def item_answer(
    ctx: Context, item_id: str, kind: str | None, message: str, contact: str | None, withdraw: bool
) -> None:
    """Answer someone's item ("I can help", "I'm interested", "I'm coming"); it reaches its author by sync.
    Answering again with the same kind updates your answer."""
    result = ctx.call(
        "item.answer", item_id=item_id.strip(), kind=kind, message=message, contact=contact, withdraw=withdraw
    )
    if withdraw:
        for gone in result["withdrawn"][:1]:
            echo(say("rsvp.withdrawn", answer=answer_label(gone["kind"], message_lang())))
        return
    echo(result["id"])


@item.command("reply")
@click.argument("answer_id")
@click.option("--message", default="")
@click.option("--contact", default="", help="How to reach you, or where to meet (one line).")
@pass_ctx
def item_reply(ctx: Context, answer_id: str, message: str, contact: str) -> None:
    """Write under an answer (ids in 'item show'): as the item's author, or as the answer's author."""
    echo(ctx.call("item.reply", answer_id=answer_id.strip(), message=message, contact=contact)["id"])


@item.command("withdraw")
@click.argument("item_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def item_withdraw(ctx: Context, item_id: str, yes: bool) -> None:
    """Withdraw one of your items for everyone (it disappears at each peer's next sync)."""
    shown = ctx.call("item.show", item_id=item_id.strip())
    if shown["author"] != ctx.call("whoami")["peer_id"]:
        fail(say("error.not_mine"))
    title = clean(shown["title"])
    if not yes:
        if not sys.stdin.isatty():
            fail(say("cli.item.withdraw_needs_yes", title=title))
        if not click.confirm(say("cli.item.withdraw_question", title=title), default=False):
            echo(say("cli.item.kept"))
            return
    ctx.call("item.withdraw", item_id=item_id.strip())
    echo(say("cli.item.withdrawn", title=title))


def register(cli: click.Group) -> None:
    cli.add_command(item)
    for kind in ItemKind:
        cli.add_command(_make_shortcut(kind))
