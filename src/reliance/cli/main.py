"""The `reliance` command line. Every failure is one readable line on stderr and a non-zero exit."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from reliance.app.home import resolve_home
from reliance.app.workspace import Workspace
from reliance.display import clean, escape_json, json_text
from reliance.errors import RelianceError
from reliance.i18n import LANGS, answer_label, kind_short, resolve_lang, section_hint, t
from reliance.identity import canonical_peer, key_is_encrypted
from reliance.model.catalogue import ItemKind, parse_repeat
from reliance.model.codesocial import SECTIONS, section_id
from reliance.model.dates import When, describe_day, describe_repeat, describe_span, parse_span, parse_when
from reliance.model.messages import InputError
from reliance.model.rsvp import places_text

if TYPE_CHECKING:
    from reliance.localapi.client import ApiClient
    from reliance.localapi.ops import LocalApi


class Context:
    def __init__(self, home: Path, passphrase_file: str | None, ask_passphrase: bool) -> None:
        self.home = home
        self.passphrase_file = passphrase_file
        self.ask_passphrase = ask_passphrase
        self._workspace: Workspace | None = None
        self._lang: str | None = None
        self._owner: ApiClient | None = None
        self._owner_checked = False
        self._local: LocalApi | None = None
        self.direct_writes = False  # this command wrote the store itself: a running owner is told after

    def owner(self) -> ApiClient | None:
        """The running owner of this home (`reliance serve` or the app), through the local API; None when
        no process owns it."""
        if not self._owner_checked:
            from reliance.app import settings
            from reliance.localapi.client import connect_owner

            self._owner_checked = True
            self._owner = connect_owner(self.home, settings.load_limits(self.home))
        return self._owner

    def call(self, op: str, **args: Any) -> Any:
        """A local API operation: run by the owner when one runs, else here on the store itself."""
        owner = self.owner()
        if owner is not None:
            return owner.call(op, args)
        if self._workspace is None:
            from reliance.cli.reading import reading_api

            reading = reading_api(self, op)  # a read never asks for the passphrase
            if reading is not None:
                return reading.call(op, args)
        if self._local is None:
            from reliance.localapi.ops import LocalApi

            self._local = LocalApi(self.workspace())
        return self._local.call(op, args)

    def writing_workspace(self) -> Workspace:
        """The store itself, for a command that writes it directly (not through the local API)."""
        self.direct_writes = True
        return self.workspace()

    def finish(self) -> None:
        """After the command: an owner beside us reads again what we wrote directly, and announces it."""
        if self.direct_writes and self._workspace is not None:
            from reliance.i18n import t
            from reliance.localapi.client import connect_owner

            try:
                owner = self._owner if self._owner_checked else connect_owner(self.home)
                if owner is not None:
                    owner.call("refresh", {})
            except RelianceError as exc:
                self.warn(t("localapi.direct_after", self.lang(), error=str(exc)))
        if self._owner is not None:
            self._owner.close()

    def passphrase_from_file(self) -> bytes | None:
        """The passphrase given with --passphrase-file, or None without one."""
        if not self.passphrase_file:
            return None
        try:
            text = Path(self.passphrase_file).read_text("utf-8").strip("\r\n")
        except OSError as exc:
            raise RelianceError(say("cli.passphrase.unreadable", reason=exc.strerror)) from None
        if not text:
            raise RelianceError(say("cli.passphrase.empty"))
        return text.encode()

    def passphrase(self, *, confirm: bool = False) -> bytes | None:
        if self.passphrase_file:
            return self.passphrase_from_file()
        if self.ask_passphrase or (not confirm and key_is_encrypted(self.home)):
            if not sys.stdin.isatty() and not self.ask_passphrase:
                raise RelianceError(say("cli.passphrase.needed"))
            value = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
            return str(value).encode() or None
        return None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace.open(self.home, self.passphrase())
            for notice in self._workspace.notices:  # e.g. an interrupted bundle import, completed now
                self.warn(notice.message(self.lang()))
        return self._workspace

    def warn(self, text: str) -> None:
        """One line on stderr that does not stop the command."""
        click.echo(t("cli.warning", self.lang(), text=clean(text)), err=True)

    def lang(self) -> str:
        """The language of messages: the configured one, else the locale's."""
        from reliance.app import settings

        if self._lang is None:
            try:
                configured = str(settings.load_config(self.home).get("lang") or "")
            except RelianceError:
                configured = ""
            self._lang = resolve_lang(configured)
            _LAST_LANG[:] = [self._lang]
        return self._lang


