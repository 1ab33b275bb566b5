"""Command-line commands for projects, blocking and offline bundles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reliance.app import projects, settings
from reliance.app.workspace import Workspace
from reliance.cli.context import Context, echo, emit_json, fail, message_lang, pass_ctx, say, warn_unreadable
from reliance.display import clean
from reliance.economy import DimensionError, format_amount, parse_dimensions, policy_to_data
from reliance.errors import ModelError, RelianceError
from reliance.i18n import LANGS, plural_key, rule_label, weight_label
from reliance.jsontext import parse_json
from reliance.model.amounts import parse_amount
from reliance.model.messages import InputError
from reliance.store.repository import DocKind, doc_kind

BEGINNING = "2000-01-01"  # the start of a period not given: before any ledger entry


@click.group()
def project() -> None:
    """Shared projects: members, social code and ledger."""


VISIBILITY_KEYS = {"members": "cli.project.visibility.members", "public": "cli.project.visibility.public"}


@project.command("create")
@click.argument("name")
@click.option(
    "--visibility",
    type=click.Choice(["members", "public"]),
    default="members",
    show_default=True,
    help="members: its document goes only to its members' devices; public: to anyone who syncs.",
)
@pass_ctx
def project_create(ctx: Context, name: str, visibility: str) -> None:
    """Create a project (you are its steward); prints its id."""
    echo(ctx.call("project.create", name=name, visibility=visibility)["id"])


@project.command("visibility")
@click.argument("project_ref")
@click.argument("visibility", type=click.Choice(["members", "public"]))
@pass_ctx
def project_visibility(ctx: Context, project_ref: str, visibility: str) -> None:
    """Who receives the project's document: its members' devices, or anyone (stewards only).

    Copies already sent to others stay with them: making a public project members-only stops further
    sending, it cannot take back what was sent."""
    done = ctx.call("project.visibility", project=project_ref, visibility=visibility)
    echo(
        say(
            "cli.project.visibility_now",
            name=clean(done["name"]),
            visibility=say(VISIBILITY_KEYS[visibility]),
        )
    )


@project.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_list(ctx: Context, as_json: bool) -> None:
    """Every project you hold."""
    ws = ctx.reading_workspace()
    found = projects.list_projects(ws, lambda doc_id, exc: warn_unreadable(ctx, doc_id, exc))
    if as_json:
        emit_json([p.to_json() for p in found])
        return
    if not found:
        echo(say("cli.project.none"))
    for summary in found:
        role = summary.members.get(ws.peer_id)
        mine = f" ({role.role})" if role else ""
        shown = say(VISIBILITY_KEYS[summary.visibility])
        members = len(summary.members)
        echo(
            say(
                "cli.project.row",
                id=summary.id,
                name=clean(summary.name),
                visibility=shown,
                members=members,
                role=mine,
            )
        )


@project.command("show")
@click.argument("project_ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_show(ctx: Context, project_ref: str, as_json: bool) -> None:
    """A project's members and roles."""
    ws = ctx.reading_workspace()
    summary = projects.summary(ws, project_ref)
    if as_json:
        emit_json(summary.to_json())
        return
    echo(f"{clean(summary.name)}  ({summary.id})")
    creator = clean(ws.participant_name(summary.creator) or summary.creator)
    echo(say("cli.project.created", at=clean(summary.created), by=creator))
    if summary.visibility == "public":
        echo(say("cli.project.public"))
    else:
        echo(say("cli.project.members_only"))
    for member in sorted(summary.members.values(), key=lambda m: (m.role != "steward", m.peer_id)):
        name = clean(ws.participant_name(member.peer_id) or "?")
        echo(f"  {clean(member.role):8} {name:20} {clean(member.peer_id)}")


@project.command("add-member")
@click.argument("project_ref")
@click.argument("peer_id")
@click.option("--role", type=click.Choice(["member", "steward"]), default="member", show_default=True)
@pass_ctx
def project_add_member(ctx: Context, project_ref: str, peer_id: str, role: str) -> None:
    """Add PEER_ID to the project, or change their role (stewards only)."""
    ctx.call("project.add_member", project=project_ref, peer_id=peer_id, role=role)
    echo(say("cli.project.role_now", peer=peer_id.strip()[:14], role=role))


@project.command("remove-member")
@click.argument("project_ref")
@click.argument("peer_id")
@pass_ctx
def project_remove_member(ctx: Context, project_ref: str, peer_id: str) -> None:
    """Remove PEER_ID from the project (stewards only)."""
    ctx.call("project.remove_member", project=project_ref, peer_id=peer_id)
    echo(say("cli.project.removed", peer=peer_id.strip()[:14]))


