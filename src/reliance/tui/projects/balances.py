"""The projects screen's balances tab: balances, contributions per member, the dividend and its checks.

Each function builds what the tab shows from values the screen holds; `t` words it in the app's language,
`account` names an account (a member, or the project's own) and `name` a peer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reliance import economy
from reliance.display import clean
from reliance.i18n import rule_label, weight_label
from reliance.tui.common.data import ProjectView
from reliance.tui.common.widgets import bar_chart, plain
from reliance.tui.projects.dividend import Extras


def balances_renderable(
    view: ProjectView,
    preview: economy.Distribution | None,
    stand_in: bool,
    extras: Extras | None,
    *,
    t: Callable[..., str],
    lang: str,
    account: Callable[[str], str],
    name: Callable[[str], str],
) -> RenderableType:
    """The whole tab: balances per account, contributions per member, the dividend preview and the rest."""
    parts: list[RenderableType] = []
    entries = view.ledger.entries
    balances = economy.balances(entries)
    parts.append(Text(t("projects.balances"), style="bold"))
    if balances:
        units = list(balances)
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), expand=False)
        table.add_column(t("col.account"))
        for unit in units:
            table.add_column(plain(unit), justify="right")
        accounts = sorted(
            {a for per_unit in balances.values() for a in per_unit},
            key=lambda a: (a.startswith("@"), account(a).lower()),
        )
        for shown in accounts:
            table.add_row(
                plain(account(shown)),
                *(plain(economy.format_amount(balances[u].get(shown, 0), u, lang)) for u in units),
            )
        parts.append(table)
        parts.append(Text(t("projects.balances_hint"), style="dim"))
    else:
        parts.append(Text(t("projects.no_balance"), style="dim"))
    breaches = economy.check_credit_limits(balances, view.ledger.limits)
    for breach in breaches:
        parts.append(plain("! " + breach.message(lang), style="yellow"))
    # contributions per member
    cancelled = economy.effective_reversals(entries)
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        if entry.kind is economy.EntryKind.CONTRIBUTION and entry.id not in cancelled:
            sums[entry.unit][entry.member] += entry.amount
    parts.append(Text("\n" + t("projects.chart"), style="bold"))
    if sums:
        for unit in sorted(sums):
            values = sorted(sums[unit].items(), key=lambda pair: -pair[1])
            parts.append(plain(unit, style="dim"))
            parts.append(
                bar_chart(
                    [(clean(account(m)), v, clean(economy.format_amount(v, unit, lang))) for m, v in values],
                    width=20,
                )
            )
    else:
        parts.append(Text(t("projects.no_contribution"), style="dim"))
    # dividend
    parts.append(Text("\n" + t("projects.dividend"), style="bold"))
    parts.append(preview_renderable(preview, stand_in, t=t, lang=lang, account=account))
    parts.extend(extras_renderables(view, extras, t=t, lang=lang, account=account, name=name))
    for issue in view.ledger.issues:
        parts.append(plain("! " + issue.describe(lang), style="yellow"))
    return Group(*parts)


def extras_renderables(
    view: ProjectView,
    extras: Extras | None,
    *,
    t: Callable[..., str],
    lang: str,
    account: Callable[[str], str],
    name: Callable[[str], str],
) -> list[RenderableType]:
    """The policy, then (once computed) the wealth matrix and every recorded distribution, checked."""
    parts: list[RenderableType] = []
    policy = view.ledger.policy
    parts.append(Text("\n" + t("projects.policy", version=policy.version), style="bold"))
    buckets = ", ".join(f"{b.name} {b.percent} % ({rule_label(b.rule, lang)})" for b in policy.buckets)
    weights = ", ".join(weight_label(w.action, w.unit, w.weight, lang) for w in policy.weights)
    parts.append(plain(f"{buckets}\n{weights}", style="dim", multiline=True))
    if extras is None:
        return parts
    columns = sorted({d for row in extras.matrix.values() for d in row})
    if columns:
        parts.append(Text("\n" + t("projects.matrix"), style="bold"))
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
        table.add_column(t("col.member"))
        for column in columns:
            table.add_column(plain(column), justify="right")
        for member, row in extras.matrix.items():
            table.add_row(plain(account(member)), *(str(row.get(c, 0)) for c in columns))
        parts.append(table)
    if extras.distributions:
        parts.append(Text("\n" + t("projects.distributions"), style="bold"))
        for dist_id, at, by, pool, unit, issues in extras.distributions:
            line = plain(f"{at.replace('T', ' ')[:16]}  {economy.format_amount(pool, unit or 'EUR', lang)}  ")
            line.append(clean(name(by)) + "  ", style="dim")
            if issues:
                line.append("✗ " + clean("; ".join(issues)), style="red")
            else:
                line.append("✓ " + t("projects.verified"), style="green")
            line.append(f"  {clean(dist_id)}", style="dim")
            parts.append(line)
    return parts


def preview_renderable(
    dist: economy.Distribution | None,
    stand_in: bool,
    *,
    t: Callable[..., str],
    lang: str,
    account: Callable[[str], str],
) -> RenderableType:
    """The dividend preview: the pool, each member's share and why, the reserve."""
    if dist is None:
        return Text(t("projects.computing"), style="dim")
    parts: list[RenderableType] = []
    pool_text = economy.format_amount(dist.pool, dist.unit, lang)
    key = "projects.pool_stand_in" if stand_in else "projects.pool"
    parts.append(Text(t(key, pool=pool_text, version=dist.policy_version), style="dim"))
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), show_header=True)
    table.add_column(t("col.member"))
    table.add_column(t("col.amount"), justify="right")
    for line in dist.lines:
        table.add_row(plain(account(line.member)), plain(economy.format_amount(line.amount, dist.unit, lang)))
    table.add_row(
        Text(t("projects.reserve"), style="dim"),
        plain(economy.format_amount(dist.reserve, dist.unit, lang)),
    )
    parts.append(table)
    for line in dist.lines:
        parts.append(plain("• " + line.explanation, style="dim"))
    for note in dist.notes:
        parts.append(plain("• " + note, style="dim italic"))
    return Group(*parts)
