"""Projects: shared documents co-edited by their members (library API over `doc.project`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from reliance import economy
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import Writer
from reliance.doc import project as pdoc
from reliance.doc.participant import Amendment
from reliance.economy.checks import parse_instant
from reliance.errors import ModelError, RelianceError
from reliance.i18n import LANGS, Phrase, Worded, phrase, t
from reliance.identity import decode_peer_id
from reliance.model.codesocial import section_id, validate_section_text
from reliance.replication import authority
from reliance.replication import effective as effective_state
from reliance.store.repository import DocKind, StoredDoc, doc_kind

CONTRIBUTION_KINDS = {k: str(v) for k, v in economy.CONTRIBUTION_ACTIONS.items()}


@dataclass(frozen=True)
class ProjectSummary:
    id: str
    name: str
    creator: str
    created: str
    members: dict[str, pdoc.Member]
    visibility: str = pdoc.DEFAULT_VISIBILITY

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "creator": self.creator,
            "created": self.created,
            "visibility": self.visibility,
            "members": [m.to_json() for m in sorted(self.members.values(), key=lambda m: m.peer_id)],
        }


def project_ids(ws: Workspace) -> list[str]:
    return [d for d in ws.repo.doc_ids() if doc_kind(d) == DocKind.PROJECT]


def resolve_project(ws: Workspace, ref: str) -> str:
    """A project id, a unique id prefix, or a unique name."""
    ref = ref.strip()
    ids = project_ids(ws)
    if ref in ids:
        return ref
    by_prefix = [i for i in ids if i.startswith(ref)] if len(ref) >= 4 else []
    if len(by_prefix) == 1:
        return by_prefix[0]
    by_name = [i for i in ids if _name_if_readable(ws, i).lower() == ref.lower()]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1 or len(by_prefix) > 1:
        raise ModelError("app.project.ambiguous", ref=ref)
    raise ModelError("app.project.none", ref=ref)


def _name_if_readable(ws: Workspace, project_id: str) -> str:
    """A project's name; "" for one that cannot be read (it is no match: the others still are)."""
    try:
        return project_meta(ws.repo.open(project_id)).get("name", "")
    except RelianceError:
        return ""


def open_project(ws: Workspace, project_id: str) -> StoredDoc:
    return ws.repo.open(resolve_project(ws, project_id))


def effective(doc: StoredDoc, heads: Sequence[bytes] | None = None) -> effective_state.EffectiveView:
    """What counts in the project (members, records, settings): see `reliance.replication.authority`."""
    return effective_state.view(doc, heads)


def members(doc: StoredDoc, heads: Sequence[bytes] | None = None) -> dict[str, pdoc.Member]:
    """The effective members: a removal or a demotion is strong (docs/sync-protocol.md)."""
    return effective(doc, heads).members


def role_of(doc: StoredDoc, peer_id: str) -> str | None:
    return effective(doc).role_of(peer_id)


def project_meta(doc: StoredDoc, view: effective_state.EffectiveView | None = None) -> dict[str, str]:
    """The project's meta fields, leaving out what changes that do not count wrote."""
    return effective_state.effective_meta(doc.crdt, view or effective(doc))


def project_visibility(doc: StoredDoc, view: effective_state.EffectiveView | None = None) -> str:
    return effective_state.effective_visibility(doc.crdt, view or effective(doc))


def summary(ws: Workspace, project_id: str) -> ProjectSummary:
    doc = open_project(ws, project_id)
    view = effective(doc)
    meta = project_meta(doc, view)
    return ProjectSummary(
        doc.doc_id,
        meta.get("name", ""),
        meta.get("creator", ""),
        meta.get("created", ""),
        view.members,
        project_visibility(doc, view),
    )


def list_projects(
    ws: Workspace, on_unreadable: Callable[[str, RelianceError], None] | None = None
) -> list[ProjectSummary]:
    """Every project held. One that cannot be read is left out and reported to `on_unreadable` (or
    raised, without one)."""
    found: list[ProjectSummary] = []
    for pid in project_ids(ws):
        try:
            found.append(summary(ws, pid))
        except RelianceError as exc:
            if on_unreadable is None:
                raise
            on_unreadable(pid, exc)
    return sorted(found, key=lambda p: (p.name.lower(), p.id))


