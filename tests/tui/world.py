"""A small, fully deterministic world for the app's tests, snapshots and screenshots.

Identities come from fixed seeds (written as identity files, like `reliance init` does), the workspaces that
write the data are given a fixed clock (its time set by hand, its ids counted), and the peers' documents
reach Camille's home through the real sync protocol (`Session` pumped in memory), so every run produces the
same screens.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.clock import FixedClock
from reliance.fsutil import atomic_write, write_private
from reliance.identity import KEY_FILE, PROFILE_FILE, encode_peer_id, identity_dir
from reliance.model.catalogue import Item, ItemKind, Status
from reliance.net.events import NodeEvent, PeerInfo, PeerState
from reliance.replication.protocol import Session, SyncHost
from reliance.store.repository import Repository

SEEDS = {"camille": 1, "dominique": 2, "sacha": 3, "stranger": 4, "noor": 5}
NAMES = {
    "camille": "Camille",
    "dominique": "Dominique",
    "sacha": "Sacha",
    "stranger": "Inconnu·e",
    "noor": "Noor",
}


def private_key(who: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([SEEDS[who]]) * 32)


def peer_id_of(who: str) -> str:
    return encode_peer_id(private_key(who).public_key().public_bytes_raw())


def write_identity(home: Path, who: str, created: str = "2026-06-01T09:00:00+00:00") -> None:
    """What `reliance init` writes, from a fixed seed."""
    directory = identity_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    pem = private_key(who).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(directory / KEY_FILE, pem, exclusive=True)
    profile = {"name": NAMES[who], "created": created, "encrypted": False}
    atomic_write(directory / PROFILE_FILE, json.dumps(profile, indent=2).encode())


class WorldClock(FixedClock):
    """The world's time, set by hand while its data is written, and one count for every kind of id."""

    def __init__(self) -> None:
        super().__init__("2026-07-01T09:00:00+00:00")
        self._count = itertools.count(1)

    def new_id(self) -> str:
        return f"{next(self._count):016x}"

    def new_nonce(self) -> bytes:
        return next(self._count).to_bytes(16, "big")

    def new_record_suffix(self) -> str:
        return f"{next(self._count):012x}"


def pump(repo_a: Repository, repo_b: Repository, rounds: int = 200) -> None:
    """Sync two repositories in memory with the real protocol until both are quiet."""
    a = Session(SyncHost(repo_a), peer_key=repo_b.actor)
    b = Session(SyncHost(repo_b), peer_key=repo_a.actor)
    to_b, to_a = a.start(), b.start()
    for _ in range(rounds):
        if not to_a and not to_b:
            return
        next_to_a = [out for frame in to_b for out in b.receive(frame)]
        next_to_b = [out for frame in to_a for out in a.receive(frame)]
        to_a, to_b = next_to_a, next_to_b
    raise AssertionError("sync did not settle")


def item(kind: ItemKind, title: str, **fields: object) -> Item:
    return Item(id="", kind=kind, title=title, author="", **fields)  # type: ignore[arg-type]


@dataclass
class World:
    root: Path
    camille: Workspace
    dominique: Workspace
    sacha: Workspace
    project_id: str

    @property
    def home(self) -> Path:
        return self.camille.home