pass_ctx = click.make_pass_decorator(Context)


class WarningLines(logging.Handler):
    """Where the library's warnings go when nothing else takes them (every command but `serve`, which logs,
    and the app, which logs to a file): one inert, translated `reliance: warning:` line each, never a
    traceback. Python's own last resort would print them raw, and a peer's text may be in them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string: its text as it is
            text = str(record.msg)
        current = click.get_current_context(silent=True)
        ours = current.find_object(Context) if current is not None else None
        if ours is not None:
            ours.warn(text)
        else:
            click.echo(t("cli.warning", resolve_lang(""), text=clean(text)), err=True)


F = TypeVar("F", bound=Callable[..., Any])


def emit_json(value: Any) -> None:
    """JSON for programs: every string exactly as stored, control and bidi characters escaped (\\uXXXX)."""
    click.echo(json_text(value))


def echo(text: str = "", *, nl: bool = True, err: bool = False) -> None:
    """Print for people: foreign text in `text` is shown inert (`display.clean`; single-line fields are
    cleaned on their own with `clean` before, so that they cannot start a line of their own)."""
    click.echo(clean(text, multiline=True), nl=nl, err=err)


def fail(message: str) -> NoReturn:
    raise RelianceError(message)


# The language of the last command's messages, for the lines `main` prints once its context is gone.
_LAST_LANG: list[str] = []


def message_lang() -> str:
    """The language of this command's messages: the home's configured one, else the locale's."""
    current = click.get_current_context(silent=True)
    ours = current.find_object(Context) if current is not None else None
    if ours is not None:
        return ours.lang()
    return _LAST_LANG[0] if _LAST_LANG else resolve_lang()


def say(key: str, **params: object) -> str:
    """The catalogue's text `key` in the language of this command's messages."""
    return t(key, message_lang(), **params)


def warn_unreadable(ctx: Context, doc_id: str, error: Exception) -> None:
    """A document left out of a listing or an export because it cannot be read: one line on stderr."""
    ctx.warn(t("cli.unreadable_skipped", ctx.lang(), doc=doc_id, reason=error))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", "home", type=click.Path(file_okay=False), help="Profile directory (default: RELIANCE_HOME)."
)
@click.option(
    "--passphrase-file", type=click.Path(dir_okay=False), help="Read the key's passphrase from FILE."
)
@click.option("--passphrase", "ask_passphrase", is_flag=True, help="Prompt for the key's passphrase.")
@click.version_option(package_name="reliance")
@click.pass_context
def cli(ctx: click.Context, home: str | None, passphrase_file: str | None, ask_passphrase: bool) -> None:
    """reliance: your social code, offers and needs, and project ledgers, shared peer to peer."""
    ctx.obj = Context(resolve_home(home), passphrase_file, ask_passphrase)
    ctx.obj.lang()  # now: an error raised before anything else asked is said in the home's language too
    ctx.call_on_close(ctx.obj.finish)
    if ctx.invoked_subcommand is None:
        from reliance.tui.app import run_app

        run_app(ctx.obj.home, ctx.obj.passphrase_from_file())  # without a file, the app asks itself


# -- identity ------------------------------------------------------------------------------------------------