def check_visibility(visibility: str) -> str:
    if visibility not in pdoc.VISIBILITIES:
        raise ModelError("app.project.visibility", value=visibility)
    return visibility


def create_project(ws: Workspace, name: str, visibility: str = pdoc.DEFAULT_VISIBILITY) -> str:
    """A new project with this participant as its steward. `visibility`: "members" (its document goes
    only to its members' devices) or "public" (to anyone who syncs)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ModelError("app.project.name_length", field="name", most=120)
    check_visibility(visibility)
    nonce = pdoc.new_nonce(ws.clock)
    project_id = pdoc.project_id_for(ws.identity.public_key, nonce)
    doc = ws.repo.open(project_id, create=True)
    doc.local_change(
        ws.identity.sign,
        lambda w: pdoc.genesis(
            w,
            project_id=project_id,
            name=name,
            creator=ws.peer_id,
            nonce=nonce,
            visibility=visibility,
            clock=ws.clock,
        ),
    )
    return project_id


def set_visibility(ws: Workspace, project_id: str, visibility: str) -> bool:
    """Stewards only. False when the project already had this visibility. Making a public project
    members-only stops sending it from then on; copies already sent stay where they are."""
    check_visibility(visibility)
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    if project_visibility(doc) == visibility:
        return False
    doc.local_change(ws.identity.sign, lambda w: pdoc.set_visibility(w, visibility))
    return True


def my_role(ws: Workspace, doc: StoredDoc) -> str | None:
    return role_of(doc, ws.peer_id)


def _require(ws: Workspace, doc: StoredDoc, role: str) -> None:
    mine = my_role(ws, doc)
    name = project_meta(doc).get("name", doc.doc_id)
    if mine is None:
        raise ModelError("app.project.not_member", name=name)
    if role == "steward" and mine != "steward":
        raise ModelError("app.project.stewards_only", name=name)


def add_member(ws: Workspace, project_id: str, peer_id: str, role: str = "member") -> None:
    decode_peer_id(peer_id)
    if role not in pdoc.ROLES:
        raise ModelError("app.project.role", value=role)
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    current = role_of(doc, peer_id.strip())
    if current == role:
        return
    doc.local_change(
        ws.identity.sign, lambda w: pdoc.set_member(w, peer_id.strip(), role, ws.peer_id, clock=ws.clock)
    )


def remove_member(ws: Workspace, project_id: str, peer_id: str) -> None:
    decode_peer_id(peer_id)
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    members = effective(doc).members
    if peer_id.strip() not in members:
        raise ModelError("app.project.not_a_member", peer=peer_id.strip()[:14])
    stewards = [m for m in members.values() if m.role == "steward"]
    if members[peer_id.strip()].role == "steward" and len(stewards) == 1:
        raise ModelError("app.project.last_steward")
    doc.local_change(ws.identity.sign, lambda w: pdoc.remove_member(w, peer_id.strip()))


def project_code(ws: Workspace, project_id: str) -> dict[str, str]:
    return pdoc.code(open_project(ws, project_id).crdt)


def project_history(ws: Workspace, project_id: str) -> list[Amendment]:
    return pdoc.history(open_project(ws, project_id).crdt)


def set_project_code(ws: Workspace, project_id: str, section: str, text: str) -> bool:
    sid = section_id(section)
    text = validate_section_text(text)
    doc = open_project(ws, project_id)
    _require(ws, doc, "member")
    before = doc.heads()
    info = doc.local_change(
        ws.identity.sign, lambda w: pdoc.set_code_section(w, sid, text, ws.peer_id, before, clock=ws.clock)
    )
    return info is not None


# -- ledger and economy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerView:
    """Everything the economy needs from a project document, validated."""

    entries: list[economy.Entry]
    acknowledgements: list[economy.Acknowledgement]
    members: list[str]
    policy: economy.Policy
    limits: list[economy.CreditLimit]
    # records that could not be read, reversals without effect, records not counted: worded by who shows them
    issues: list[Phrase]
    # entries made by changes that count for nothing (strong removal), with the reason; in no total
    uncounted: list[tuple[economy.Entry, authority.Reason]] = field(default_factory=list)


def _worded(reason: authority.Reason) -> Worded:
    """Why a change counts for nothing, in each language (`Reason` words itself, it is not a phrase)."""
    return Worded(tuple(reason.text(lang) for lang in LANGS))


def ledger_view(doc: StoredDoc, heads: Sequence[bytes] | None = None) -> LedgerView:
    view = effective(doc, heads)
    skipped = view.not_counted()
    issues: list[Phrase] = []
    entries: list[economy.Entry] = []
    uncounted: list[tuple[economy.Entry, authority.Reason]] = []
    for data in pdoc.entries(doc.crdt, heads):
        try:
            entry = economy.entry_from_data(data)
        except economy.LedgerError as exc:
            issues.append(phrase("app.ledger.entry_ignored", id=data.get("id"), reason=exc))
            continue
        reason = skipped.get(("ledger", entry.id))
        if reason is not None:
            uncounted.append((entry, reason))
            issues.append(phrase("app.ledger.entry_not_counted", id=entry.id, reason=_worded(reason)))
            continue
        entries.append(entry)
    acks: list[economy.Acknowledgement] = []
    for data in pdoc.acks(doc.crdt, heads):
        reason = skipped.get(("acks", str(data.get("id"))))
        if reason is not None:
            issues.append(phrase("app.ledger.ack_not_counted", id=data.get("id"), reason=_worded(reason)))
            continue
        try:
            acks.append(economy.acknowledgement_from_data(data))
        except economy.LedgerError as exc:
            issues.append(phrase("app.ledger.ack_ignored", id=data.get("id"), reason=exc))
    policy, _, problem = _read_policy(doc, heads, view)
    if problem is not None:
        issues.append(problem)
    limits: list[economy.CreditLimit] = []
    for key, floor in _limits(doc, heads, view):
        member, _, unit = key.partition(" ")
        try:
            if floor is None:
                raise economy.LedgerError("app.project.floor_not_integer")
            limits.append(economy.CreditLimit(member, unit, floor))
        except economy.LedgerError as exc:
            issues.append(phrase("app.ledger.limit_ignored", limit=key, reason=exc))
    issues.extend(i.why or phrase(i.message) for i in economy.ledger_issues(entries))
    return LedgerView(entries, acks, sorted(view.members), policy, limits, issues, uncounted)


def _limits(
    doc: StoredDoc, heads: Sequence[bytes] | None, view: effective_state.EffectiveView
) -> list[tuple[str, int | None]]:
    """The stored credit limits, each as the changes that count set it."""
    found = dict(pdoc.limits(doc.crdt, heads))
    for key in view.voided_registers("limits"):
        at = view.register_heads("limits", key)
        found.pop(key, None)
        if at:
            for written, floor in pdoc.limits(doc.crdt, at):
                if written == key:
                    found[key] = floor
    return sorted(found.items())


def _policy_data(
    doc: StoredDoc, heads: Sequence[bytes] | None, view: effective_state.EffectiveView
) -> tuple[dict[str, Any] | None, int]:
    """The recorded policy and its version, as the changes that count left them."""
    voided = view.voided_registers("policy")
    if not voided:
        return pdoc.policy(doc.crdt, heads)
    at = view.register_heads("policy", "data" if "data" in voided else voided[0])
    return pdoc.policy(doc.crdt, at) if at else (None, 0)


def _read_policy(
    doc: StoredDoc, heads: Sequence[bytes] | None = None, view: effective_state.EffectiveView | None = None
) -> tuple[economy.Policy, bool, Phrase | None]:
    """The policy that applies, whether the project wrote one, and why the written one is unusable."""
    data, version = _policy_data(doc, heads, view or effective(doc, heads))
    if data is None:
        return economy.DEFAULT_POLICY, False, None
    try:
        return economy.policy_from_data(data | {"version": version}), True, None
    except economy.PolicyError as exc:
        return economy.DEFAULT_POLICY, True, phrase("app.ledger.policy_unusable", reason=exc)


def _append_entry(ws: Workspace, doc: StoredDoc, entry: economy.Entry) -> str:
    economy.validate_entry(entry, ledger_view(doc).entries)
    data = economy.entry_to_data(entry)
    doc.local_change(ws.identity.sign, lambda w: pdoc.add_entry(w, data))
    return entry.id


def record_entry(
    ws: Workspace,
    project_id: str,
    *,
    kind: str,
    amount: int,
    unit: str,
    action: str = "",
    note: str = "",
    member: str = "",
    counterparty: str | None = None,
    dimensions: dict[str, int] | None = None,
) -> str:
    """Append one ledger entry authored by this participant; returns its id."""
    doc = open_project(ws, project_id)
    _require(ws, doc, "member")
    for peer in (member, counterparty):
        if peer and peer != economy.PROJECT_ACCOUNT:
            decode_peer_id(peer)
    entry = economy.Entry(
        id=pdoc.new_record_id(ws.peer_id, ws.clock),
        kind=economy.EntryKind(kind),
        author=ws.peer_id,
        member=member or ws.peer_id,
        amount=amount,
        unit=unit.strip(),
        at=ws.clock.now_iso(),
        action=action,
        note=note.strip(),
        dimensions=dimensions or {},
        counterparty=counterparty or None,
    )
    return _append_entry(ws, doc, entry)


def contribute(
    ws: Workspace,
    project_id: str,
    kind: str,
    amount: int,
    unit: str,
    note: str = "",
    dimensions: dict[str, int] | None = None,
) -> str:
    if kind not in CONTRIBUTION_KINDS:
        raise ModelError("app.project.contribution_kind", value=kind, known=", ".join(CONTRIBUTION_KINDS))
    return record_entry(
        ws,
        project_id,
        kind="contribution",
        amount=amount,
        unit=unit,
        action=CONTRIBUTION_KINDS[kind],
        note=note,
        dimensions=dimensions,
    )


def find_entry(view: LedgerView, entry_id: str) -> economy.Entry:
    for entry in view.entries:
        if entry.id == entry_id.strip():
            return entry
    raise ModelError("app.project.no_entry", id=entry_id.strip())


def reverse(ws: Workspace, project_id: str, entry_id: str, note: str = "") -> str:
    doc = open_project(ws, project_id)
    _require(ws, doc, "member")
    original = find_entry(ledger_view(doc), entry_id)
    reversal = economy.make_reversal(
        original,
        id=pdoc.new_record_id(ws.peer_id, ws.clock),
        author=ws.peer_id,
        at=ws.clock.now_iso(),
        note=note,
    )
    return _append_entry(ws, doc, reversal)


def acknowledge(ws: Workspace, project_id: str, entry_id: str, factor_pct: int = 100) -> str:
    doc = open_project(ws, project_id)
    _require(ws, doc, "member")
    view = ledger_view(doc)
    entry_id = entry_id.strip()
    # Acknowledging again changes one's mind: the latest acknowledgement (by time, then id) counts, so the
    # new one is dated after the previous one even within the same second.
    previous = max(
        (a for a in view.acknowledgements if a.entry_id == entry_id and a.by == ws.peer_id),
        key=lambda a: (parse_instant(a.at), a.id),
        default=None,
    )
    at = ws.clock.now_iso()
    if previous is not None:
        if previous.factor_pct == factor_pct:
            raise ModelError("app.project.acknowledged", id=entry_id, factor=factor_pct)
        earliest = parse_instant(previous.at) + timedelta(seconds=1)
        if parse_instant(at) < earliest:
            at = earliest.isoformat(timespec="seconds")
    ack = economy.Acknowledgement(
        id=pdoc.new_record_id(ws.peer_id, ws.clock),
        entry_id=entry_id,
        by=ws.peer_id,
        factor_pct=factor_pct,
        at=at,
    )
    economy.validate_acknowledgement(
        ack, view.entries, view.policy.ack_factor_min, view.policy.ack_factor_max
    )
    doc.local_change(
        ws.identity.sign, lambda w: pdoc.add_ack(w, ack.id, ack.entry_id, ack.by, ack.factor_pct, ack.at)
    )
    return ack.id


def set_limit(ws: Workspace, project_id: str, member: str, unit: str, floor: int) -> None:
    if member != economy.ANY_MEMBER:
        decode_peer_id(member)
    if floor > 0:
        raise ModelError("app.project.floor", field="floor")
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    economy.CreditLimit(member, unit, floor)
    doc.local_change(ws.identity.sign, lambda w: pdoc.set_limit(w, member, unit, floor))


def balances(
    ws: Workspace, project_id: str
) -> tuple[dict[str, dict[str, int]], list[economy.Breach], LedgerView]:
    view = ledger_view(open_project(ws, project_id))
    result = economy.balances(view.entries)
    return result, economy.check_credit_limits(result, view.limits), view


def matrix(ws: Workspace, project_id: str) -> dict[str, dict[str, int]]:
    doc = open_project(ws, project_id)
    view = ledger_view(doc)
    dimensions = sorted({d for e in view.entries for d in e.dimensions} | recognised_dimensions(doc))
    return economy.wealth_matrix(view.entries, dimensions, view.members)


def recognised_dimensions(doc: StoredDoc) -> set[str]:
    """Words listed in the project's 'richesses' section (one per line or comma separated)."""
    text = pdoc.code(doc.crdt).get("richesses", "")
    words = {w.strip().strip("-*•").strip().lower() for part in text.splitlines() for w in part.split(",")}
    return {w for w in words if w and len(w) <= 32 and " " not in w}


