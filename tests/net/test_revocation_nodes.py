"""A device revoked while it writes, through real nodes (real homes, stores on disk, signed changes, the
sync sessions; tests/net/memnet.py): a node that took the device's concurrent ledger entry before it knew
of the revocation stops counting it once it learns, and ends with the same ledger as a node that learned of
the revocation first."""

from __future__ import annotations

from pathlib import Path

from reliance.app import projects
from reliance.app.devices import grant_device, join_home, revoke_device, start_join
from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind
from reliance.net.node import Node
from reliance.replication.bundle import export_bundle, import_bundle
from reliance.replication.devices import revoked_of
from tests.net.memnet import MemoryNet


def carry(source: Workspace, target: Workspace, path: Path) -> None:
    export_bundle(source.repo, path, source.repo.doc_ids(), source.peer_id)
    import_bundle(target.repo, path)


def titles(node: Node) -> set[str]:
    return {item.title for item in node.ws.items()}


def knows_revocation(node: Node, participant: str) -> bool:
    repo = node.ws.repo
    return repo.exists(participant) and bool(revoked_of(repo.open(participant)))


def counted(node: Node, pid: str) -> set[str]:
    """The notes of the ledger entries the node counts (its own view of the project, if it holds it)."""
    if not node.ws.repo.exists(pid):
        return set()
    return {entry.note for entry in projects.ledger_view(node.ws.repo.open(pid)).entries}


def shown(node: Node, pid: str) -> set[str]:
    """Every entry the node's ledger shows, counted or not."""
    if not node.ws.repo.exists(pid):
        return set()
    return {str(row.get("note")) for row in projects.ledger(node.ws, pid)}


async def test_a_node_that_took_a_revoked_devices_entry_drops_it_when_it_learns(tmp_path: Path) -> None:
    laptop = Workspace.create(tmp_path / "laptop", "Alice", device_name="laptop")
    pid = projects.create_project(laptop, "garden", visibility="public")
    phone = join_home(tmp_path / "phone", grant_device(laptop, start_join(tmp_path / "phone"), "phone"), "")
    projects.contribute(phone, pid, "time", 5, "min", note="phone before")
    carry(phone, laptop, tmp_path / "before.bundle")
    projects.contribute(phone, pid, "time", 7, "min", note="phone concurrent")  # the laptop never sees it
    phone.add_item(Item(id="", kind=ItemKind.OFFER, title="phone concurrent", author=""))
    revoke_device(laptop, "phone")
    projects.contribute(laptop, pid, "time", 9, "min", note="laptop after")

    async with MemoryNet(tmp_path) as net:
        on_laptop = await net.node("Alice", laptop)
        on_phone = await net.node("phone", phone)
        bob, chloe = await net.node("Bob"), await net.node("Chloé")
        # Bob hears from the phone first: he takes its concurrent entry and counts it.
        await net.join(on_phone, bob)
        await net.until(lambda: "phone concurrent" in counted(bob, pid), "Bob counts the phone's entry")
        assert counted(bob, pid) == {"phone before", "phone concurrent"}
        await net.until(lambda: "phone concurrent" in titles(bob), "Bob shows the phone's offer")
        # Chloé hears from the laptop first (the revocation), then gets the phone's bundle.
        await net.join(on_laptop, chloe)
        await net.until(lambda: "laptop after" in counted(chloe, pid), "Chloé has the laptop's ledger")
        await net.until(lambda: knows_revocation(chloe, laptop.peer_id), "Chloé knows of the revocation")
        carry(phone, chloe.ws, tmp_path / "phone.bundle")
        assert counted(chloe, pid) == {"phone before", "laptop after"}
        # Bob learns of the revocation: the phone's concurrent entry counts no more, and is not shown.
        await net.join(on_laptop, bob)
        await net.until(lambda: knows_revocation(bob, laptop.peer_id), "Bob knows of the revocation")
        await net.until(lambda: "laptop after" in counted(bob, pid), "Bob has the laptop's ledger")
        assert counted(bob, pid) == counted(chloe, pid) == {"phone before", "laptop after"}
        assert shown(bob, pid) == shown(chloe, pid) == {"phone before", "laptop after"}
        assert "phone concurrent" not in titles(bob)
        assert titles(bob) == titles(chloe)
        # Bob still holds the change (others may build on it); it counts for nothing in his view.
        held = bob.ws.repo.open(pid)
        view = projects.effective(held)
        void = {view.index.graph.author_at(p) for p in view.void}
        assert void == {phone.identity.public_key}
