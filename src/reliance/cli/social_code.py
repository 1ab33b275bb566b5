"""Commands for the social code (#CodeSocial): yours, a project's or a peer's; show, set, edit, history."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from reliance.app.workspace import Workspace
from reliance.cli.context import Context, echo, emit_json, fail, pass_ctx, say
from reliance.display import clean
from reliance.i18n import LANGS, section_hint
from reliance.identity import canonical_peer
from reliance.model.codesocial import SECTIONS, section_id


@click.group()
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


def register(cli: click.Group) -> None:
    cli.add_command(code)
