"""A deterministic world for golden files: fixed Ed25519 seeds, a fixed clock and counted ids.

Two participants (Alice, steward of the project "Jardin partagé", and Bob, a member) in two homes, with a
social code, one item of each kind, an answer, and a ledger holding every kind of entry (a reversal, an
acknowledgement, a credit limit, a policy and a recorded distribution). Bundles carry each home's documents
to the other, so both hold everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.clock import FixedClock
from reliance.identity import KEY_FILE, PROFILE_FILE, identity_dir, load_identity
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.replication.bundle import export_bundle, import_bundle

GOLDEN = Path(__file__).parent / "golden"
FIXED_TIME = "2026-06-01T09:00:00+00:00"
SEEDS = {"Alice": bytes(range(32)), "Bob": bytes(range(100, 132))}


def write_identity(home: Path, name: str, seed: bytes) -> None:
    """The files `reliance init` would write, for a key derived from `seed`."""
    directory = identity_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.from_private_bytes(seed)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / KEY_FILE).write_bytes(pem)
    (directory / PROFILE_FILE).write_text(
        json.dumps({"name": name, "created": FIXED_TIME, "encrypted": False}), "utf-8"
    )


class GoldenClock(FixedClock):
    """The world's clock: always `FIXED_TIME`, item and record ids counted, one nonce for every project."""

    def __init__(self) -> None:
        super().__init__(FIXED_TIME)

    def new_nonce(self) -> bytes:
        return b"\x07" * 16


def open_fixed(home: Path, name: str, clock: FixedClock) -> Workspace:
    write_identity(home, name, SEEDS[name])
    ws = Workspace(home, load_identity(home), clock=clock)
    ws.start_my_document()
    return ws


@dataclass
class World:
    alice: Workspace
    bob: Workspace
    project: str
    entries: dict[str, str]
    distribution: str


def exchange(a: Workspace, b: Workspace, folder: Path) -> None:
    """Carry every document of `a` to `b` and back, by bundle."""
    for src, dst in ((a, b), (b, a)):
        path = folder / f"{src.identity.name}.bundle"
        export_bundle(src.repo, path, src.repo.doc_ids(), src.peer_id, clock=src.clock)
        import_bundle(dst.repo, path)


def build_world(root: Path) -> World:
    clock = GoldenClock()  # one for both homes: ids are counted across the world
    alice = open_fixed(root / "alice", "Alice", clock)
    bob = open_fixed(root / "bob", "Bob", clock)
    alice.set_code("valeurs", "Soin, partage, joie.")
    alice.set_code("regles", "On décide au consentement.\nOn se parle avant de se fâcher.")
    bob.set_code("histoire", "Jardinier depuis 2010.")
    project = projects.create_project(alice, "Jardin partagé")
    projects.add_member(alice, project, bob.peer_id)
    projects.set_project_code(alice, project, "richesses", "temps, argent\njoie")
    offer = alice.add_item(
        Item(
            id="",
            kind=ItemKind.OFFER,
            title="Cours de vélo",
            author="",
            description="Réparer et rouler en ville.",
            tags=("vélo", "réparation"),
            place="Atelier, 3 rue des Lilas, Lyon",
            begins="2026-07-01",
            reciprocity="time",
            project=project,
        )
    )
    alice.add_item(Item(id="", kind=ItemKind.NEED, title="Une perceuse", author="", reciprocity="barter"))
    alice.add_item(
        Item(id="", kind=ItemKind.CALL, title="Bras pour le compost", author="", project="Jardin partagé")
    )
    alice.add_item(
        Item(
            id="",
            kind=ItemKind.EVENT,
            title="Fête des semences",
            author="",
            place="Parc de la Tête d'Or",
            begins="2026-07-14T18:00",
            ends="2026-07-14T23:00",
            status=Status.MATCHED,
        )
    )
    alice.add_item(
        Item(id="", kind=ItemKind.SEED, title="Faire son compost", author="", description="Vert + brun.")
    )
    exchange(alice, bob, root)
    bob.answer(offer.id, "can_help", "Je viens samedi")
    entries = {
        "bob_time": projects.contribute(bob, project, "time", 120, "min", "désherbage", {"joy": 2}),
        "bob_gift": projects.record_entry(
            bob, project, kind="transfer", amount=30, unit="min", counterparty="@project", note="don"
        ),
    }
    exchange(alice, bob, root)
    entries |= {
        "alice_money": projects.contribute(alice, project, "money", 5000, "EUR", "graines"),
        "alice_expense": projects.record_entry(
            alice, project, kind="expense", amount=1500, unit="EUR", note="=SUM(A1:A9)"
        ),
        "alice_revenue": projects.record_entry(
            alice, project, kind="revenue", amount=10000, unit="EUR", note="vente de plants"
        ),
        "alice_mistake": projects.contribute(alice, project, "knowledge", 60, "min", "mauvaise saisie"),
    }
    entries["reversal"] = projects.reverse(alice, project, entries["alice_mistake"], "erreur")
    projects.acknowledge(alice, project, entries["bob_time"], 120)
    projects.set_limit(alice, project, "*", "min", -600)
    projects.set_policy(
        alice,
        project,
        {
            "buckets": [
                {"name": "réserve", "percent": 10, "rule": "reserve"},
                {"name": "base", "percent": 30, "rule": "equal"},
                {"name": "contribution", "percent": 60, "rule": "contribution"},
            ],
            "weights": [
                {"action": "work", "unit": "min", "weight": 1},
                {"action": "transfer", "unit": "EUR", "weight": "1/25"},
            ],
        },
    )
    dist = projects.dividend(alice, project, "2026-01-01", "2026-12-31", 1000, "EUR")
    distribution = projects.record_distribution(alice, project, dist)
    exchange(alice, bob, root)
    return World(alice, bob, project, entries, distribution)


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A fresh world for a test that changes it."""
    return build_world(tmp_path)


@pytest.fixture(scope="session")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One world for the tests that only read it (its workspaces keep the world's clock: an export made
    from them is dated `FIXED_TIME`)."""
    return build_world(tmp_path_factory.mktemp("world"))