def build_world(root: Path) -> World:
    """Camille (the app's user), Dominique and Sacha, their items, answers, social codes and one project."""
    clock = WorldClock()
    homes = {}
    for who in ("camille", "dominique", "sacha"):
        homes[who] = root / who
        write_identity(homes[who], who)
    camille = Workspace.open(homes["camille"], clock=clock)
    dominique = Workspace.open(homes["dominique"], clock=clock)
    sacha = Workspace.open(homes["sacha"], clock=clock)
    for ws in (camille, dominique, sacha):
        ws.start_my_document()

    clock.set("2026-07-01T10:00:00+00:00")
    camille.set_code("histoire", "Boulangère de quartier depuis 2019, je cuis au feu de bois.")
    camille.set_code("valeurs", "Partage, pain pour toutes et tous, transparence des comptes.")
    camille.set_code("regles", "On prévient 24 h avant de venir au fournil.\nOn nettoie après soi.")
    clock.set("2026-07-02T08:30:00+00:00")
    camille.set_code("valeurs", "Partage, pain pour toutes et tous, transparence des comptes, joie.")
    clock.set("2026-07-02T09:00:00+00:00")
    bread = camille.add_item(
        item(
            ItemKind.OFFER,
            "Pain au levain du fournil",
            description="Deux fournées par semaine, à prix libre.",
            tags=("pain", "alimentation"),
            place="Fournil de la rue Haute",
            reciprocity="gift",
        )
    )
    clock.set("2026-07-02T09:05:00+00:00")
    camille.add_item(
        item(
            ItemKind.NEED,
            "Bras pour pétrir le samedi",
            tags=("pain", "entraide"),
            place="Fournil de la rue Haute",
            reciprocity="time",
        )
    )

    clock.set("2026-07-03T11:00:00+00:00")
    dominique.set_code("histoire", "Menuisier, j'anime l'atelier partagé du tiers-lieu.")
    dominique.set_code("valeurs", "Partage, réparation plutôt que remplacement.")
    dominique.add_item(
        item(
            ItemKind.OFFER,
            "Prêt d'outils de menuiserie",
            description="Scies, rabots et serre-joints, à rendre propres.",
            tags=("outils", "bois"),
            place="Atelier partagé",
            reciprocity="barter",
        )
    )
    clock.set("2026-07-03T11:10:00+00:00")
    dominique.add_item(
        item(
            ItemKind.EVENT,
            "Atelier réparation de vélos",
            tags=("vélo", "réparation"),
            place="Cour du tiers-lieu",
            begins="2026-07-14T14:00",
            ends="2026-07-14T17:00",
        )
    )
    clock.set("2026-07-03T11:20:00+00:00")
    dominique.add_item(
        item(
            ItemKind.EVENT,
            "Concert sous le tilleul",
            tags=("musique",),
            place="Jardin",
            begins="2026-07-14T20:30",
            ends="2026-07-14T22:00",
        )
    )

    clock.set("2026-07-04T15:00:00+00:00")
    sacha.set_code("histoire", "Étudiante en agronomie, je cultive un jardin partagé.")
    sacha.add_item(
        item(
            ItemKind.NEED,
            "Graines de tomates anciennes",
            tags=("jardin", "semences"),
            reciprocity="barter",
        )
    )
    clock.set("2026-07-04T15:10:00+00:00")
    sacha.add_item(
        item(
            ItemKind.SEED,
            "Faire son compost en ville",
            description="Fiche pratique : bac, équilibre vert/brun, retournement.",
            tags=("jardin", "compost"),
        )
    )
    clock.set("2026-07-04T15:20:00+00:00")
    sacha.add_item(
        item(
            ItemKind.EVENT,
            "Visite du jardin partagé",
            tags=("jardin",),
            place="Jardin",
            begins="2026-07-15T10:00",
            ends="2026-07-15T11:30",
        )
    )
    clock.set("2026-07-04T15:30:00+00:00")
    sacha.add_item(
        item(
            ItemKind.CALL,
            "Appel : cartographier les jardins du quartier",
            tags=("jardin", "carte"),
            status=Status.PUBLISHED,
        )
    )

    # Everyone meets everyone (Camille's home ends up with every document).
    pump(camille.repo, dominique.repo)
    pump(camille.repo, sacha.repo)
    pump(dominique.repo, sacha.repo)

    clock.set("2026-07-05T18:00:00+00:00")
    dominique.answer(bread.id, "interested", "Je peux passer jeudi ?")
    clock.set("2026-07-05T18:30:00+00:00")
    sacha.answer(bread.id, "can_help", "Je pétris avec toi samedi.")

    clock.set("2026-07-06T09:00:00+00:00")
    project_id = projects.create_project(camille, "Fournil partagé")
    projects.add_member(camille, project_id, dominique.peer_id, "member")
    projects.set_project_code(camille, project_id, "objectifs", "Cuire ensemble deux fois par semaine.")
    clock.set("2026-07-07T17:00:00+00:00")
    projects.contribute(camille, project_id, "time", 240, "min", "Fournée du mardi")
    projects.contribute(camille, project_id, "money", 4500, "EUR", "Farine bio (sacs de 25 kg)")
    clock.set("2026-07-08T12:00:00+00:00")
    projects.record_entry(
        camille, project_id, kind="revenue", amount=12000, unit="EUR", note="Marché du samedi"
    )
    pump(camille.repo, dominique.repo)
    clock.set("2026-07-09T16:00:00+00:00")
    projects.contribute(dominique, project_id, "time", 180, "min", "Réparation du pétrin")
    projects.contribute(dominique, project_id, "resource", 120, "min", "Prêt de la remorque")
    pump(camille.repo, dominique.repo)
    pump(camille.repo, sacha.repo)
    return World(root, camille, dominique, sacha, project_id)


