"""Seed material for the fuzz targets: real documents, frames and a bundle, made once by real code.

Automerge stamps every change with the time it was made, so the seeds cannot be rebuilt identically:
they are made once and kept in `corpus/seeds.msgpack`, so that a saved failing input replays against
exactly the state it was found with. Rebuild them (after a change of format) with

    .venv/bin/python -m tests.fuzz.seeds

(`--hellos`: only the hostile hellos of `corpus/hello/`, from the seeds as they are) and re-run the fuzz
suite. A saved reproducer's `.json` names the seeds it was found with (`"seeds"`,
default `seeds.msgpack`): before a rebuild, keep the old file under another name and name it in the
reproducers found with it (`seeds-v1.msgpack`: the seeds from before certificates, which the reproducers
saved then replay against).

Who is who: Alice (steward of project P), Bob (member of P, the victim whose node receives hostile
input) and Mallory (a member of P too, whose key the apply target uses to re-sign mutated changes). Every
one of them is a participant with a device key certified by their participant key (so every proof carries
a certificate); Alice has a second device, her phone, linked to her identity, which writes in her document
and in P as her, and a third one she revoked: her participant document holds three devices and a
revocation, and the frames and the bundle carry all of it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import msgpack
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import export_bundle
from reliance.replication.protocol import Session, SyncHost
from reliance.store.records import change_info
from reliance.store.repository import Repository, SignedChange

if TYPE_CHECKING:
    from tests.sync.memnet import MemNet
    from tests.sync.memnet import Node as MemNode

CORPUS = Path(__file__).resolve().parent / "corpus"
SEEDS_PATH = CORPUS / "seeds.msgpack"
_active = [SEEDS_PATH]  # what `load()` reads: the current seeds, or those a reproducer names (`using`)
SEEDS_FORMAT = 2  # 2: certified devices (every proof carries a certificate), a linked device, a revocation

# The victim holds these many first changes of each document (by name); the frames carry the rest.
VICTIM_PREFIX = {"alice": 2, "bob": None, "project": 4}


@dataclass(frozen=True)
class Seeds:
    keys: dict[str, bytes]  # name -> raw Ed25519 private key of the device that writes as them
    certificates: dict[str, bytes]  # name -> that device's certificate (alice-phone: Alice's linked device)
    docs: dict[str, str]  # name (alice, bob, mallory, project) -> document id
    histories: dict[str, list[tuple[bytes, bytes | None]]]  # document id -> (chunk, signature), causal order
    victim: dict[str, int]  # document id -> number of first changes the victim holds
    frames_to_victim: list[bytes]  # frames a full node sent to the victim, in order
    frames_from_victim: list[bytes]
    frames_to_empty: list[bytes]  # frames a full node sent to a node holding nothing
    bundle: bytes  # a bundle of every document

    def key(self, name: str) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.keys[name])

    def public(self, name: str) -> bytes:
        return self.key(name).public_key().public_bytes_raw()

    def participant(self, name: str) -> bytes:
        """Whom `name`'s device writes for: its certificate's participant (format 1: the key itself). A node
        learns it from the certificate in the device's handshake (`Session(reader=...)`)."""
        from reliance.certificate import decode_certificate

        certificate = self.certificates.get(name)
        return decode_certificate(certificate).participant if certificate else self.public(name)

    def sign(self, name: str, change_hash: bytes) -> bytes:
        """A change's proof as `name`'s device makes it: its signature and its certificate (seeds of
        format 1 have none: the bare signature of a key that is its own participant)."""
        from reliance.certificate import sign_change

        return sign_change(self.key(name), self.certificates.get(name), change_hash)

    def signed(self, doc_id: str) -> list[SignedChange]:
        return [SignedChange(change_info(chunk), sig) for chunk, sig in self.histories[doc_id]]

    def messages(self) -> list[bytes]:
        """Every automerge sync message the recorded frames carry."""
        out: list[bytes] = []
        for frame in self.frames_to_victim + self.frames_from_victim + self.frames_to_empty:
            decoded = msgpack.unpackb(frame, raw=False)
            if decoded.get("t") == "sync":
                out.append(decoded["m"])
        return out


def fill(repo: Repository, seeds: Seeds, prefix: dict[str, int]) -> None:
    """Give `repo` the first `prefix[doc_id]` changes of each document (verified: they are ours)."""
    for doc_id, count in prefix.items():
        if count:
            repo.open(doc_id, create=True).add_verified(seeds.signed(doc_id)[:count])


@contextlib.contextmanager
def using(name: str | None) -> Iterator[None]:
    """`load()` reads the seeds file `name` of corpus/ meanwhile (None: the current one)."""
    _active.append(CORPUS / name if name else SEEDS_PATH)
    try:
        yield
    finally:
        _active.pop()


def load() -> Seeds:
    return _load(_active[-1])