@cli.command()
@click.option("--name", help="Your name as others will see it.")
@click.option(
    "--new-history",
    is_flag=True,
    help="Identity restored but its document lost everywhere: start the document again.",
)
@pass_ctx
def init(ctx: Context, name: str | None, new_history: bool) -> None:
    """Create this device's identity (never replaces an existing one)."""
    if new_history:
        _start_new_history(ctx)
        return
    if not name:
        fail(say("cli.init.name_required"))
    workspace = Workspace.create(ctx.home, name, ctx.passphrase(confirm=True))
    echo(say("cli.init.created", name=workspace.identity.name))
    echo(say("cli.init.peer_id", peer_id=workspace.peer_id))
    echo(say("cli.init.fingerprint", fingerprint=workspace.identity.fingerprint))


def _start_new_history(ctx: Context) -> None:
    ws = ctx.writing_workspace()
    ws.start_my_document()
    echo(say("cli.init.new_history", peer=ws.peer_id[:14]))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def whoami(ctx: Context, as_json: bool) -> None:
    """Show your name, peer id and fingerprint."""
    info = ctx.call("whoami")
    if as_json:
        emit_json(info)
        return
    for key in ("name", "peer_id", "fingerprint", "home"):  # a name an older version let in: inert
        echo(f"{key.replace('_', ' ') + ':':13}{clean(info[key])}")


# -- social code ---------------------------------------------------------------------------------------------


@cli.group()
def code() -> None:
    """Your social code (#CodeSocial), or a project's with --project."""


def _resolve_doc(ws: Workspace, project: str | None) -> str | None:
    if project is None:
        return None
    from reliance.app.projects import resolve_project

    return resolve_project(ws, project)