def copy_home(world: World, target: Path) -> Path:
    """A fresh copy of Camille's home (each test writes into its own)."""
    shutil.copytree(world.home, target, ignore=shutil.ignore_patterns("lock", "*.tmp"))
    return target


class FakeNode:
    """A node that does nothing but what the tests tell it; records what the app asked."""

    def __init__(self, peers: list[PeerInfo] | None = None) -> None:
        self._peers = list(peers or [])
        self.callbacks: list[Callable[[NodeEvent], None]] = []
        self.started = False
        self.stopped = False
        self.accepted: list[str] = []
        self.blocked: list[str] = []
        self.unblocked: list[str] = []
        self.changed: list[str] = []
        self.addresses: list[tuple[str, int]] = []
        self.listen_address: tuple[str, int] | None = ("192.168.1.20", 7447)
        self.last_sync: float | None = 1_783_000_000.0  # fixed instant, shown as a time of day

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def peers(self) -> list[PeerInfo]:
        return list(self._peers)

    def subscribe(self, callback: Callable[[NodeEvent], None]) -> None:
        self.callbacks.append(callback)

    def emit(self, event: NodeEvent) -> None:
        for callback in self.callbacks:
            callback(event)

    async def add_address(self, host: str, port: int) -> None:
        self.addresses.append((host, port))

    def _set_state(self, peer_id: str, state: PeerState) -> None:
        for info in self._peers:
            if info.peer_id == peer_id:
                info.state = state

    def accept_peer(self, peer_id: str) -> None:
        self.accepted.append(peer_id)
        self._set_state(peer_id, PeerState.CONNECTED)

    def block_peer(self, peer_id: str) -> None:
        self.blocked.append(peer_id)
        self._set_state(peer_id, PeerState.BLOCKED)

    def unblock_peer(self, peer_id: str) -> None:
        self.unblocked.append(peer_id)
        self._set_state(peer_id, PeerState.DISCOVERED)

    def local_change(self, doc_id: str) -> None:
        self.changed.append(doc_id)

    def diagnose(self) -> list[object]:
        from reliance.net.doctor import Finding

        return [
            Finding("ok", "port_free", "doctor.port_free", {"port": 7447}),
            Finding("warning", "no_peers", "doctor.no_peers", {"typed": ""}, "doctor.no_peers_advice"),
        ]


def fake_peers() -> list[PeerInfo]:
    return [
        PeerInfo(
            peer_id_of("dominique"),
            "Dominique",
            PeerState.CONNECTED,
            "192.168.1.21:7447",
            1_783_000_000.0,
            "mdns",
            {"a": True, "b": True, "c": False},
        ),
        PeerInfo(
            peer_id_of("stranger"),
            "Inconnu·e",
            PeerState.PENDING,
            "192.168.1.40:7447",
            1_783_000_100.0,
            "incoming",
        ),
        PeerInfo(
            peer_id_of("sacha"), "Sacha", PeerState.DISCOVERED, "192.168.1.22:7447", 1_782_999_000.0, "mdns"
        ),
    ]
