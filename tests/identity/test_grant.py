"""Linking a device through the seam: a grant made by the device that holds the participant key, carried as
bytes, decoded with every field checked, and a new home joined from it that can write at once."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from reliance.app import projects
from reliance.app.devices import (
    DeviceGrant,
    decode_grant,
    device_rows,
    encode_grant,
    grant_device,
    join_home,
    start_join,
)
from reliance.app.workspace import Workspace
from reliance.certificate import make_certificate
from reliance.errors import DeviceError
from reliance.identity import participant_key_from_phrase
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.bundle import export_bundle, import_bundle


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def link(tmp_path: Path, first: Workspace, name: str = "phone") -> Workspace:
    home = tmp_path / name
    key = start_join(home)
    raw = encode_grant(grant_device(first, key, name))
    return join_home(home, decode_grant(raw), name)


def carry(source: Workspace, target: Workspace, path: Path) -> None:
    export_bundle(source.repo, path, source.repo.doc_ids(), source.peer_id)
    import_bundle(target.repo, path)


def test_a_linked_device_writes_as_its_participant_at_once(tmp_path: Path) -> None:
    laptop = Workspace.create(tmp_path / "laptop", "Alice", device_name="laptop")
    pid = projects.create_project(laptop, "garden")
    phone = link(tmp_path, laptop)
    assert phone.peer_id == laptop.peer_id
    assert phone.identity.public_key != laptop.identity.public_key
    assert not phone.identity.holds_participant_key
    item = phone.add_item(offer("soup"))
    projects.contribute(phone, pid, "time", 30, "min", note="from the phone")
    carry(phone, laptop, tmp_path / "b1")
    assert laptop.my_item(item.id).title == "soup"
    rows = projects.ledger(laptop, pid)
    assert [r["author"] for r in rows if r.get("note") == "from the phone"] == [laptop.peer_id]
    names = {row.name: row for row in device_rows(laptop)}
    assert set(names) == {"laptop", "phone"} and names["laptop"].this_one


def test_a_device_without_the_participant_key_cannot_grant(tmp_path: Path) -> None:
    laptop = Workspace.create(tmp_path / "laptop", "Alice")
    phone = link(tmp_path, laptop)
    with pytest.raises(DeviceError) as caught:
        grant_device(phone, start_join(tmp_path / "tablet"), "tablet")
    assert caught.value.key == "device.no_participant_key"


def test_a_grant_for_another_key_is_refused_by_the_joiner(tmp_path: Path) -> None:
    laptop = Workspace.create(tmp_path / "laptop", "Alice")
    start_join(tmp_path / "phone")
    other = start_join(tmp_path / "elsewhere")
    grant = grant_device(laptop, other, "phone")
    with pytest.raises(DeviceError) as caught:
        join_home(tmp_path / "phone", grant, "phone")
    assert caught.value.key == "device.grant_not_ours"


def _good(tmp_path: Path) -> tuple[bytes, DeviceGrant]:
    laptop = Workspace.create(tmp_path / "laptop", "Alice")
    grant = grant_device(laptop, start_join(tmp_path / "phone"), "phone")
    return encode_grant(grant), grant


def test_grant_round_trip(tmp_path: Path) -> None:
    raw, grant = _good(tmp_path)
    assert decode_grant(raw) == grant


def _repacked(raw: bytes, **changes: object) -> bytes:
    data = msgpack.unpackb(raw, raw=False)
    data.update(changes)
    for key, value in changes.items():
        if value is None:
            del data[key]
    return msgpack.packb(data, use_bin_type=True)


def test_hostile_grants_are_refused_with_one_error(tmp_path: Path) -> None:
    raw, grant = _good(tmp_path)
    other = participant_key_from_phrase(
        "abandon " * 23 + "art"
    )  # a valid phrase (BIP-39 test vector), another participant
    foreign = make_certificate(other, grant.device, "phone", 0)
    bad = [
        b"",
        b"\xc1",
        raw[:-1],
        raw + b"\x00",
        msgpack.packb([1, 2, 3]),
        _repacked(raw, format="reliance-grant/2"),
        _repacked(raw, cert=b"x" * 200),
        _repacked(raw, cert=grant.certificate[:-1] + bytes([grant.certificate[-1] ^ 1])),
        _repacked(raw, cert=foreign),
        _repacked(raw, participant=b"\x00" * 32),
        _repacked(raw, participant="not bytes"),
        _repacked(raw, name=""),
        _repacked(raw, name="A\u202eevil"),
        _repacked(raw, name=" Alice "),
        _repacked(raw, name=7),
        _repacked(raw, bundle="text"),
        _repacked(raw, extra=1),
        _repacked(raw, bundle=None),
        "a string",
    ]
    for candidate in bad:
        with pytest.raises(DeviceError) as caught:
            decode_grant(candidate)
        assert caught.value.key == "device.bad_grant", candidate


def test_an_oversized_grant_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from reliance.limits import DEFAULT_LIMITS

    raw, _ = _good(tmp_path)
    small = DEFAULT_LIMITS.replace(device_grant_bytes=len(raw) - 1)
    with pytest.raises(DeviceError):
        decode_grant(raw, small)


def _sync(a: Workspace, b: Workspace) -> None:
    """Two sessions over memory, each side knowing the other by the key its handshake shows."""
    import collections

    from reliance.replication.protocol import Session, SyncHost

    left = Session(SyncHost(a.repo), peer_key=b.identity.network_key)
    right = Session(SyncHost(b.repo), peer_key=a.identity.network_key)
    queue: collections.deque[tuple[Session, bytes]] = collections.deque()
    queue.extend((right, f) for f in left.start())
    queue.extend((left, f) for f in right.start())
    while queue:
        target, frame = queue.popleft()
        other = left if target is right else right
        queue.extend((other, reply) for reply in target.receive(frame))


def test_a_linked_device_reads_its_participants_members_only_projects(tmp_path: Path) -> None:
    laptop = Workspace.create(tmp_path / "laptop", "Alice")
    bob = Workspace.create(tmp_path / "bob", "Bob")
    pid = projects.create_project(bob, "private")  # members only
    projects.add_member(bob, pid, laptop.peer_id)
    _sync(bob, laptop)
    phone = link(tmp_path, laptop)
    assert phone.identity.network_key != laptop.peer_id  # it shows its own key: it keeps no participant key
    _sync(laptop, bob)  # Bob learns of the phone from Alice's document
    projects.contribute(bob, pid, "time", 20, "min", note="from Bob")
    _sync(bob, phone)
    assert "from Bob" in {row["note"] for row in projects.ledger(phone, pid)}
    projects.contribute(phone, pid, "time", 5, "min", note="from the phone")
    _sync(phone, bob)
    assert "from the phone" in {row["note"] for row in projects.ledger(bob, pid)}
    # Once revoked, the phone reads nothing more of it.
    from reliance.app.devices import revoke_device

    revoke_device(laptop, "phone")
    _sync(laptop, bob)
    projects.contribute(bob, pid, "time", 1, "min", note="after the revocation")
    _sync(bob, phone)
    assert "after the revocation" not in {row["note"] for row in projects.ledger(phone, pid)}


async def test_device_operations_through_the_owner(tmp_path: Path) -> None:
    """`device list|rename|revoke` go through the running owner of the home, over its local API."""
    from reliance.app.devices import grant_device as grant
    from reliance.localapi.client import AsyncApiClient
    from reliance.localapi.owner import Owner
    from reliance.localapi.protocol import ApiError
    from reliance.net.config import NodeConfig
    from reliance.net.node import Node

    ws = Workspace.create(tmp_path / "home", "Alice", device_name="laptop")
    grant(ws, start_join(tmp_path / "phone"), "phone")
    owner = Owner(
        ws, Node(ws, NodeConfig(port=0, listen="127.0.0.1", mdns=False, write_state=False)), "serve"
    )
    await owner.start()
    try:
        client = await AsyncApiClient.connect(ws.home, lambda e: None, lambda: None)
        try:
            rows = await client.call("device.list")
            assert sorted(r["name"] for r in rows) == ["laptop", "phone"]
            await client.call("device.rename", {"device": "phone", "name": "old phone"})
            await client.call("device.revoke", {"device": "old phone"})
            with pytest.raises(ApiError):
                await client.call("device.revoke", {"device": "laptop"})  # the one it runs on
            rows = await client.call("device.list")
            assert {r["name"]: r["revoked"] for r in rows} == {"laptop": False, "old phone": True}
        finally:
            await client.close()
    finally:
        await owner.stop()
