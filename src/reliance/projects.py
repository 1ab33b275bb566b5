"""Projects: shared documents co-edited by their members (library API over `doc.project`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reliance.doc import project as pdoc
from reliance.doc.participant import Amendment
from reliance.errors import ModelError
from reliance.identity import decode_peer_id
from reliance.model.catalogue import now_iso
from reliance.model.codesocial import section_id, validate_section_text
from reliance.store.repository import DocKind, StoredDoc, doc_kind
from reliance.workspace import Workspace

CONTRIBUTION_KINDS = {"time": "work", "money": "transfer", "resource": "use", "knowledge": "cite"}
MAX_AMOUNT = 10**15


@dataclass(frozen=True)
class ProjectSummary:
    id: str
    name: str
    creator: str
    created: str
    members: dict[str, pdoc.Member]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "creator": self.creator,
            "created": self.created,
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
    by_name = [i for i in ids if pdoc.meta(ws.repo.open(i).crdt).get("name", "").lower() == ref.lower()]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1 or len(by_prefix) > 1:
        raise ModelError(f"several projects match {ref!r}: use the project id")
    raise ModelError(f"no project {ref!r}")


def open_project(ws: Workspace, project_id: str) -> StoredDoc:
    return ws.repo.open(resolve_project(ws, project_id))


def summary(ws: Workspace, project_id: str) -> ProjectSummary:
    doc = open_project(ws, project_id)
    meta = pdoc.meta(doc.crdt)
    return ProjectSummary(
        doc.doc_id,
        meta.get("name", ""),
        meta.get("creator", ""),
        meta.get("created", ""),
        pdoc.members(doc.crdt),
    )


def list_projects(ws: Workspace) -> list[ProjectSummary]:
    return sorted((summary(ws, pid) for pid in project_ids(ws)), key=lambda p: (p.name.lower(), p.id))


def create_project(ws: Workspace, name: str) -> str:
    name = name.strip()
    if not name or len(name) > 120:
        raise ModelError("a project name has 1 to 120 characters")
    nonce = pdoc.new_nonce()
    project_id = pdoc.project_id_for(ws.identity.public_key, nonce)
    doc = ws.repo.open(project_id, create=True)
    doc.local_change(
        ws.identity.sign,
        lambda w: pdoc.genesis(w, project_id=project_id, name=name, creator=ws.peer_id, nonce=nonce),
    )
    return project_id


def my_role(ws: Workspace, doc: StoredDoc) -> str | None:
    return pdoc.role_of(doc.crdt, ws.peer_id)


def _require(ws: Workspace, doc: StoredDoc, role: str) -> None:
    mine = my_role(ws, doc)
    name = pdoc.meta(doc.crdt).get("name", doc.doc_id)
    if mine is None:
        raise ModelError(f"you are not a member of project {name!r}")
    if role == "steward" and mine != "steward":
        raise ModelError(f"only stewards of project {name!r} can do this")


def add_member(ws: Workspace, project_id: str, peer_id: str, role: str = "member") -> None:
    decode_peer_id(peer_id)
    if role not in pdoc.ROLES:
        raise ModelError(f"unknown role {role!r}; use member or steward")
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    current = pdoc.role_of(doc.crdt, peer_id.strip())
    if current == role:
        return
    doc.local_change(ws.identity.sign, lambda w: pdoc.set_member(w, peer_id.strip(), role, ws.peer_id))


def remove_member(ws: Workspace, project_id: str, peer_id: str) -> None:
    decode_peer_id(peer_id)
    doc = open_project(ws, project_id)
    _require(ws, doc, "steward")
    members = pdoc.members(doc.crdt)
    if peer_id.strip() not in members:
        raise ModelError(f"{peer_id.strip()[:14]}… is not a member of this project")
    stewards = [m for m in members.values() if m.role == "steward"]
    if members[peer_id.strip()].role == "steward" and len(stewards) == 1:
        raise ModelError("a project keeps at least one steward: name another steward first")
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
        ws.identity.sign, lambda w: pdoc.set_code_section(w, sid, text, ws.peer_id, before)
    )
    return info is not None


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
    counterparty: str = "",
    reverses: str = "",
    dimensions: dict[str, int] | None = None,
) -> str:
    """Append one ledger entry authored by this participant; returns its id."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ModelError("an amount is a whole number of minor units (cents, minutes, grams…)")
    if abs(amount) > MAX_AMOUNT:
        raise ModelError("the amount is too large")
    unit = unit.strip()
    if not unit or len(unit) > 32 or " " in unit:
        raise ModelError("a unit is one word of at most 32 characters (e.g. min, EUR-cent, kg)")
    if len(note) > 2000:
        raise ModelError("the note is longer than 2000 characters")
    doc = open_project(ws, project_id)
    _require(ws, doc, "member")
    for peer in (member, counterparty):
        if peer:
            decode_peer_id(peer)
    entry_id = pdoc.new_record_id(ws.peer_id)
    fields = {
        "kind": kind,
        "author": ws.peer_id,
        "member": member or ws.peer_id,
        "unit": unit,
        "at": now_iso(),
        "action": action,
        "note": note.strip(),
        "counterparty": counterparty,
        "reverses": reverses,
    }
    doc.local_change(
        ws.identity.sign, lambda w: pdoc.add_entry(w, entry_id, fields, amount, dimensions or {})
    )
    return entry_id


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
        raise ModelError(f"unknown contribution kind {kind!r}; use one of: {', '.join(CONTRIBUTION_KINDS)}")
    if amount <= 0:
        raise ModelError("a contribution's amount is positive")
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


def ledger(ws: Workspace, project_id: str) -> list[dict[str, Any]]:
    doc = open_project(ws, project_id)
    out = []
    for entry in pdoc.entries(doc.crdt):
        row: dict[str, Any] = {"id": entry.id, "amount": entry.amount, "dimensions": dict(entry.dimensions)}
        row.update({k: (v or None) for k, v in entry.fields.items()})
        out.append(row)
    return out


def project_json(ws: Workspace, project_id: str) -> dict[str, Any]:
    doc = ws.repo.open(project_id)
    data = summary(ws, project_id).to_json()
    policy, version = pdoc.policy(doc.crdt)
    data.update(
        {
            "code": pdoc.code(doc.crdt),
            "code_history": [a.to_json() for a in pdoc.history(doc.crdt)],
            "ledger": ledger(ws, project_id),
            "acknowledgements": [a.__dict__ for a in pdoc.acks(doc.crdt)],
            "policy": {"version": version, "data": policy},
            "distributions": pdoc.distributions(doc.crdt),
        }
    )
    return data