AMOUNT_HELP = "As people write it, in UNIT: 250, 250,00, '1 250.50 €'; time in min also as 1h30."


def typed_amount(text: str, unit: str, option: str, *, signed: bool = False) -> int:
    """An amount typed on the command line, in major units of `unit`, as the minor units stored; an error
    names `option`."""
    try:
        return parse_amount(text, unit.strip(), signed=signed)
    except InputError as error:
        raise InputError(error.key, field=option, **error.params) from None


@project.command("contribute")
@click.argument("project_ref")
@click.option("--kind", required=True, type=click.Choice(sorted(projects.CONTRIBUTION_KINDS)))
@click.option("--amount", required=True, help=AMOUNT_HELP)
@click.option("--unit", required=True, help="e.g. min, EUR, kg.")
@click.option("--note", default="")
@click.option("--dim", "dims", multiple=True, help="Wealth-matrix dimension NAME=INT (repeat).")
@pass_ctx
def project_contribute(
    ctx: Context, project_ref: str, kind: str, amount: str, unit: str, note: str, dims: tuple[str, ...]
) -> None:
    """Record a contribution of time, money, resource or knowledge; prints the entry id."""
    minor = typed_amount(amount, unit, "amount")
    try:
        parse_dimensions(dims)
    except DimensionError as exc:
        fail(say("cli.project.bad_dimension", text=repr(exc.typed)))
    done = ctx.call(
        "project.contribute",
        project=project_ref,
        kind=kind,
        amount=minor,
        unit=unit,
        note=note,
        dims=list(dims),
    )
    echo(done["id"])


@project.command("record")
@click.argument("project_ref")
@click.option("--kind", required=True, type=click.Choice(["expense", "revenue", "transfer"]))
@click.option("--amount", required=True, help=AMOUNT_HELP)
@click.option("--unit", required=True, help="e.g. EUR, min.")
@click.option("--to", "counterparty", help="For a transfer: the receiving member's peer id, or @project.")
@click.option("--member", default="", help="Whose account (default: you).")
@click.option("--note", default="")
@pass_ctx
def project_record(
    ctx: Context,
    project_ref: str,
    kind: str,
    amount: str,
    unit: str,
    counterparty: str | None,
    member: str,
    note: str,
) -> None:
    """Record an expense, a revenue or a transfer; prints the entry id."""
    if kind == "transfer" and not counterparty:
        fail(say("cli.project.transfer_needs_to"))
    minor = typed_amount(amount, unit, "amount")
    done = ctx.call(
        "project.record",
        project=project_ref,
        kind=kind,
        amount=minor,
        unit=unit,
        note=note,
        member=member,
        counterparty=counterparty,
    )
    echo(done["id"])