def written_policy(doc: StoredDoc) -> tuple[economy.Policy, bool]:
    """The policy that applies, and whether the project wrote one (as the changes that count left it)."""
    policy, written, _ = _read_policy(doc)
    return policy, written


def show_policy(ws: Workspace, project_id: str) -> tuple[economy.Policy, bool]:
    """The policy that applies, and whether the project wrote one."""
    policy, written, _ = _read_policy(open_project(ws, project_id))
    return policy, written


def set_policy(ws: Workspace, project_id: str, data: object) -> int:
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    _, version = _policy_data(doc, None, effective(doc))
    if not isinstance(data, dict):
        raise economy.PolicyError("app.project.policy_object")
    policy = economy.policy_from_data(data | {"version": version + 1})
    stored = economy.policy_to_data(policy)
    stored.pop("version", None)
    doc.local_change(
        ws.identity.sign, lambda w: pdoc.set_policy(w, stored, version + 1, ws.peer_id, clock=ws.clock)
    )
    return version + 1


def dividend(
    ws: Workspace,
    project_id: str,
    period_from: str,
    period_to: str,
    pool: int | None,
    unit: str = "EUR",
    lang: str = "en",
) -> economy.Distribution:
    doc = open_project(ws, project_id)
    view = ledger_view(doc)
    economy.parse_period(period_from, period_to)
    if pool is None:
        pool = economy.net_revenue(view.entries, unit, period_from, period_to)
        if pool < 0:
            raise ModelError("app.project.spent_more", field="pool", unit=unit)
    if pool < 0:
        raise ModelError("app.project.pool_negative", field="pool")
    names = {m: ws.participant_name(m) for m in view.members}
    return economy.compute_dividend(
        view.entries,
        view.acknowledgements,
        view.members,
        view.policy,
        period_from,
        period_to,
        pool,
        unit=unit,
        heads=[h.hex() for h in doc.heads()],
        lang=lang,
        names={k: v for k, v in names.items() if v},
    )


