"""JSON-LD export: ValueFlows for agents, proposals, intents and economic events; schema.org for events,
places, offers and creative works; one inline `@context` that any JSON-LD processor expands offline.

Every key of the document is a compact IRI (`vf:name`, `schema:startDate`, `rel:peerId`) whose prefix the
context defines, so nothing depends on a remote context. The mapping is described in docs/cli.md
("Economy and exchange formats").

Identifiers are stable URNs: `urn:reliance:peer:<peer id>`, `urn:reliance:project:<id>`,
`urn:reliance:item:<id>`, `urn:reliance:entry:<id>`, `urn:reliance:answer:<id>`, `urn:reliance:ack:<id>`,
`urn:reliance:unit:<unit>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from reliance import economy
from reliance.app import projects
from reliance.app.projects import ledger_view
from reliance.app.workspace import OnUnreadable, Workspace
from reliance.doc import participant
from reliance.doc import project as pdoc
from reliance.economy.format import MONEY_DIGITS, split_minor
from reliance.errors import RelianceError
from reliance.export.order import causal_key
from reliance.i18n import LANGS
from reliance.model.catalogue import Answer, Item, ItemKind
from reliance.model.codesocial import SECTIONS
from reliance.replication.participant_view import participant_view
from reliance.store.repository import DocKind, doc_kind

JSONLD_FORMAT = "reliance-jsonld/1"

VF = "https://w3id.org/valueflows/ont/vf#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
REL = "urn:reliance:ns:"
"""Our own terms (entry kinds, social-code sections, statuses…), where no shared vocabulary fits."""

NAMESPACES = {"vf": VF, "schema": SCHEMA, "dcterms": DCTERMS, "xsd": XSD, "om2": OM2, "rel": REL}

# Properties whose string values are IRIs (references to other nodes, ValueFlows actions and purposes).
_ID_PROPERTIES = (
    "vf:action",
    "vf:provider",
    "vf:receiver",
    "vf:purpose",
    "vf:hasUnit",
    "vf:corrects",
    "schema:author",
    "schema:creator",
    "schema:founder",
    "schema:member",
    "schema:offeredBy",
    "schema:organizer",
    "rel:account",
    "rel:acknowledges",
    "rel:answers",
    "rel:author",
    "rel:by",
    "rel:inProject",
    "rel:itemAuthor",
    "rel:member",
    "rel:reversedBy",
)

CONTEXT: dict[str, Any] = {
    **NAMESPACES,
    **{prop: {"@type": "@id"} for prop in _ID_PROPERTIES},
    "vf:hasNumericalValue": {"@type": "xsd:decimal"},
    "vf:omUnitIdentifier": {"@type": "xsd:anyURI"},
    "rel:policy": {"@type": "@json"},
    "rel:distributionRecord": {"@type": "@json"},
}

# Units with an Ontology of Units of Measure (OM 2) identifier.
OM_UNITS = {
    "s": "second-Time",
    "min": "minute-Time",
    "h": "hour",
    "d": "day",
    "g": "gram",
    "kg": "kilogram",
    "t": "tonne",
    "m": "metre",
    "km": "kilometre",
    "l": "litre",
    "L": "litre",
    "kWh": "kilowattHour",
}

_PROJECT_ID = re.compile(r"pj[0-9a-f]{32}")  # fullmatch

# ----------------------------------------------------------------------------------------- identifiers


def peer_iri(peer_id: str) -> str:
    return f"urn:reliance:peer:{peer_id}"


def project_iri(project_id: str) -> str:
    return f"urn:reliance:project:{project_id}"


def item_iri(item_id: str) -> str:
    return f"urn:reliance:item:{quote(item_id, safe='')}"


def entry_iri(entry_id: str) -> str:
    return f"urn:reliance:entry:{quote(entry_id, safe='')}"


def unit_iri(unit: str) -> str:
    return f"urn:reliance:unit:{quote(unit, safe='')}"


def account_iri(account: str, project_id: str) -> str:
    """A ledger account: a member's peer id, or the project itself for `@project`."""
    if account == economy.PROJECT_ACCOUNT:
        return project_iri(project_id)
    return peer_iri(account)