@code.command("show")
@click.option("--section", help="Only this section.")
@click.option("--project", help="A project's social code.")
@click.option("--peer", help="Someone else's social code (peer id).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=click.Choice(LANGS), help="Language of the headings (default: the home's).")
@pass_ctx
def code_show(
    ctx: Context, section: str | None, project: str | None, peer: str | None, as_json: bool, lang: str | None
) -> None:
    """Print the social code."""
    texts = ctx.call("code.show", project=project, peer=canonical_peer(peer) if peer else None)
    chosen = [section_id(section)] if section else [s.id for s in SECTIONS]
    if as_json:
        emit_json({sid: texts.get(sid, "") for sid in chosen})
        return
    lang = lang or ctx.lang()
    for sid in chosen:
        label = next(s for s in SECTIONS if s.id == sid).label(lang)
        echo(f"## {label} ({sid})")
        echo(texts.get(sid, "") or f"— {section_hint(sid, lang)}")  # an empty one says what goes in it
        echo()


def _read_text_arg(text: str | None, file: str | None) -> str:
    if (text is None) == (file is None):
        fail(say("cli.code.text_or_file"))
    if file is not None:
        try:
            return Path(file).read_text("utf-8") if file != "-" else sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            fail(say("cli.cannot_read", file=file, reason=getattr(exc, "strerror", None) or exc))
    return text or ""


@code.command("set")
@click.argument("section")
@click.argument("text", required=False)
@click.option("--file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--project", help="A project's social code (members only).")
@pass_ctx
def code_set(ctx: Context, section: str, text: str | None, file: str | None, project: str | None) -> None:
    """Write SECTION's text."""
    sid = section_id(section)
    content = _read_text_arg(text, file)
    changed = ctx.call("code.set", section=sid, text=content, project=project)["changed"]
    echo(say("cli.code.saved" if changed else "cli.code.unchanged", section=sid))


@code.command("edit")
@click.argument("section")
@click.option("--project")
@pass_ctx
def code_edit(ctx: Context, section: str, project: str | None) -> None:
    """Edit SECTION in $EDITOR."""
    sid = section_id(section)
    current = str(ctx.call("code.show", project=project).get(sid, ""))
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w+", suffix=f"-{sid}.md", encoding="utf-8", delete=False) as handle:
        handle.write(current)
        path = handle.name
    try:
        try:
            status = subprocess.call([*editor.split(), path])
        except OSError as exc:
            fail(say("cli.code.editor_failed", editor=repr(editor), reason=exc.strerror))
        if status != 0:
            fail(say("cli.code.editor_status", status=status))
        content = Path(path).read_text("utf-8")
    finally:
        os.unlink(path)
    changed = ctx.call("code.set", section=sid, text=content, project=project)["changed"]
    echo(say("cli.code.saved" if changed else "cli.code.unchanged", section=sid))


@code.command("history")
@click.option("--project")
@click.option("--peer")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def code_history(ctx: Context, project: str | None, peer: str | None, as_json: bool) -> None:
    """Who changed which section, when."""
    ws = ctx.workspace()
    if project:
        from reliance.app.projects import project_history

        history = project_history(ws, _resolve_doc(ws, project) or "")
    else:
        history = ws.history(canonical_peer(peer) if peer else None)
    if as_json:
        emit_json([a.to_json() | {"by_name": ws.participant_name(a.by)} for a in history])
        return
    if not history:
        echo(say("cli.code.no_amendment"))
    for amendment in history:
        who = clean(ws.participant_name(amendment.by) or amendment.by[:14])
        section, at = clean(amendment.section), clean(amendment.at)
        echo(f"{at}  {section:28} {who}  +{amendment.added} -{amendment.removed}")


# -- catalogue -----------------------------------------------------------------------------------------------


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


@cli.group()
def item() -> None:
    """Offers, needs, calls for contribution, events and knowledge seeds."""


@item.command("add")
@click.argument("kind")
@_item_options
@pass_ctx
def item_add(ctx: Context, /, kind: str, **fields: Any) -> None:
    """Publish an item of KIND (offer, need, call, event, seed); prints its id."""
    _add_item(ctx, kind, fields)


def _make_shortcut(kind: ItemKind) -> None:
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

    cli.add_command(group)


for _kind in ItemKind:
    _make_shortcut(_kind)


def _places_text(seen: dict[str, Any]) -> str:
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
        places = _places_text(found["attendance"])
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
    places = _places_text(data["attendance"])
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


# -- programme -----------------------------------------------------------------------------------------------


@cli.command("programme")
@click.option("--day", help="Only this day, as people write it: 14/07/2026, '14 juillet', samedi, demain.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (days, entries, undated events).")
@pass_ctx
def programme_cmd(ctx: Context, day: str | None, as_json: bool) -> None:
    """Events, and offers, needs and calls with a date, day by day, with their time and place."""
    lang = ctx.lang()
    chosen = ""
    if day is not None:
        try:
            chosen = parse_when(day, lang).day.isoformat()
        except InputError as error:
            raise InputError(error.key, field="day", **error.params) from None
    data = ctx.call("programme", start=chosen or None, end=chosen or None)
    if chosen:
        data["undated"] = []  # a day was asked for: events without one are not on it
    if as_json:
        emit_json(data)
        return
    if not data["days"] and not data["undated"]:
        echo(say("cli.programme.empty_day" if chosen else "cli.programme.empty"))
    for index, listed in enumerate(data["days"]):
        if index:
            echo()
        echo(describe_day(date.fromisoformat(listed["day"]), lang))
        for entry in listed["entries"]:
            echo("  " + _programme_line(entry, lang))
    if data["undated"]:
        if data["days"]:
            echo()
        echo(t("programme.no_date", lang))
        for entry in data["undated"]:
            echo("  " + _programme_line(entry, lang))


def _programme_line(entry: dict[str, Any], lang: str) -> str:
    """« 10:00–12:00  Atelier pain (Offre) · Fournil — Zoé »: the time on that day, what, where (and the
    places left, for an item with a capacity), who."""
    starts, ends = entry.get("starts_at"), entry.get("ends_at")
    if starts and ends:
        when = f"{starts}–{ends}"
    elif starts:
        when = starts
    elif ends:
        when = f"…–{ends}"
    elif "day" in entry or "starts_at" in entry:
        when = t("programme.all_day", lang)
    else:
        when = ""
    title = clean(entry["title"])
    if entry["kind"] != ItemKind.EVENT.value:
        title = t("cli.programme.with_kind", lang, title=title, kind=kind_short(str(entry["kind"]), lang))
    place = clean(entry.get("place") or "")
    who = clean(entry.get("author_name") or entry["author"][:14])
    what = f"{title} · {place}" if place else title
    places = _places_text(entry["attendance"])
    if places:
        what += f"  [{places}]"
    return f"{when:11}  {what}  — {who}" if when else f"{what}  — {who}"


# -- export --------------------------------------------------------------------------------------------------


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "jsonld", "csv", "ics"]),
    default="json",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