def record_distribution(ws: Workspace, project_id: str, dist: economy.Distribution) -> str:
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    dist_id = pdoc.new_record_id(ws.peer_id, ws.clock)
    entry = economy.distribution_entry(dist, id=dist_id, author=ws.peer_id, at=ws.clock.now_iso())
    economy.validate_entry(entry, ledger_view(doc).entries)
    entry_data = economy.entry_to_data(entry)
    dist_data = economy.distribution_to_data(dist)

    def write(w: Writer) -> None:
        pdoc.add_distribution(w, dist_id, dist_data, ws.peer_id, clock=ws.clock)
        pdoc.add_entry(w, entry_data)

    doc.local_change(ws.identity.sign, write)
    return dist_id


def verify_distribution(ws: Workspace, project_id: str, dist_id: str, lang: str = "en") -> list[str]:
    """Recompute a recorded distribution from the document at its heads; [] means confirmed."""
    doc = open_project(ws, project_id)
    recorded_raw = pdoc.distributions(doc.crdt).get(dist_id.strip())
    if recorded_raw is None:
        raise ModelError("app.project.no_distribution", id=dist_id.strip())
    reason = effective(doc).not_counted().get(("distributions", dist_id.strip()))
    if reason is not None:
        return [t("app.ledger.distribution_not_counted", lang, reason=reason.text(lang))]
    recorded = economy.distribution_from_data(recorded_raw["data"])
    try:
        heads = [bytes.fromhex(h) for h in recorded.heads]
    except ValueError:
        return [t("app.ledger.bad_heads", lang)]
    missing = [h.hex()[:12] for h in heads if not doc.has(h)]
    if missing:
        return [t("app.ledger.missing_changes", lang, changes=", ".join(missing))]
    view = ledger_view(doc, heads)
    if view.policy.version != recorded.policy_version:
        return [
            t("app.ledger.policy_version", lang, recorded=recorded.policy_version, had=view.policy.version)
        ]
    recomputed = economy.recompute_distribution(
        recorded, view.entries, view.acknowledgements, view.members, view.policy, lang=lang
    )
    return economy.verify_distribution(recorded, recomputed, lang=lang)


