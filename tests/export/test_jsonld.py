"""JSON-LD export: a golden file, offline expansion by pyld, every key an IRI, nothing dropped."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pyld import jsonld

from reliance.app import projects
from reliance.export.jsonld import CONTEXT, NAMESPACES, OM2, export_jsonld
from tests.conftest import run_cli
from tests.export.conftest import GOLDEN, World
from tests.export.helpers import check_golden

VF = NAMESPACES["vf"]
SCHEMA = NAMESPACES["schema"]
REL = NAMESPACES["rel"]
XSD = NAMESPACES["xsd"]
KNOWN_PREFIXES = (*NAMESPACES.values(), "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
JSON_LITERAL = "@json"


def offline_loader(url: str, options: object = None) -> Any:
    raise AssertionError(f"the export must expand offline, but the processor asked for {url}")


def expand(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return jsonld.expand(doc, {"documentLoader": offline_loader})  # type: ignore[no-any-return]


def normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with the distribution's document heads (hashes of timestamped changes) blanked."""
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    data: dict[str, Any] = json.loads(text)
    for node in data["@graph"]:
        record = node.get("rel:distributionRecord")
        if record:
            record["heads"] = ["<heads>"] * len(record["heads"])
    return data


def walk_expanded(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every node and value object, not descending into JSON literals."""
    if isinstance(value, list):
        for item in value:
            yield from walk_expanded(item)
    elif isinstance(value, dict):
        if value.get("@type") == JSON_LITERAL:
            return
        for key, inner in value.items():
            yield key, inner
            if key not in ("@value", "@type", "@id", "@language"):
                yield from walk_expanded(inner)


def nodes(expanded: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for _key, value in walk_expanded(expanded):
        if isinstance(value, list):
            yield from (v for v in value if isinstance(v, dict) and "@value" not in v)
    yield from expanded


def by_type(expanded: list[dict[str, Any]], iri: str) -> dict[str, dict[str, Any]]:
    """Nodes that have type `iri`, by @id (each counted once)."""
    return {n["@id"]: n for n in nodes(expanded) if iri in n.get("@type", []) and "@id" in n}


def first(node: dict[str, Any], prop: str) -> Any:
    [value, *_] = node[prop]
    return value.get("@id", value.get("@value"))


def test_golden_file(shared_world: World) -> None:
    world = shared_world
    doc = normalised(export_jsonld(world.alice))
    text = json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    check_golden(GOLDEN / "export.jsonld", text)


def test_expands_offline_and_every_key_is_an_absolute_iri(shared_world: World) -> None:
    world = shared_world
    doc = export_jsonld(world.alice)
    assert set(doc) == {"@context", "@graph"}
    assert isinstance(doc["@context"], dict), "one inline context, no remote reference"
    expanded = expand(doc)
    keys = Counter(key for key, _ in walk_expanded(expanded))
    for key in keys:
        assert key.startswith("@") or key.startswith(KNOWN_PREFIXES), f"{key} is not one of our vocabularies"
    types = {t for n in nodes(expanded) for t in n.get("@type", [])}
    for iri in types:
        assert iri.startswith(KNOWN_PREFIXES), iri
    ids = {
        v["@id"]
        for key, value in walk_expanded(expanded)
        if isinstance(value, list)
        for v in value
        if isinstance(v, dict) and "@id" in v
    }
    for iri in ids:
        assert re.match(r"^(urn:reliance:|https?://)", iri), f"{iri} is not an absolute IRI"
    # The ValueFlows terms we rely on, spelled as in VF 1.0.
    for term in (
        "provider",
        "receiver",
        "action",
        "resourceQuantity",
        "effortQuantity",
        "hasNumericalValue",
        "hasUnit",
        "hasPointInTime",
        "publishes",
        "purpose",
        "corrects",
        "name",
        "note",
    ):
        assert VF + term in keys, term
    for term in ("startDate", "endDate", "location", "name", "member", "roleName"):
        assert SCHEMA + term in keys, term


def test_every_key_of_the_document_is_defined_by_the_context(shared_world: World) -> None:
    """A key with an unknown prefix would expand to a bogus IRI, and a bare word would be dropped."""
    world = shared_world
    prefixes = {k for k, v in CONTEXT.items() if isinstance(v, str)}

    def keys(value: Any) -> Iterator[str]:
        if isinstance(value, list):
            for item in value:
                yield from keys(item)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key == "@context":
                    continue
                yield key
                defined = CONTEXT.get(key)
                if not (isinstance(defined, dict) and defined.get("@type") == JSON_LITERAL):
                    yield from keys(inner)

    for key in set(keys(export_jsonld(world.alice))):
        assert key.startswith("@") or key.split(":", 1)[0] in prefixes, key


def test_nothing_is_dropped(shared_world: World) -> None:
    world = shared_world
    expanded = expand(export_jsonld(world.alice))
    ledger = projects.ledger(world.alice, world.project)
    events = by_type(expanded, VF + "EconomicEvent")
    entries = {i for i in events if "#" not in i}
    assert entries == {f"urn:reliance:entry:{row['id']}" for row in ledger}
    items = {i.id for i in world.alice.items()}
    found = {
        i.removeprefix("urn:reliance:item:") for t in ("Proposal",) for i in by_type(expanded, VF + t)
    } | {
        i.removeprefix("urn:reliance:item:")
        for t in ("Event", "CreativeWork")
        for i in by_type(expanded, SCHEMA + t)
    }
    assert found == items
    assert len(by_type(expanded, VF + "Person")) == 2
    assert len(by_type(expanded, VF + "Organization")) == 1
    assert len(by_type(expanded, REL + "Acknowledgement")) == 1
    assert len(by_type(expanded, REL + "Answer")) == 1
    assert set(by_type(expanded, VF + "Unit")) == {"urn:reliance:unit:EUR", "urn:reliance:unit:min"}


def test_the_mapping(shared_world: World) -> None:
    world = shared_world
    expanded = expand(export_jsonld(world.alice))
    alice, bob = (f"urn:reliance:peer:{ws.peer_id}" for ws in (world.alice, world.bob))
    project = f"urn:reliance:project:{world.project}"
    proposals = by_type(expanded, VF + "Proposal")
    intents = by_type(expanded, VF + "Intent")
    purposes = {}
    for proposal in proposals.values():
        intent = intents[first(proposal, VF + "publishes")]
        purpose = first(proposal, VF + "purpose")
        purposes[first(proposal, REL + "kind")] = purpose
        if purpose == VF + "offer":
            assert first(intent, VF + "provider") == alice and VF + "receiver" not in intent
            assert SCHEMA + "Offer" in proposal["@type"]
        else:
            assert first(intent, VF + "receiver") == alice and VF + "provider" not in intent
            assert SCHEMA + "Demand" in proposal["@type"]
        assert first(intent, VF + "action").startswith(VF)
    assert purposes == {"offer": VF + "offer", "need": VF + "request", "call": VF + "request"}
    [event] = by_type(expanded, SCHEMA + "Event").values()
    place = event[SCHEMA + "location"][0]
    assert SCHEMA + "Place" in place["@type"] and first(place, SCHEMA + "name") == "Parc de la Tête d'Or"
    assert event[SCHEMA + "startDate"] == [{"@type": XSD + "dateTime", "@value": "2026-07-14T18:00:00"}]
    events = by_type(expanded, VF + "EconomicEvent")
    e = {name: events[f"urn:reliance:entry:{eid}"] for name, eid in world.entries.items()}
    assert first(e["bob_time"], VF + "action") == VF + "work"
    assert first(e["bob_time"], VF + "provider") == bob and first(e["bob_time"], VF + "receiver") == project
    quantity = e["bob_time"][VF + "effortQuantity"][0]
    assert first(quantity, VF + "hasNumericalValue") == "120"
    assert first(quantity, VF + "hasUnit") == "urn:reliance:unit:min"
    money = e["alice_money"][VF + "resourceQuantity"][0]
    assert money[VF + "hasNumericalValue"] == [{"@type": XSD + "decimal", "@value": "50.00"}]
    assert first(money, REL + "minorUnits") == 5000
    assert first(e["bob_gift"], VF + "receiver") == project
    assert first(e["alice_revenue"], VF + "receiver") == project and VF + "provider" not in e["alice_revenue"]
    assert first(e["reversal"], VF + "corrects") == f"urn:reliance:entry:{world.entries['alice_mistake']}"
    assert first(e["reversal"], VF + "provider") == project  # the opposite flow of the contribution
    assert first(e["alice_mistake"], REL + "reversedBy") == f"urn:reliance:entry:{world.entries['reversal']}"
    distribution = events[f"urn:reliance:entry:{world.distribution}"]
    lines = distribution[REL + "payoutLine"]
    total = first(distribution[VF + "resourceQuantity"][0], REL + "minorUnits")
    assert sum(first(line[VF + "resourceQuantity"][0], REL + "minorUnits") for line in lines) == total
    assert {first(line, VF + "receiver") for line in lines} == {alice, bob}
    assert first(distribution, REL + "distributionRecord")["pool"] == 1000
    units = by_type(expanded, VF + "Unit")
    assert first(units["urn:reliance:unit:min"], VF + "omUnitIdentifier") == OM2 + "minute-Time"


def test_converts_to_rdf_with_valid_literals(shared_world: World) -> None:
    world = shared_world
    quads = jsonld.to_rdf(
        export_jsonld(world.alice), {"format": "application/n-quads", "documentLoader": offline_loader}
    )
    assert f"<{VF}action> <{VF}work>" in quads
    for value in re.findall(r'"([^"]*)"\^\^<' + re.escape(XSD) + r"dateTime>", quads):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", value), value
    for value in re.findall(r'"([^"]*)"\^\^<' + re.escape(XSD) + r"decimal>", quads):
        assert re.fullmatch(r"-?\d+(\.\d+)?", value), value


def test_the_command_line_gives_the_same_document(shared_world: World) -> None:
    world = shared_world
    code, out, err = run_cli(world.alice.home, "export", "--format", "jsonld")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["@context"] == json.loads(json.dumps(CONTEXT))
    library = export_jsonld(world.alice)

    def graph(d: dict[str, Any]) -> dict[str, Any]:
        return normalised({"@graph": [n for n in d["@graph"] if n.get("@type") != "schema:Dataset"]})

    assert graph(doc) == graph(library)


def test_a_reversed_distribution_flows_back_to_the_project(world: World) -> None:
    reversal = projects.reverse(world.alice, world.project, world.distribution, "wrong period")
    expanded = expand(export_jsonld(world.alice))
    events = by_type(expanded, VF + "EconomicEvent")
    node = events[f"urn:reliance:entry:{reversal}"]
    project = f"urn:reliance:project:{world.project}"
    assert first(node, VF + "corrects") == f"urn:reliance:entry:{world.distribution}"
    assert first(node, VF + "receiver") == project and VF + "provider" not in node
    for line in node[REL + "payoutLine"]:
        assert first(line, VF + "receiver") == project
        assert first(line, VF + "provider").startswith("urn:reliance:peer:")


# schema.org's domains of `keywords` (https://schema.org/keywords): not Offer, not Demand.
KEYWORDS_DOMAINS = {SCHEMA + t for t in ("CreativeWork", "Event", "Organization", "Place", "Product")}


def test_places_have_an_address_and_keywords_are_where_schema_allows_them(shared_world: World) -> None:
    expanded = expand(export_jsonld(shared_world.alice))
    places = [n for n in nodes(expanded) if SCHEMA + "Place" in n.get("@type", [])]
    assert {first(p, SCHEMA + "address") for p in places} == {
        "Atelier, 3 rue des Lilas, Lyon",
        "Parc de la Tête d'Or",
    }
    for node in (n for n in nodes(expanded) if SCHEMA + "keywords" in n):
        assert KEYWORDS_DOMAINS & set(node["@type"]), node["@type"]
    [bike] = [n for n in by_type(expanded, VF + "Proposal").values() if first(n, REL + "kind") == "offer"]
    assert SCHEMA + "keywords" not in bike
    intent = by_type(expanded, VF + "Intent")[first(bike, VF + "publishes")]
    assert {v["@value"] for v in intent[VF + "resourceClassifiedAs"]} == {"vélo", "réparation"}


def test_events_have_a_start_and_a_location_only_when_known(world: World) -> None:
    from reliance.model.catalogue import Item, ItemKind

    world.alice.add_item(Item(id="", kind=ItemKind.EVENT, title="Sans lieu", author="", begins="2026-07-20"))
    world.alice.add_item(
        Item(id="", kind=ItemKind.EVENT, title="Ailleurs", author="", place="Grange", tags=("bal",))
    )
    expanded = expand(export_jsonld(world.alice))
    events = {first(e, SCHEMA + "name"): e for e in by_type(expanded, SCHEMA + "Event").values()}
    assert events["Sans lieu"][SCHEMA + "startDate"] == [{"@type": XSD + "date", "@value": "2026-07-20"}]
    assert SCHEMA + "location" not in events["Sans lieu"]
    assert SCHEMA + "startDate" not in events["Ailleurs"]
    assert first(events["Ailleurs"][SCHEMA + "location"][0], SCHEMA + "address") == "Grange"
    assert [v["@value"] for v in events["Ailleurs"][SCHEMA + "keywords"]] == ["bal"]