# ----------------------------------------------------------------------------------------- values


def _time(value: str) -> dict[str, str] | str | None:
    """A typed literal: xsd:date for a bare date, xsd:dateTime (with seconds; with an offset when one was
    given, local wall time otherwise) for a time; plain text if it is neither; None when empty."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if len(value) == 10:
        return {"@value": parsed.date().isoformat(), "@type": "xsd:date"}
    return {"@value": parsed.isoformat(), "@type": "xsd:dateTime"}


def decimal_text(amount: int, unit: str) -> str:
    """Minor units as an exact decimal in the unit's major units: 3107 EUR -> '31.07'."""
    sign, whole, minor = split_minor(amount, unit)
    return f"{sign}{whole}.{minor}" if minor else f"{sign}{whole}"


def measure(amount: int, unit: str) -> dict[str, Any]:
    return {
        "@type": "vf:Measure",
        "vf:hasNumericalValue": decimal_text(amount, unit),
        "vf:hasUnit": unit_iri(unit),
        "rel:minorUnits": amount,
    }


def unit_node(unit: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": unit_iri(unit),
        "@type": "vf:Unit",
        "vf:label": unit,
        "vf:symbol": unit,
        "rel:minorDigits": MONEY_DIGITS.get(unit, 0),
    }
    if unit in OM_UNITS:
        node["vf:omUnitIdentifier"] = OM2 + OM_UNITS[unit]
    return node


