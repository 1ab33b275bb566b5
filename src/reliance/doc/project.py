"""Typed read and write of a project document (shared, multi-writer).

Schema (root map):
  schema = "reliance/project", version = 1
  meta: {id, name, creator, nonce, created, visibility}  — "members" (also when absent) or "public"
  members: {peer id: {role: "steward" | "member", added_by, added_at}}
  code: {section id: Text}, code_history: [...] (as in a participant document)
  ledger: {entry id: {kind, author, member, amount, unit, at, action, note, counterparty, reverses,
                      dimensions: {name: int}, lines: JSON text}}   — created once, never modified
  acks: {ack id: {entry, by, factor, at}}                  — created once, never modified
  policy: {data: JSON text, version, by, at}               — stewards only
  limits: {"member unit": floor}                           — stewards only
  distributions: {id: {data: JSON text, by, at}}           — stewards only, created once

Entry and acknowledgement ids start with their author's tag (see `author_tag`) so that nobody can
create an entry under an id another member could use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reliance.automerge.crdt import ROOT_ID, CrdtDoc, ObjId, Writer
from reliance.clock import SYSTEM_CLOCK, Clock
from reliance.doc.participant import Amendment, read_code, read_history, set_section
from reliance.errors import DocumentError
from reliance.jsontext import parse_json

SCHEMA = "reliance/project"
ROLES = ("steward", "member")
STEWARD_KEYS = ("members", "policy", "limits", "distributions", "meta")
MEMBER_KEYS = ("code", "code_history")
APPEND_ONLY_KEYS = ("ledger", "acks")
ROOT_KEYS = ("schema", "version", *STEWARD_KEYS, *MEMBER_KEYS, *APPEND_ONLY_KEYS)
VISIBILITIES = ("members", "public")  # who may receive the document: its members' devices, or anyone
DEFAULT_VISIBILITY = "members"
ENTRY_FIELDS = ("kind", "author", "member", "unit", "at", "action", "note", "counterparty", "reverses")


def project_id_for(creator_key: bytes, nonce: bytes) -> str:
    return "pj" + hashlib.sha256(b"reliance-project" + creator_key + nonce).hexdigest()[:32]


def new_nonce(clock: Clock = SYSTEM_CLOCK) -> bytes:
    return clock.new_nonce()


def author_tag(peer_id: str) -> str:
    return peer_id[2:14]


def new_record_id(peer_id: str, clock: Clock = SYSTEM_CLOCK) -> str:
    return f"{author_tag(peer_id)}-{clock.new_record_suffix()}"


@dataclass(frozen=True)
class Member:
    peer_id: str
    role: str
    added_by: str
    added_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "peer_id": self.peer_id,
            "role": self.role,
            "added_by": self.added_by,
            "added_at": self.added_at,
        }


def _child(writer: Writer, key: str) -> ObjId:
    found = writer.child(ROOT_ID, key)
    if found is None:
        raise DocumentError("document.error.project_no_map", name=key)
    return found


def genesis(
    writer: Writer,
    *,
    project_id: str,
    name: str,
    creator: str,
    nonce: bytes,
    visibility: str = DEFAULT_VISIBILITY,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    if visibility not in VISIBILITIES:
        raise DocumentError("app.project.visibility", value=visibility)
    writer.put(ROOT_ID, "schema", SCHEMA)
    writer.put(ROOT_ID, "version", 1)
    meta = writer.put_map(ROOT_ID, "meta")
    writer.put(meta, "id", project_id)
    writer.put(meta, "name", name)
    writer.put(meta, "creator", creator)
    writer.put(meta, "nonce", nonce.hex())
    created = clock.now_iso()
    writer.put(meta, "created", created)
    writer.put(meta, "visibility", visibility)
    members = writer.put_map(ROOT_ID, "members")
    steward = writer.put_map(members, creator)
    writer.put(steward, "role", "steward")
    writer.put(steward, "added_by", creator)
    writer.put(steward, "added_at", created)
    for key in ("code", "ledger", "acks", "policy", "limits", "distributions"):
        writer.put_map(ROOT_ID, key)
    writer.put_list(ROOT_ID, "code_history")


def set_member(writer: Writer, peer_id: str, role: str, by: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
    if role not in ROLES:
        raise DocumentError("app.project.role", value=role)
    members = _child(writer, "members")
    existing = writer.child(members, peer_id)
    if existing is None:
        existing = writer.put_map(members, peer_id)
        writer.put(existing, "added_by", by)
        writer.put(existing, "added_at", clock.now_iso())
    writer.put(existing, "role", role)


def set_visibility(writer: Writer, visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise DocumentError("app.project.visibility", value=visibility)
    writer.put(_child(writer, "meta"), "visibility", visibility)


def remove_member(writer: Writer, peer_id: str) -> None:
    """Remove a member: delete their entry, or, when this copy has none (a removal that does not count
    deleted it: see `reliance.replication.authority`), write one with no role, so the removal is an event."""
    members = _child(writer, "members")
    if peer_id in writer.keys(members):
        writer.delete(members, peer_id)
    else:
        writer.put(writer.put_map(members, peer_id), "role", "removed")


def set_code_section(
    writer: Writer,
    section: str,
    text: str,
    by: str,
    before: Sequence[bytes],
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> bool:
    return set_section(writer, section, text, by, before, clock=clock)


def add_entry(writer: Writer, data: Mapping[str, Any]) -> None:
    """Write one ledger entry from its plain data (`economy.entry_to_data`)."""
    ledger = _child(writer, "ledger")
    obj = writer.put_map(ledger, str(data["id"]))
    for key in ENTRY_FIELDS:
        value = data.get(key)
        writer.put(obj, key, "" if value is None else str(value))
    writer.put(obj, "amount", int(data["amount"]))
    dims = writer.put_map(obj, "dimensions")
    for key, value in sorted(dict(data.get("dimensions") or {}).items()):
        writer.put(dims, key, int(value))
    if data.get("lines"):
        writer.put(obj, "lines", json.dumps(data["lines"], sort_keys=True))


def add_ack(writer: Writer, ack_id: str, entry_id: str, by: str, factor: int, at: str) -> None:
    acks = _child(writer, "acks")
    obj = writer.put_map(acks, ack_id)
    writer.put(obj, "entry", entry_id)
    writer.put(obj, "by", by)
    writer.put(obj, "factor", factor)
    writer.put(obj, "at", at)


def set_policy(
    writer: Writer, data: Mapping[str, Any], version: int, by: str, *, clock: Clock = SYSTEM_CLOCK
) -> None:
    policy = _child(writer, "policy")
    writer.put(policy, "data", json.dumps(data, sort_keys=True))
    writer.put(policy, "version", version)
    writer.put(policy, "by", by)
    writer.put(policy, "at", clock.now_iso())


def set_limit(writer: Writer, member: str, unit: str, floor: int) -> None:
    writer.put(_child(writer, "limits"), f"{member} {unit}", floor)


def add_distribution(
    writer: Writer, dist_id: str, data: Mapping[str, Any], by: str, *, clock: Clock = SYSTEM_CLOCK
) -> None:
    dists = _child(writer, "distributions")
    obj = writer.put_map(dists, dist_id)
    writer.put(obj, "data", json.dumps(data, sort_keys=True))
    writer.put(obj, "by", by)
    writer.put(obj, "at", clock.now_iso())


# -- reading --------------------------------------------------------------------------------------------


def _str(doc: CrdtDoc, obj: ObjId, key: str, heads: Sequence[bytes] | None = None) -> str:
    value = doc.scalar(obj, key, heads)
    return value if isinstance(value, str) else ""


def _int(doc: CrdtDoc, obj: ObjId, key: str, heads: Sequence[bytes] | None = None) -> int | None:
    value = doc.scalar(obj, key, heads)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def meta(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> dict[str, str]:
    obj = doc.child(ROOT_ID, "meta", heads)
    if obj is None:
        return {}
    return {key: _str(doc, obj, key, heads) for key in ("id", "name", "creator", "nonce", "created")}


def visibility(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> str:
    """ "public" only when the project says so in words; anything else (absent: projects made before
    visibilities existed; a value from a newer version; junk) keeps the document to its members. The raw
    value: who may read a project is `effective.readable_by` (effective members and visibility)."""
    obj = doc.child(ROOT_ID, "meta", heads)
    return "public" if obj is not None and _str(doc, obj, "visibility", heads) == "public" else "members"


def members(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> dict[str, Member]:
    obj = doc.child(ROOT_ID, "members", heads)
    if obj is None:
        return {}
    out: dict[str, Member] = {}
    for peer_id in doc.keys(obj, heads):
        entry = doc.child(obj, peer_id, heads)
        if entry is None:
            continue
        role = _str(doc, entry, "role", heads)
        if role in ROLES:
            out[peer_id] = Member(
                peer_id, role, _str(doc, entry, "added_by", heads), _str(doc, entry, "added_at", heads)
            )
    return out


def role_of(doc: CrdtDoc, peer_id: str, heads: Sequence[bytes] | None = None) -> str | None:
    obj = doc.child(ROOT_ID, "members", heads)
    if obj is None:
        return None
    entry = doc.child(obj, peer_id, heads)
    if entry is None:
        return None
    role = _str(doc, entry, "role", heads)
    return role if role in ROLES else None


def code(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> dict[str, str]:
    return read_code(doc, heads)


def history(doc: CrdtDoc) -> list[Amendment]:
    return read_history(doc)


def entry_exists(doc: CrdtDoc, container: str, key: str, heads: Sequence[bytes] | None = None) -> bool:
    obj = doc.child(ROOT_ID, container, heads)
    return obj is not None and doc.child(obj, key, heads) is not None


def entry_author(doc: CrdtDoc, container: str, key: str) -> str:
    obj = doc.child(ROOT_ID, container)
    entry = doc.child(obj, key) if obj is not None else None
    if entry is None:
        return ""
    return _str(doc, entry, "author" if container == "ledger" else "by")


def entries(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> list[dict[str, Any]]:
    """Every ledger entry as plain data for `economy.entry_from_data` (which validates it)."""
    ledger = doc.child(ROOT_ID, "ledger", heads)
    if ledger is None:
        return []
    out: list[dict[str, Any]] = []
    for entry_id in doc.keys(ledger, heads):
        obj = doc.child(ledger, entry_id, heads)
        if obj is None:
            continue
        data: dict[str, Any] = {"id": entry_id, "amount": _int(doc, obj, "amount", heads)}
        for key in ENTRY_FIELDS:
            text = _str(doc, obj, key, heads)
            if text:
                data[key] = text
        dims_obj = doc.child(obj, "dimensions", heads)
        if dims_obj is not None:
            data["dimensions"] = {
                key: value
                for key in doc.keys(dims_obj, heads)
                if (value := _int(doc, dims_obj, key, heads)) is not None
            }
        lines = _str(doc, obj, "lines", heads)
        if lines:
            try:
                data["lines"] = parse_json(lines)
            except ValueError:
                data["lines"] = "unreadable"
        out.append(data)
    return sorted(out, key=lambda e: (str(e.get("at", "")), e["id"]))


def acks(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> list[dict[str, Any]]:
    obj = doc.child(ROOT_ID, "acks", heads)
    if obj is None:
        return []
    out: list[dict[str, Any]] = []
    for ack_id in doc.keys(obj, heads):
        entry = doc.child(obj, ack_id, heads)
        if entry is None:
            continue
        out.append(
            {
                "id": ack_id,
                "entry_id": _str(doc, entry, "entry", heads),
                "by": _str(doc, entry, "by", heads),
                "factor_pct": _int(doc, entry, "factor", heads),
                "at": _str(doc, entry, "at", heads),
            }
        )
    return sorted(out, key=lambda a: a["id"])


def policy(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> tuple[dict[str, Any] | None, int]:
    obj = doc.child(ROOT_ID, "policy", heads)
    if obj is None:
        return None, 0
    text = _str(doc, obj, "data", heads)
    version = _int(doc, obj, "version", heads) or 0
    if not text:
        return None, version
    try:
        data = parse_json(text)
    except ValueError:
        return None, version
    return (data if isinstance(data, dict) else None), version


def limits(doc: CrdtDoc, heads: Sequence[bytes] | None = None) -> list[tuple[str, int | None]]:
    """Every stored credit limit as (its key "MEMBER UNIT", its floor or None when that is not an
    integer), unvalidated: `projects.ledger_view` judges and reports them."""
    obj = doc.child(ROOT_ID, "limits", heads)
    if obj is None:
        return []
    return [(key, _int(doc, obj, key, heads)) for key in sorted(doc.keys(obj, heads))]


def distributions(doc: CrdtDoc) -> dict[str, dict[str, Any]]:
    obj = doc.child(ROOT_ID, "distributions")
    if obj is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for dist_id in doc.keys(obj):
        entry = doc.child(obj, dist_id)
        if entry is None:
            continue
        try:
            data = parse_json(_str(doc, entry, "data"))
        except ValueError:
            continue
        if isinstance(data, dict):
            out[dist_id] = {"data": data, "by": _str(doc, entry, "by"), "at": _str(doc, entry, "at")}
    return out