@cache
def _load(path: Path) -> Seeds:
    data = msgpack.unpackb(path.read_bytes(), raw=False)
    if data.get("format") not in (1, SEEDS_FORMAT):
        raise RuntimeError(f"{path} is of another format: rebuild it with python -m tests.fuzz.seeds")
    return Seeds(
        keys=data["keys"],
        certificates=data.get("certificates", {}),
        docs=data["docs"],
        histories={k: [(c, s) for c, s in v] for k, v in data["histories"].items()},
        victim=data["victim"],
        frames_to_victim=data["frames_to_victim"],
        frames_from_victim=data["frames_from_victim"],
        frames_to_empty=data["frames_to_empty"],
        bundle=data["bundle"],
    )


def _private(ws: Workspace) -> bytes:
    return ws.identity.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def exchange(a: Session, b: Session) -> tuple[list[bytes], list[bytes]]:
    """Run two sessions against each other until quiet; return the frames each one sent."""
    sent_a: list[bytes] = []
    sent_b: list[bytes] = []
    to_b = a.start()
    to_a = b.start()
    for _ in range(1000):
        if not to_a and not to_b:
            return sent_a, sent_b
        sent_a.extend(to_b)
        sent_b.extend(to_a)
        next_to_a = [reply for frame in to_b for reply in b.receive(frame)]
        next_to_b = [reply for frame in to_a for reply in a.receive(frame)]
        to_a, to_b = next_to_a, next_to_b
    raise RuntimeError("the sessions did not settle")


def linked_device(net: MemNet, first: MemNode, home: Path, name: str) -> MemNode:
    """A device linked to `first`'s identity as `device join` does it (its documents come with the grant)."""
    from reliance.app.devices import grant_device, join_home, start_join
    from tests.sync.memnet import Node as MemNode

    key = start_join(home)
    ws = join_home(home, grant_device(first.ws, key, name), name)
    device = MemNode.__new__(MemNode)  # a node of the network around a workspace made elsewhere
    device.name, device.ws, device.blocked, device.links = f"{first.name}'s {name}", ws, set(), []
    device.host = SyncHost(ws.repo, lambda: device.blocked)
    device.host.listeners.append(device._on_batch)
    net.nodes.append(device)
    return device


def build(root: Path) -> dict[str, object]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reliance.app.devices import grant_device, revoke_device
    from reliance.identity import public_bytes
    from tests.sync.memnet import MemNet, sync_once

    net = MemNet(root)
    alice, bob, mallory = net.node("Alice"), net.node("Bob"), net.node("Mallory")
    alice.ws.add_item(Item(id="", kind=ItemKind.OFFER, title="pain", author="", description="au levain"))
    long_text = (
        "Une description assez longue pour que la modification dépasse quelques centaines d'octets. " * 6
    )
    alice.ws.add_item(Item(id="", kind=ItemKind.NEED, title="vélo", author="", description=long_text))
    alice.ws.set_code("contexte", "On partage ce qu'on a.")
    bob.ws.add_item(
        Item(id="", kind=ItemKind.OFFER, title="cours de guitare", author="", description="le mardi")
    )
    mallory.ws.add_item(Item(id="", kind=ItemKind.OFFER, title="conseils", author="", description="gratuits"))
    pid = projects.create_project(alice.ws, "atelier")
    projects.add_member(alice.ws, pid, bob.peer_id)
    projects.add_member(alice.ws, pid, mallory.peer_id)
    sync_once(alice, bob, net)
    sync_once(alice, mallory, net)
    projects.contribute(bob.ws, pid, "time", 90, "min", note="rangement")
    projects.contribute(mallory.ws, pid, "time", 30, "min", note="affiches")
    mallory.ws.add_item(Item(id="", kind=ItemKind.NEED, title="outils", author="", description="prêt"))
    sync_once(bob, alice, net)
    sync_once(mallory, alice, net)
    projects.contribute(mallory.ws, pid, "money", 12, "EUR", note="colle")
    projects.set_project_code(alice.ws, pid, "contexte", "L'atelier est ouvert à tous.")
    sync_once(mallory, alice, net)
    # Alice's phone: linked, it writes as her in her document and in the project
    phone = linked_device(net, alice, root / "alice-phone", "phone")
    phone.ws.add_item(Item(id="", kind=ItemKind.OFFER, title="confiture", author="", description="de mûres"))
    projects.contribute(phone.ws, pid, "time", 45, "min", note="depuis le téléphone")
    sync_once(phone, alice, net)
    # and an old laptop of hers, certified then revoked: her document holds the revocation
    grant_device(alice.ws, public_bytes(Ed25519PrivateKey.generate()), "vieux portable")
    revoke_device(alice.ws, "vieux portable")
    alice.ws.add_item(Item(id="", kind=ItemKind.NEED, title="scie", author="", description="une journée"))
    names = {"alice": alice.peer_id, "bob": bob.peer_id, "mallory": mallory.peer_id, "project": pid}
    histories: dict[str, list[list[bytes | None]]] = {}
    for doc_id in names.values():
        stored = alice.ws.repo.open(doc_id)
        assert not stored.pending
        histories[doc_id] = [[c.info.chunk, c.signature] for c in stored.signed_changes()]
    victim = {
        names[n]: (len(histories[names[n]]) if count is None else count) for n, count in VICTIM_PREFIX.items()
    }
    nodes = {"alice": alice, "bob": bob, "mallory": mallory, "alice-phone": phone}
    certificates = {name: node.ws.identity.certificate for name, node in nodes.items()}
    assert all(certificates.values()), "every device is a certified one"
    seeds = Seeds(
        keys={name: _private(node.ws) for name, node in nodes.items()},
        certificates=certificates,  # type: ignore[arg-type]
        docs=names,
        histories={k: [(bytes(c), s) for c, s in v] for k, v in histories.items()},  # type: ignore[arg-type]
        victim=victim,
        frames_to_victim=[],
        frames_from_victim=[],
        frames_to_empty=[],
        bundle=b"",
    )
    victim_repo = Repository(root / "victim", seeds.public("bob"))
    fill(victim_repo, seeds, victim)
    alice_key, bob_key = seeds.public("alice"), seeds.public("bob")
    from_full, to_full = exchange(
        Session(SyncHost(alice.ws.repo), peer_key=bob_key), Session(SyncHost(victim_repo), peer_key=alice_key)
    )
    for doc_id in names.values():
        assert victim_repo.open(doc_id).heads() == alice.ws.repo.open(doc_id).heads(), doc_id
    empty_repo = Repository(root / "empty", seeds.public("bob"))
    to_empty, _ = exchange(
        Session(SyncHost(alice.ws.repo), peer_key=bob_key), Session(SyncHost(empty_repo), peer_key=alice_key)
    )
    bundle_path = root / "all.bundle"
    export_bundle(alice.ws.repo, bundle_path, list(names.values()), alice.peer_id)
    return {
        "format": SEEDS_FORMAT,
        "keys": seeds.keys,
        "certificates": seeds.certificates,
        "docs": names,
        "histories": histories,
        "victim": victim,
        "frames_to_victim": from_full,
        "frames_from_victim": to_full,
        "frames_to_empty": to_empty,
        "bundle": bundle_path.read_bytes(),
    }