def counted_distributions(doc: StoredDoc) -> dict[str, Any]:
    """The recorded distributions that count (one a change that counts for nothing made is left out)."""
    skipped = effective(doc).not_counted()
    return {
        k: v["data"] for k, v in pdoc.distributions(doc.crdt).items() if ("distributions", k) not in skipped
    }


def ledger(ws: Workspace, project_id: str) -> list[dict[str, Any]]:
    return _ledger_rows(ledger_view(open_project(ws, project_id)))


def _ledger_rows(view: LedgerView, lang: str = "en") -> list[dict[str, Any]]:
    """Every entry, those that count and those that do not (`counted`, and `not_counted`: why)."""
    reversed_ = economy.effective_reversals(view.entries)
    reasons = {entry.id: reason.text(lang) for entry, reason in view.uncounted}
    rows = []
    everything = [*view.entries, *(entry for entry, _ in view.uncounted)]
    for entry in sorted(everything, key=lambda e: (e.at, e.id)):
        row = economy.entry_to_data(entry)
        row.setdefault("note", "")
        row.setdefault("dimensions", {})
        row["reversed_by"] = reversed_.get(entry.id)
        row["counted"] = entry.id not in reasons
        row["not_counted"] = reasons.get(entry.id)
        rows.append(row)
    return rows


def project_json(ws: Workspace, project_id: str) -> dict[str, Any]:
    doc = ws.repo.open(project_id)
    data = summary(ws, project_id).to_json()
    view = ledger_view(doc)
    data.update(
        {
            "code": pdoc.code(doc.crdt),
            "code_history": [a.to_json() for a in pdoc.history(doc.crdt)],
            "ledger": _ledger_rows(view),
            "acknowledgements": [economy.acknowledgement_to_data(a) for a in view.acknowledgements],
            "policy": economy.policy_to_data(view.policy),
            "limits": [economy.credit_limit_to_data(limit) for limit in view.limits],
            "distributions": counted_distributions(doc),
        }
    )
    return data


def ledger_rows(view: LedgerView, lang: str = "en") -> list[dict[str, Any]]:
    """Every entry of a ledger view as rows, those that count and those that do not (`not_counted`: why)."""
    return _ledger_rows(view, lang)