@project.command("ledger")
@click.argument("project_ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_ledger(ctx: Context, project_ref: str, as_json: bool) -> None:
    """Every ledger entry, oldest first."""
    ws = ctx.reading_workspace()
    rows = projects.ledger(ws, project_ref)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        echo(say("cli.project.no_entry"))
    for row in rows:
        who = clean(ws.participant_name(row["member"]) or row["member"][:14])
        note = f"  {clean(row['note'])}" if row.get("note") else ""
        struck = say("cli.project.reversed") if row.get("reversed_by") else ""
        if not row.get("counted", True):
            struck += say("cli.project.not_counted", reason=clean(str(row.get("not_counted"))))
        amount = clean(format_amount(row["amount"], row["unit"]))
        echo(f"{clean(row['at'])}  {clean(row['id'])}  {row['kind']:12} {amount:>14} {who}{note}{struck}")


@project.command("balances")
@click.argument("project_ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_balances(ctx: Context, project_ref: str, as_json: bool) -> None:
    """Balances per member and unit (they sum to zero per unit), and credit-limit breaches."""
    ws = ctx.reading_workspace()
    result, breaches, view = projects.balances(ws, project_ref)
    if as_json:
        emit_json(
            {
                "balances": result,
                "breaches": [b.message("en") for b in breaches],
                "issues": [issue.describe("en") for issue in view.issues],
            }
        )
        return
    if not result:
        echo(say("cli.project.no_balance"))
    for unit, accounts in result.items():
        echo(f"{clean(unit)}:")
        for account, amount in accounts.items():
            who = (
                say("cli.project.account")
                if account.startswith("@")
                else (ws.participant_name(account) or account[:14])
            )
            echo(f"  {clean(who):24} {clean(format_amount(amount, unit)):>14}")
    for breach in breaches:
        echo(f"! {clean(breach.message(message_lang()))}")
    for issue in view.issues:
        echo(f"! {clean(issue.describe(message_lang()))}")


@project.command("reverse")
@click.argument("project_ref")
@click.argument("entry_id")
@click.option("--note", default="")
@pass_ctx
def project_reverse(ctx: Context, project_ref: str, entry_id: str, note: str) -> None:
    """Cancel ENTRY with a reversing entry (entries are never edited); prints the reversal's id."""
    echo(ctx.call("project.reverse", project=project_ref, entry_id=entry_id, note=note)["id"])


@project.command("acknowledge")
@click.argument("project_ref")
@click.argument("entry_id")
@click.option(
    "--factor", "factor", type=int, default=100, show_default=True, help="Percent, within the policy bounds."
)
@pass_ctx
def project_acknowledge(ctx: Context, project_ref: str, entry_id: str, factor: int) -> None:
    """Acknowledge another member's contribution, optionally weighting it."""
    echo(ctx.call("project.acknowledge", project=project_ref, entry_id=entry_id, factor=factor)["id"])


@project.command("limit", context_settings={"ignore_unknown_options": True})  # FLOOR is negative: -5000
@click.argument("project_ref")
@click.argument("member")
@click.argument("unit")
@click.argument("floor")
@pass_ctx
def project_limit(ctx: Context, project_ref: str, member: str, unit: str, floor: str) -> None:
    """Set MEMBER's (or '*' for everyone's) credit floor in UNIT (stewards): FLOOR as people write it, at or
    below zero (-50 is at most 50.00 EUR of debt)."""
    minor = typed_amount(floor, unit, "floor", signed=True)
    ctx.call("project.limit", project=project_ref, member=member, unit=unit, floor=minor)
    shown = format_amount(minor, unit, message_lang())
    echo(say("cli.project.limit_set", member=member[:14], unit=unit, floor=shown))


@project.command("matrix")
@click.argument("project_ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_matrix(ctx: Context, project_ref: str, as_json: bool) -> None:
    """The wealth matrix: member × recognised dimension."""
    ws = ctx.reading_workspace()
    table = projects.matrix(ws, project_ref)
    if as_json:
        emit_json(table)
        return
    dims = sorted({d for row in table.values() for d in row})
    if not table or not dims:
        echo(say("cli.project.no_dimension"))
        return
    echo(f"{'':20}" + "".join(f"{clean(d):>12}" for d in dims))
    for member, row in table.items():
        who = clean(ws.participant_name(member) or member[:14])
        echo(f"{who:20}" + "".join(f"{row.get(d, 0):>12}" for d in dims))


@project.command("policy")
@click.argument("project_ref")
@click.option("--set", "policy_file", type=click.Path(dir_okay=False), help="JSON file with the new policy.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_policy(ctx: Context, project_ref: str, policy_file: str | None, as_json: bool) -> None:
    """Show the dividend policy, or replace it (stewards)."""
    if policy_file:
        try:
            text = Path(policy_file).read_text("utf-8")
            parse_json(text)
        except OSError as exc:
            fail(say("cli.cannot_read", file=policy_file, reason=exc.strerror))
        except ValueError as exc:
            fail(say("cli.not_json", file=policy_file, reason=exc))
        version = ctx.call("project.policy", project=project_ref, policy=text)["version"]
        echo(say("cli.policy.saved", version=version))
        return
    ws = ctx.workspace()
    policy, written = projects.show_policy(ws, project_ref)
    data = policy_to_data(policy)
    if as_json:
        emit_json(data | {"default": not written})
        return
    echo(say("cli.policy.version" if written else "cli.policy.default", version=policy.version))
    lang = message_lang()
    for bucket in data["buckets"]:
        rule = rule_label(str(bucket["rule"]), lang)
        echo(f"  {bucket['percent']:>3} %  {clean(bucket['name'])} ({clean(rule)})")
    for weight in data["weights"]:  # in words, in the language: « connaissances (par minute) × 1 »
        label = weight_label(str(weight["action"]), str(weight["unit"]), weight["weight"], lang)
        echo(say("cli.policy.weight", weight=clean(label)))
    echo(say("cli.policy.factors", min=data["ack_factor_min"], max=data["ack_factor_max"]))


@project.command("dividend")
@click.argument("project_ref")
@click.option("--from", "period_from", help="Start (ISO date or time; default: the beginning).")
@click.option("--to", "period_to", help="End (ISO, inclusive when a date; default: now).")
@click.option(
    "--pool", help="Amount to share, as people write it in UNIT (default: the period's net revenue)."
)
@click.option("--unit", default="EUR", show_default=True)
@click.option("--record", is_flag=True, help="Store the distribution (stewards).")
@click.option("--yes", is_flag=True, help="With --record: record it even when there is nothing to share.")
@click.option("--lang", type=click.Choice(LANGS), help="Language of the explanations (default: the home's).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def project_dividend(
    ctx: Context,
    project_ref: str,
    period_from: str | None,
    period_to: str | None,
    pool: str | None,
    unit: str,
    record: bool,
    yes: bool,
    lang: str | None,
    as_json: bool,
) -> None:
    """Compute the contributive dividend of a period; every payout is explained."""
    lang = lang or ctx.lang()
    minor = typed_amount(pool, unit, "pool") if pool is not None else None
    period_to = period_to or datetime.now(UTC).isoformat(timespec="seconds")
    period = {"project": project_ref, "start": period_from or BEGINNING, "end": period_to, "pool": minor}
    # By the owner of the home when one runs; else here (recording with the home held).
    dist = ctx.call(
        "project.dividend_record" if record else "project.dividend",
        **period,
        unit=unit,
        lang=lang,
        **({"empty_ok": yes} if record else {}),
    )
    if as_json:
        # Minor units (cents, minutes), as stored: the reserve and the lines add up to the pool exactly.
        keys = ("id", "pool", "unit", "reserve", "lines")
        emit_json({key: dist[key] for key in keys})
        return
    echo(
        say(
            "cli.dividend.head",
            pool=format_amount(dist["pool"], unit, message_lang()),
            reserve=format_amount(dist["reserve"], unit, message_lang()),
            version=dist["policy_version"],
        )
    )
    for line in dist["lines"]:
        amount = format_amount(line["amount"], unit, message_lang())
        echo(f"  {clean(amount):>14}  {clean(line['explanation'])}")  # computed just now, in --lang
    for note in dist["notes"]:
        echo(say("cli.dividend.note", note=clean(note)))
    if dist["id"]:
        echo(say("cli.dividend.recorded", id=dist["id"]))


@project.command("verify-distribution")
@click.argument("project_ref")
@click.argument("dist_id")
@pass_ctx
def project_verify(ctx: Context, project_ref: str, dist_id: str) -> None:
    """Recompute a recorded distribution and confirm it, or show the differences."""
    differences = projects.verify_distribution(ctx.workspace(), project_ref, dist_id)
    if differences:
        for difference in differences:
            echo(f"✗ {clean(difference)}")
        click.get_current_context().exit(1)
    echo(say("cli.dividend.confirmed"))


# -- blocking --------------------------------------------------------------------------------------------


@click.command("block")
@click.argument("peer_id")
@click.option("--reason", default="")
@pass_ctx
def block_cmd(ctx: Context, peer_id: str, reason: str) -> None:
    """Refuse and stop relaying PEER_ID's changes."""
    changed = settings.block(ctx.home, peer_id, reason)
    echo(say("cli.block.done" if changed else "cli.block.already"))


@click.command("unblock")
@click.argument("peer_id")
@pass_ctx
def unblock_cmd(ctx: Context, peer_id: str) -> None:
    """Accept PEER_ID's changes again."""
    changed = settings.unblock(ctx.home, peer_id)
    echo(say("cli.unblock.done" if changed else "cli.unblock.not_blocked"))


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
        echo(say("cli.blocks.none"))
    for entry in entries:
        reason = f"  ({clean(str(entry['reason']))})" if entry.get("reason") else ""
        since = clean(str(entry.get("since", "?")))
        echo(say("cli.blocks.row", peer=clean(str(entry["peer_id"])), since=since, reason=reason))


# -- bundles ---------------------------------------------------------------------------------------------


@click.group()
def bundle() -> None:
    """Carry documents offline, in one file."""


@bundle.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--project", "chosen_projects", multiple=True, help="Also a project you are a member of (repeat)."
)
@click.option(
    "--doc", "docs", multiple=True, help="Exactly these documents (repeat), instead of the default."
)
@click.option("--all", "everything", is_flag=True, help="Every document held: for your own backups.")
@pass_ctx
def bundle_export(
    ctx: Context, file: str, chosen_projects: tuple[str, ...], docs: tuple[str, ...], everything: bool
) -> None:
    """Write every signed change of some documents to FILE, to hand to someone.

    By default: every participant document and every public project held. A members-only project goes
    in only when asked for with --project (or --doc), and only if you are its member. Drafts never do.
    """
    from reliance.replication.bundle import export_bundle

    ws = ctx.reading_workspace()
    skipped: list[str] = []

    def unreadable(doc_id: str, exc: Exception) -> None:
        skipped.append(doc_id)
        warn_unreadable(ctx, doc_id, exc)

    chosen = bundle_documents(
        ws,
        list(docs),
        list(chosen_projects),
        everything,
        on_unreadable=lambda d, e: warn_unreadable(ctx, d, e),
    )
    count = export_bundle(
        ws.repo,
        Path(file),
        chosen,
        ws.peer_id,
        settings.blocked_keys(ctx.home),
        on_unreadable=unreadable,
        clock=ws.clock,
    )
    echo(say("cli.bundle.wrote", changes=count, documents=len(chosen) - len(skipped), file=file))


def bundle_documents(
    ws: Workspace,
    docs: list[str],
    chosen: list[str],
    everything: bool,
    on_unreadable: Callable[[str, Exception], None] | None = None,
) -> list[str]:
    """The documents a bundle carries (see `bundle export`); a project that cannot be read is left out of
    the default set (and reported through `on_unreadable`)."""
    if everything:
        return ws.repo.doc_ids()
    for doc_id in docs:
        if not ws.repo.exists(doc_id):
            raise ModelError(say("cli.bundle.no_document", doc=doc_id))

    def public(doc_id: str) -> bool:
        try:
            return projects.summary(ws, doc_id).visibility == "public"
        except RelianceError as exc:
            if on_unreadable is not None:
                on_unreadable(doc_id, exc)
            return False

    picked = list(docs) or [d for d in ws.repo.doc_ids() if doc_kind(d) == DocKind.PARTICIPANT or public(d)]
    for ref in chosen:
        project_id = projects.resolve_project(ws, ref)
        if project_id not in picked:
            picked.append(project_id)
    for doc_id in picked:
        if doc_kind(doc_id) == DocKind.PROJECT:
            summary = projects.summary(ws, doc_id)
            if summary.visibility != "public" and ws.peer_id not in summary.members:
                raise ModelError(say("cli.bundle.not_yours", name=repr(clean(summary.name))))
    return picked


@bundle.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def bundle_import(ctx: Context, file: str, as_json: bool) -> None:
    """Verify FILE and apply it; a tampered or unauthorised bundle changes nothing."""
    from reliance.replication.bundle_journal import ImportNotice

    # By the owner of the home when one runs (it reads FILE and applies it through its one write path),
    # else here, with the home held: the same operation either way.
    result = ctx.call("bundle.import", path=file, cwd=str(Path.cwd()))
    for notice in result["earlier"]:
        ctx.warn(ImportNotice(**notice).message(ctx.lang()))
    rows: list[dict[str, Any]] = result["rows"]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        if row["added"] or row["waiting"] or row["new_document"] or row["not_kept"]:
            extra = say("cli.bundle.waiting", count=row["waiting"]) if row["waiting"] else ""
            if row["not_kept"]:
                extra += say(
                    plural_key("cli.bundle.not_kept", row["not_kept"], message_lang()), count=row["not_kept"]
                )
            echo(say("cli.bundle.added", doc=row["doc"], count=row["added"], extra=extra))
    echo(say("cli.bundle.imported", count=result["applied"]))


# -- import ---------------------------------------------------------------------------------------------


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Say what would be imported; change nothing.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def import_cmd(ctx: Context, file: str, dry_run: bool, as_json: bool) -> None:
    """Merge a 'reliance export --format json' FILE into your document, never overwriting anything.

    Your items, answers and empty social-code sections are restored from FILE; others' documents and
    projects come by sync or bundle (only their authors can sign them). A malformed FILE changes nothing.
    """
    from reliance.export.importer import ImportSummary

    # As `bundle import`: by the owner when one runs, else here (a write with the home held).
    result = ctx.call("import.preview" if dry_run else "import", path=file, cwd=str(Path.cwd()))
    summary = ImportSummary.from_json(result["summary"], result["found_mine"])
    if as_json:
        emit_json(summary.to_json())
        return
    echo(summary.message())


def register(cli: click.Group) -> None:
    for command in (project, block_cmd, unblock_cmd, blocks_cmd, bundle, import_cmd):
        cli.add_command(command)