@click.option("--project", help="For csv: the project whose ledger to export.")
@click.option(
    "--content",
    type=click.Choice(["code", "catalogue", "programme"]),
    default="code",
    show_default=True,
    help="For markdown: your social code and items, or the catalogue or programme for printing.",
)
@click.option("--delimiter", help="For csv: the field separator (default: ; in French, , in English; tab).")
@click.option("--lang", type=click.Choice(LANGS), help="The reader's language (default: yours).")
@pass_ctx
def export_cmd(
    ctx: Context,
    fmt: str,
    output: str | None,
    project: str | None,
    content: str,
    delimiter: str | None,
    lang: str | None,
) -> None:
    """Export everything you hold (json, jsonld), your social code and items or the catalogue or programme
    (markdown), a project's ledger (csv), the programme as a calendar (ics)."""
    from reliance.export import exporters

    ws = ctx.workspace()
    text = exporters.export(
        ws,
        fmt,
        project=project,
        lang=lang or ctx.lang(),
        content=content,
        delimiter=delimiter,
        on_unreadable=lambda d, e: warn_unreadable(ctx, d, e),
    )
    if output:
        try:
            Path(output).write_bytes(text.encode("utf-8"))  # as is: CRLF for csv and ics, the BOM for csv
        except OSError as exc:
            fail(say("cli.cannot_write", file=output, reason=exc.strerror))
        echo(say("cli.wrote", file=output))
    elif fmt in ("json", "jsonld"):
        click.echo(escape_json(text), nl=not text.endswith("\n"))  # exact text, escaped
    else:
        echo(text, nl=not text.endswith("\n"))


def register_extensions() -> None:
    """Commands defined beside their features (projects, sync, network)."""
    from reliance.cli import arrived as cli_arrived
    from reliance.cli import network as cli_network
    from reliance.cli import passphrase as cli_passphrase
    from reliance.cli import projects as cli_projects

    cli_projects.register(cli)
    cli_network.register(cli)
    cli_arrived.register(cli)
    cli_passphrase.register(cli)


def main(argv: list[str] | None = None) -> int:
    register_extensions()
    last_resort, logging.lastResort = logging.lastResort, WarningLines()
    try:
        result = cli.main(args=argv, prog_name="reliance", standalone_mode=False)
        if isinstance(result, int):  # click returns an Exit's code instead of raising it here
            return result
    except click.exceptions.Abort:
        click.echo(say("cli.aborted"), err=True)
        return 130
    except click.ClickException as exc:
        click.echo(say("cli.error", text=clean(exc.format_message())), err=True)
        return exc.exit_code or 2
    except InputError as exc:  # a value typed on the command line: its option named, in the language
        text = exc.text(message_lang())
        if exc.field:
            text = say("cli.option_error", option="--" + exc.field, text=text)
        click.echo(say("cli.error", text=clean(text)), err=True)
        return 1
    except RelianceError as exc:
        text = str(exc)
        click.echo(say("cli.error", text=clean(text)), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo(say("cli.interrupted"), err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, never a traceback
        click.echo(say("cli.unexpected", kind=type(exc).__name__, text=clean(str(exc))), err=True)
        return 1
    finally:
        logging.lastResort = last_resort
    return 0


if __name__ == "__main__":
    sys.exit(main())