def hostile_hellos(seeds: Seeds) -> dict[str, tuple[bytes, str]]:
    """Hellos a hostile peer sends, from the seeds' real keys and certificates: name -> (payload, what)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from reliance.certificate import make_certificate
    from reliance.identity import public_bytes
    from reliance.net.hello import PROTOCOL_VERSION, make_hello

    static = bytes(range(32))  # the hello target's Noise static key
    phone, cert = seeds.key("alice-phone"), seeds.certificates["alice-phone"]

    def hello(key: Ed25519PrivateKey, certificate: object) -> bytes:
        real = make_hello(key, static, name="Alice", port=7447, version=PROTOCOL_VERSION, certificate=cert)
        fields = msgpack.unpackb(real, raw=False)
        fields["cert"] = certificate
        return bytes(msgpack.packb(fields, use_bin_type=True))

    # the hello target's revoked device (its participant revoked it): the same fixed keys
    participant = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
    revoked = Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35)))
    revoked_cert = make_certificate(participant, public_bytes(revoked), "perdu", 1_780_000_000)
    return {
        "certificate-of-another-key": (hello(phone, seeds.certificates["mallory"]), "Mallory's certificate"),
        "certificate-bad-signature": (
            hello(phone, cert[:-1] + bytes([cert[-1] ^ 1])),
            "a bit of its signature",
        ),
        "certificate-oversized": (hello(phone, cert + bytes(300)), "300 zero bytes after it"),
        "certificate-truncated": (hello(phone, cert[:100]), "its first 100 bytes"),
        "certificate-truncated-by-one": (hello(phone, cert[:-1]), "its last byte cut"),
        "certificate-not-bytes": (hello(phone, cert.hex()), "as a hex string"),
        "certificate-of-a-revoked-device": (hello(revoked, revoked_cert), "a device its participant revoked"),
    }


def write_hello_corpus(seeds: Seeds) -> None:
    """The hostile hellos as reproducers of the `hello` target: each must be refused, and replays so."""
    import json

    folder = CORPUS / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (payload, what) in hostile_hellos(seeds).items():
        (folder / f"{name}.bin").write_bytes(payload)
        meta = {
            "target": "hello",
            "input": f"Alice's phone's hello with a certificate: {what}",
            "refused": True,
        }
        (folder / f"{name}.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {folder / name}.bin")


def main() -> None:
    import sys

    if "--hellos" not in sys.argv[1:]:  # --hellos: only the hostile hellos, from the seeds as they are
        with tempfile.TemporaryDirectory() as directory:
            data = build(Path(directory))
        SEEDS_PATH.parent.mkdir(parents=True, exist_ok=True)
        SEEDS_PATH.write_bytes(msgpack.packb(data, use_bin_type=True))
        print(f"wrote {SEEDS_PATH} ({SEEDS_PATH.stat().st_size} bytes)")
        for name, doc_id in data["docs"].items():  # type: ignore[attr-defined]
            print(f"  {name}: {doc_id}, {len(data['histories'][doc_id])} changes")  # type: ignore[index]
        _load.cache_clear()
    write_hello_corpus(load())


if __name__ == "__main__":
    main()
