"""Command-line commands for projects, blocking and offline bundles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reliance import projects, settings
from reliance.cli import Context, emit_json, fail, pass_ctx


@click.group()
def project() -> None:
    """Shared projects: members, social code and ledger."""


@project.command("create")
@click.argument("name")
@pass_ctx
def project_create(ctx: Context, name: str) -> None:
    """Create a project (you are its steward); prints its id."""
    click.echo(projects.create_project(ctx.workspace(), name))


@project.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_list(ctx: Context, as_json: bool) -> None:
    """Every project you hold."""
    ws = ctx.workspace()
    found = projects.list_projects(ws)
    if as_json:
        emit_json([p.to_json() for p in found])
        return
    if not found:
        click.echo("no project yet")
    for summary in found:
        role = summary.members.get(ws.peer_id)
        mine = f" ({role.role})" if role else ""
        click.echo(f"{summary.id}  {summary.name}  — {len(summary.members)} members{mine}")


@project.command("show")
@click.argument("project_ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_show(ctx: Context, project_ref: str, as_json: bool) -> None:
    """A project's members and roles."""
    ws = ctx.workspace()
    summary = projects.summary(ws, project_ref)
    if as_json:
        emit_json(summary.to_json())
        return
    click.echo(f"{summary.name}  ({summary.id})")
    click.echo(f"created {summary.created} by {ws.participant_name(summary.creator) or summary.creator}")
    for member in sorted(summary.members.values(), key=lambda m: (m.role != "steward", m.peer_id)):
        click.echo(f"  {member.role:8} {ws.participant_name(member.peer_id) or '?':20} {member.peer_id}")


@project.command("add-member")
@click.argument("project_ref")
@click.argument("peer_id")
@click.option("--role", type=click.Choice(["member", "steward"]), default="member", show_default=True)
@pass_ctx
def project_add_member(ctx: Context, project_ref: str, peer_id: str, role: str) -> None:
    """Add PEER_ID to the project, or change their role (stewards only)."""
    projects.add_member(ctx.workspace(), project_ref, peer_id, role)
    click.echo(f"{peer_id.strip()[:14]}… is now {role}")


@project.command("remove-member")
@click.argument("project_ref")
@click.argument("peer_id")
@pass_ctx
def project_remove_member(ctx: Context, project_ref: str, peer_id: str) -> None:
    """Remove PEER_ID from the project (stewards only)."""
    projects.remove_member(ctx.workspace(), project_ref, peer_id)
    click.echo(f"{peer_id.strip()[:14]}… removed")


@project.command("contribute")
@click.argument("project_ref")
@click.option("--kind", required=True, type=click.Choice(sorted(projects.CONTRIBUTION_KINDS)))
@click.option("--amount", required=True, type=int, help="Whole minor units: minutes, cents, grams…")
@click.option("--unit", required=True, help="e.g. min, EUR-cent, kg.")
@click.option("--note", default="")
@click.option("--dim", "dims", multiple=True, help="Wealth-matrix dimension NAME=INT (repeat).")
@pass_ctx
def project_contribute(
    ctx: Context, project_ref: str, kind: str, amount: int, unit: str, note: str, dims: tuple[str, ...]
) -> None:
    """Record a contribution of time, money, resource or knowledge; prints the entry id."""
    dimensions: dict[str, int] = {}
    for dim in dims:
        name, sep, value = dim.partition("=")
        if not sep or not name.strip() or not value.strip().lstrip("-").isdigit():
            fail(f"--dim takes NAME=INTEGER, not {dim!r}")
        dimensions[name.strip().lower()] = int(value)
    click.echo(projects.contribute(ctx.workspace(), project_ref, kind, amount, unit, note, dimensions))


@project.command("ledger")
@click.argument("project_ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_ledger(ctx: Context, project_ref: str, as_json: bool) -> None:
    """Every ledger entry, oldest first."""
    ws = ctx.workspace()
    rows = projects.ledger(ws, project_ref)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no entry yet")
    for row in rows:
        who = ws.participant_name(row["member"] or "") or (row["member"] or "")[:14]
        note = f"  {row['note']}" if row.get("note") else ""
        click.echo(
            f"{row['at']}  {row['id']}  {row['kind']:12} {row['amount']:>10} {row['unit']:8} {who}{note}"
        )


# -- blocking --------------------------------------------------------------------------------------------------


@click.command("block")
@click.argument("peer_id")
@click.option("--reason", default="")
@pass_ctx
def block_cmd(ctx: Context, peer_id: str, reason: str) -> None:
    """Refuse and stop relaying PEER_ID's changes."""
    changed = settings.block(ctx.home, peer_id, reason)
    click.echo("blocked" if changed else "already blocked")


@click.command("unblock")
@click.argument("peer_id")
@pass_ctx
def unblock_cmd(ctx: Context, peer_id: str) -> None:
    """Accept PEER_ID's changes again."""
    changed = settings.unblock(ctx.home, peer_id)
    click.echo("unblocked" if changed else "was not blocked")


@click.command("blocks")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def blocks_cmd(ctx: Context, as_json: bool) -> None:
    """List blocked peers."""
    entries = settings.blocks(ctx.home)
    if as_json:
        emit_json(entries)
        return
    if not entries:
        click.echo("nobody is blocked")
    for entry in entries:
        reason = f"  ({entry['reason']})" if entry.get("reason") else ""
        click.echo(f"{entry['peer_id']}  since {entry.get('since', '?')}{reason}")


# -- bundles ---------------------------------------------------------------------------------------------------


@click.group()
def bundle() -> None:
    """Carry documents offline, in one file."""


@bundle.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--doc", "docs", multiple=True, help="Document id (repeat); default: all held.")
@pass_ctx
def bundle_export(ctx: Context, file: str, docs: tuple[str, ...]) -> None:
    """Write every signed change of the chosen documents to FILE."""
    from reliance.sync.bundle import export_bundle

    ws = ctx.workspace()
    chosen = list(docs) or ws.repo.doc_ids()
    for doc_id in chosen:
        if not ws.repo.exists(doc_id):
            fail(f"no document {doc_id} in this store")
    count = export_bundle(ws.repo, Path(file), chosen, ws.peer_id, settings.blocked_keys(ctx.home))
    click.echo(f"wrote {count} changes of {len(chosen)} documents to {file}")


@bundle.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def bundle_import(ctx: Context, file: str, as_json: bool) -> None:
    """Verify FILE and apply it; a tampered or unauthorised bundle changes nothing."""
    from reliance.sync.bundle import import_bundle

    ws = ctx.workspace()
    summary = import_bundle(ws.repo, Path(file), settings.blocked_keys(ctx.home))
    rows: list[dict[str, Any]] = [
        {
            "doc": o.doc_id,
            "added": len(o.applied),
            "waiting": len(o.pending),
            "already_had": o.duplicate,
            "blocked": o.blocked,
            "new_document": o.created,
        }
        for o in summary.outcomes
    ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        if row["added"] or row["waiting"] or row["new_document"]:
            extra = f", {row['waiting']} waiting for earlier changes" if row["waiting"] else ""
            click.echo(f"{row['doc']}: {row['added']} changes added{extra}")
    click.echo(f"imported {summary.applied} new changes")


def register(cli: click.Group) -> None:
    for command in (project, block_cmd, unblock_cmd, blocks_cmd, bundle):
        cli.add_command(command)