def _tidy(node: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values so that the document only says what is known."""
    return {k: v for k, v in node.items() if v not in (None, "", [], {})}


def _labels(label: Callable[[str], str]) -> list[dict[str, str]]:
    """A name in every language of the catalogue, tagged with its language."""
    return [{"@value": label(lang), "@language": lang} for lang in LANGS]


# ----------------------------------------------------------------------------------------- social code


def code_sections(texts: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "@type": "rel:CodeSection",
            "rel:section": section.id,
            "schema:name": _labels(section.label),
            "schema:text": texts[section.id],
        }
        for section in SECTIONS
        if texts.get(section.id, "").strip()
    ]


def amendments(history: Iterable[participant.Amendment]) -> list[dict[str, Any]]:
    return [
        _tidy(
            {
                "@type": "rel:Amendment",
                "rel:section": a.section,
                "dcterms:created": _time(a.at),
                "rel:by": peer_iri(a.by) if a.by else None,
                "rel:added": a.added,
                "rel:removed": a.removed,
            }
        )
        for a in history
    ]


# ----------------------------------------------------------------------------------------- catalogue


def _place(item: Item) -> dict[str, Any] | None:
    """Where an item happens, as its author wrote it: a schema:Place whose `address` is that text (the
    vocabulary allows a PostalAddress or plain text), and a ValueFlows SpatialThing."""
    if not item.place:
        return None
    return {
        "@id": item_iri(item.id) + "#place",
        "@type": ["schema:Place", "vf:SpatialThing"],
        "schema:name": item.place,
        "schema:address": item.place,
        "vf:mappableAddress": item.place,
    }


def _item_common(item: Item) -> dict[str, Any]:
    linked = item.project
    return {
        "rel:kind": item.kind.value,
        "rel:status": item.status.value,
        "rel:reciprocity": item.reciprocity,
        "rel:inProject": project_iri(linked) if _PROJECT_ID.fullmatch(linked) else None,
        "rel:projectLabel": linked if linked and not _PROJECT_ID.fullmatch(linked) else None,
        "dcterms:created": _time(item.created),
        "dcterms:modified": _time(item.updated),
    }


# ValueFlows action of the intent a proposal publishes.
PROPOSAL_ACTIONS = {
    ItemKind.OFFER: "vf:deliverService",
    ItemKind.NEED: "vf:deliverService",
    ItemKind.CALL: "vf:work",
}


def proposal_node(item: Item) -> dict[str, Any]:
    """An offer, need or call: a vf:Proposal publishing one vf:Intent (provider = author for an offer,
    receiver = author for a need or a call), also typed schema:Offer or schema:Demand. Its tags classify
    the intent (`vf:resourceClassifiedAs`): schema:keywords is not a property of an Offer or a Demand."""
    offer = item.kind is ItemKind.OFFER
    author = peer_iri(item.author)
    intent = _tidy(
        {
            "@id": item_iri(item.id) + "#intent",
            "@type": "vf:Intent",
            "vf:action": PROPOSAL_ACTIONS[item.kind],
            "vf:provider" if offer else "vf:receiver": author,
            "vf:name": item.title,
            "vf:resourceClassifiedAs": list(item.tags),
            "vf:hasBeginning": _time(item.begins),
            "vf:hasEnd": _time(item.ends),
        }
    )
    return _tidy(
        {
            "@id": item_iri(item.id),
            "@type": ["vf:Proposal", "schema:Offer" if offer else "schema:Demand"],
            "vf:name": item.title,
            "schema:name": item.title,
            "vf:note": item.description,
            "schema:description": item.description,
            "vf:purpose": "vf:offer" if offer else "vf:request",
            "vf:publishes": intent,
            "vf:created": _time(item.created),
            "vf:hasBeginning": _time(item.begins),
            "vf:hasEnd": _time(item.ends),
            "vf:eligibleLocation": _place(item),
            "schema:offeredBy": author if offer else None,
            "rel:author": author,
            **_item_common(item),
        }
    )


def event_node(item: Item) -> dict[str, Any]:
    """A schema:Event, with its start, end and location when its author gave them."""
    return _tidy(
        {
            "@id": item_iri(item.id),
            "@type": "schema:Event",
            "schema:name": item.title,
            "schema:description": item.description,
            "schema:startDate": _time(item.begins),
            "schema:endDate": _time(item.ends),
            "schema:location": _place(item),
            "schema:organizer": peer_iri(item.author),
            "schema:keywords": list(item.tags),
            "rel:author": peer_iri(item.author),
            **_item_common(item),
        }
    )


def seed_node(item: Item) -> dict[str, Any]:
    """A knowledge seed: a schema:CreativeWork (knowledge is shared, not exchanged)."""
    return _tidy(
        {
            "@id": item_iri(item.id),
            "@type": "schema:CreativeWork",
            "schema:name": item.title,
            "schema:text": item.description,
            "schema:author": peer_iri(item.author),
            "schema:spatialCoverage": _place(item),
            "schema:temporalCoverage": "/".join(x for x in (item.begins, item.ends) if x) or None,
            "schema:keywords": list(item.tags),
            "rel:author": peer_iri(item.author),
            **_item_common(item),
        }
    )


def item_node(item: Item) -> dict[str, Any]:
    if item.kind is ItemKind.EVENT:
        return event_node(item)
    if item.kind is ItemKind.SEED:
        return seed_node(item)
    return proposal_node(item)


def answer_node(answer: Answer) -> dict[str, Any]:
    return _tidy(
        {
            "@id": f"urn:reliance:answer:{quote(answer.id, safe='')}",
            "@type": "rel:Answer",
            "rel:answers": item_iri(answer.item_id),
            "rel:itemAuthor": peer_iri(answer.item_author) if answer.item_author else None,
            "rel:answerKind": answer.kind.value,
            "schema:text": answer.message,
            "schema:author": peer_iri(answer.author),
            "dcterms:created": _time(answer.created),
        }
    )


def participant_nodes(ws: Workspace, doc_id: str) -> list[dict[str, Any]]:
    doc = participant_view(ws.repo.open(doc_id))  # without what a revoked device signed beyond revocation
    name = participant.name(doc)
    agent = _tidy(
        {
            "@id": peer_iri(doc_id),
            "@type": ["vf:Person", "schema:Person"],
            "vf:name": name,
            "schema:name": name,
            "rel:peerId": doc_id,
            "rel:codeSection": code_sections(participant.read_code(doc)),
            "rel:amendment": amendments(participant.read_history(doc)),
        }
    )
    items = sorted(participant.read_items(doc, doc_id), key=lambda i: i.id)
    answers = sorted(participant.read_answers(doc, doc_id), key=lambda a: a.id)
    return [agent, *(item_node(i) for i in items), *(answer_node(a) for a in answers)]


# ----------------------------------------------------------------------------------------- projects


def _flow(entry: economy.Entry, project_id: str) -> tuple[str | None, str | None]:
    """(provider, receiver) account of an entry that is not a reversal."""
    member = entry.member
    project = economy.PROJECT_ACCOUNT
    kind = entry.kind
    if kind in (economy.EntryKind.CONTRIBUTION, economy.EntryKind.EXPENSE):
        pair: tuple[str | None, str | None] = (member, project)
    elif kind is economy.EntryKind.REVENUE:
        pair = (None, project)  # paid by someone outside the project, collected by `member`
    elif kind is economy.EntryKind.TRANSFER:
        pair = (member, entry.counterparty)
    else:  # distribution: from the project to each payout line
        pair = (project, None)
    provider, receiver = pair
    return (
        account_iri(provider, project_id) if provider else None,
        account_iri(receiver, project_id) if receiver else None,
    )


def entry_node(
    entry: economy.Entry,
    project_id: str,
    index: Mapping[str, economy.Entry],
    reversed_by: Mapping[str, str],
    distributions: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    target = index.get(entry.reverses or "") if entry.kind is economy.EntryKind.REVERSAL else None
    if entry.kind is economy.EntryKind.REVERSAL:
        # A reversal is the opposite flow of the entry it corrects.
        receiver, provider = _flow(target, project_id) if target is not None else (None, None)
    else:
        provider, receiver = _flow(entry, project_id)
    action = str(entry.action) or (str(target.action) if target is not None else "")
    quantity_key = "vf:effortQuantity" if action == economy.Action.WORK else "vf:resourceQuantity"
    backwards = entry.kind is economy.EntryKind.REVERSAL  # a reversed payout goes back to the project
    lines = [
        {
            "@id": f"{entry_iri(entry.id)}#{quote(line.member, safe='')}",
            "@type": "vf:EconomicEvent",
            "vf:action": "vf:transfer",
            "vf:provider": peer_iri(line.member) if backwards else project_iri(project_id),
            "vf:receiver": project_iri(project_id) if backwards else peer_iri(line.member),
            "vf:resourceQuantity": measure(line.amount, entry.unit),
            "vf:hasPointInTime": _time(entry.at),
            "vf:note": line.explanation,
        }
        for line in entry.lines
    ]
    return _tidy(
        {
            "@id": entry_iri(entry.id),
            "@type": "vf:EconomicEvent",
            "vf:action": f"vf:{action}" if action else None,
            "vf:provider": provider,
            "vf:receiver": receiver,
            quantity_key: measure(entry.amount, entry.unit),
            "vf:hasPointInTime": _time(entry.at),
            "vf:note": entry.note,
            "vf:corrects": entry_iri(entry.reverses) if entry.reverses else None,
            "rel:entryKind": entry.kind.value,
            "rel:inProject": project_iri(project_id),
            "rel:author": peer_iri(entry.author),
            "rel:member": account_iri(entry.member, project_id),
            "rel:reversedBy": entry_iri(reversed_by[entry.id]) if entry.id in reversed_by else None,
            "rel:dimension": [
                {"@type": "rel:Dimension", "rel:dimensionName": name, "rel:dimensionValue": value}
                for name, value in sorted(entry.dimensions.items())
            ],
            "rel:payoutLine": [_tidy(line) for line in lines],
            "rel:distributionRecord": distributions.get(entry.id),
        }
    )


def project_nodes(ws: Workspace, project_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The project's nodes, and the units its ledger uses."""
    doc = ws.repo.open(project_id)
    meta = projects.project_meta(doc)
    view = ledger_view(doc)
    _, policy_written = projects.written_policy(doc)
    members = projects.members(doc)
    org = _tidy(
        {
            "@id": project_iri(project_id),
            "@type": ["vf:Organization", "schema:Organization"],
            "vf:name": meta.get("name", ""),
            "schema:name": meta.get("name", ""),
            "rel:projectId": project_id,
            "rel:visibility": projects.project_visibility(doc),
            "schema:founder": peer_iri(meta["creator"]) if meta.get("creator") else None,
            "dcterms:created": _time(meta.get("created", "")),
            "schema:member": [
                _tidy(
                    {
                        "@type": "schema:OrganizationRole",
                        "schema:member": peer_iri(m.peer_id),
                        "schema:roleName": m.role,
                        "schema:startDate": _time(m.added_at),
                    }
                )
                for m in sorted(members.values(), key=lambda m: m.peer_id)
            ],
            "rel:codeSection": code_sections(pdoc.code(doc.crdt)),
            "rel:amendment": amendments(pdoc.history(doc.crdt)),
            "rel:policy": economy.policy_to_data(view.policy),
            "rel:policyIsDefault": not policy_written,
            "rel:creditLimit": [
                {
                    "@type": "rel:CreditLimit",
                    "rel:account": (
                        REL + "anyMember"
                        if limit.member == economy.ANY_MEMBER
                        else account_iri(limit.member, project_id)
                    ),
                    "vf:hasUnit": unit_iri(limit.unit),
                    "rel:floor": limit.floor,
                }
                for limit in view.limits
            ],
        }
    )
    index = economy.index_entries(view.entries)
    reversed_by = economy.effective_reversals(view.entries)
    distributions = projects.counted_distributions(doc)
    position = causal_key(doc.crdt)  # a reversal after the entry it reverses, whatever the clocks said
    entries = [
        entry_node(e, project_id, index, reversed_by, distributions)
        for e in sorted(view.entries, key=lambda e: position(e.id, e.at))
    ]
    acks = [
        {
            "@id": f"urn:reliance:ack:{quote(a.id, safe='')}",
            "@type": "rel:Acknowledgement",
            "rel:acknowledges": entry_iri(a.entry_id),
            "rel:by": peer_iri(a.by),
            "rel:factorPercent": a.factor_pct,
            "dcterms:created": _time(a.at),
        }
        for a in sorted(view.acknowledgements, key=lambda a: a.id)
    ]
    units = {e.unit for e in view.entries} | {limit.unit for limit in view.limits}
    return [org, *entries, *acks], units


# ----------------------------------------------------------------------------------------- document


def export_jsonld(ws: Workspace, on_unreadable: OnUnreadable | None = None) -> dict[str, Any]:
    """Everything this workspace holds, as one JSON-LD document (`@context` + `@graph`). A document that
    cannot be read is left out and reported to `on_unreadable` (logged without one)."""
    from reliance.export.exporters import once_each

    skip = once_each(on_unreadable)
    graph: list[dict[str, Any]] = [
        {
            "@type": "schema:Dataset",
            "schema:name": "reliance export",
            "schema:creator": peer_iri(ws.peer_id),
            "schema:dateCreated": _time(ws.clock.now_iso()),
            "rel:format": JSONLD_FORMAT,
        }
    ]
    units: set[str] = set()
    for doc_id in ws.repo.doc_ids():
        try:
            if doc_kind(doc_id) == DocKind.PARTICIPANT:
                graph.extend(participant_nodes(ws, doc_id))
            else:
                nodes, used = project_nodes(ws, doc_id)
                graph.extend(nodes)
                units |= used
        except RelianceError as exc:
            skip(doc_id, exc)
    graph.extend(unit_node(u) for u in sorted(units))
    return {"@context": CONTEXT, "@graph": graph}
