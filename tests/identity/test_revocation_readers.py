"""What the readers outside the Workspace show once a device is revoked: the device list, the exports and the
"arrived" feed follow the causal rule too (real homes on disk, real bundles, the command line).

The story: Alice's laptop (which keeps the participant key) and two linked devices, a phone and a tablet;
Bob holds Alice's document. The phone, concurrently with its revocation, publishes an offer, renames Alice,
rewrites a code section and blanks the `revocation` field of its own entry (with ops numbered above the
laptop's, so that its value wins the conflict). The tablet and Bob take those changes before they hear of
the revocation, then the laptop's revocation and an offer written after it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from reliance.app.devices import grant_device, join_home, revoke_device, start_join
from reliance.app.workspace import Workspace
from reliance.automerge.crdt import ROOT_ID, Writer
from reliance.cli.main import main
from reliance.doc.devices import DEVICES, read_devices
from reliance.export.exporters import export_json
from reliance.export.jsonld import export_jsonld
from reliance.identity import decode_peer_id
from reliance.model.catalogue import Item, ItemKind
from reliance.model.codesocial import SECTION_IDS
from reliance.replication.bundle import export_bundle, import_bundle

THIEF_CODE = "the thief's own rules"


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def carry(source: Workspace, target: Workspace, path: Path) -> None:
    export_bundle(source.repo, path, source.repo.doc_ids(), source.peer_id)
    import_bundle(target.repo, path)


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


@dataclass
class Homes:
    root: Path
    laptop: Workspace
    phone: Workspace
    tablet: Workspace
    bob: Workspace


def blank_revocation(phone: Workspace) -> None:
    """The phone writes its entry's `revocation` field many times in one change: its last op is numbered
    above the laptop's revocation, so a node holding both reads the phone's blank as the field's value."""
    device_id = phone.identity.device_id

    def blank(writer: Writer) -> None:
        devices = writer.child(ROOT_ID, DEVICES)
        assert devices is not None
        entry = writer.child(devices, device_id)
        assert entry is not None
        for _ in range(300):
            writer.put(entry, "revocation", "")

    phone.write_own(phone.my_doc(), blank)


@pytest.fixture
def homes(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Homes:
    laptop = Workspace.create(tmp_path / "laptop", "Alice", device_name="laptop")
    phone = join_home(tmp_path / "phone", grant_device(laptop, start_join(tmp_path / "phone"), "phone"), "")
    tablet = join_home(
        tmp_path / "tablet", grant_device(laptop, start_join(tmp_path / "tablet"), "tablet"), ""
    )
    bob = Workspace.create(tmp_path / "bob", "Bob")
    laptop.add_item(offer("laptop before"))
    carry(laptop, phone, tmp_path / "b0")
    carry(laptop, tablet, tmp_path / "b1")
    carry(laptop, bob, tmp_path / "b2")
    code, _, err = run(capsys, monkeypatch, tmp_path / "bob", "arrived")  # Bob's first look
    assert code == 0, err
    # The phone, concurrently with its revocation (the laptop never sees this before revoking):
    phone.add_item(offer("phone concurrent"))
    phone.rename("Thief")
    phone.set_code(SECTION_IDS[0], THIEF_CODE)
    blank_revocation(phone)
    carry(phone, tablet, tmp_path / "b3")
    carry(phone, bob, tmp_path / "b4")
    revoke_device(laptop, "phone")
    laptop.add_item(offer("laptop after"))
    carry(laptop, tablet, tmp_path / "b5")
    carry(laptop, bob, tmp_path / "b6")
    return Homes(tmp_path, laptop, phone, tablet, bob)


def test_device_list_says_revoked_though_the_device_blanked_its_field(
    homes: Homes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = homes.tablet.repo.open(homes.laptop.peer_id)
    owner = decode_peer_id(homes.laptop.peer_id)
    as_held = {r.name: r.revoked for r in read_devices(stored.crdt, owner)}
    assert as_held["phone"] is False  # the blank won the conflict in the document as held
    code, listed, err = run(capsys, monkeypatch, homes.root / "tablet", "device", "list", "--json")
    assert code == 0, err
    rows = {row["name"]: row for row in json.loads(listed)}
    assert rows["phone"]["revoked"] is True
    assert rows["tablet"]["this_one"] and not rows["tablet"]["revoked"] and not rows["laptop"]["revoked"]


def test_exports_leave_out_what_the_revoked_device_signed_beyond_its_revocation(homes: Homes) -> None:
    data = export_json(homes.bob)
    alice = next(p for p in data["participants"] if p["peer_id"] == homes.laptop.peer_id)
    assert sorted(i["title"] for i in alice["items"]) == ["laptop after", "laptop before"]
    assert alice["name"] == "Alice"
    assert THIEF_CODE not in json.dumps(alice["code"])
    linked = json.dumps(export_jsonld(homes.bob))
    assert "laptop after" in linked
    assert "phone concurrent" not in linked and "Thief" not in linked and THIEF_CODE not in linked


def test_arrived_leaves_out_what_the_revoked_device_signed_beyond_its_revocation(
    homes: Homes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, monkeypatch, homes.root / "bob", "arrived", "--json")
    assert code == 0, err
    entries = json.loads(out)["entries"]
    titles = {e["params"].get("title") for e in entries}
    assert "laptop after" in titles  # what Alice wrote after the revocation arrived
    assert "phone concurrent" not in titles
    assert all(e["params"].get("name") != "Thief" for e in entries)
