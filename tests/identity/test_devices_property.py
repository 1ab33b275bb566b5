"""Devices under any delivery order: a third node receives two devices' changes and a revocation one change
at a time, in an order hypothesis picks, through the one write path (`accept_batch`, with its buffer).

- what the owner's devices wrote before the revocation is accepted at the end, whatever the order;
- nothing the revoked device signed outside the revocation's past is applied once the revocation is
  (nor buffered to be applied later);
- two devices writing the participant document at once converge, and never produce `duplicate seq`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.devices import (
    decode_grant,
    encode_grant,
    grant_device,
    join_home,
    revoke_device,
    start_join,
)
from reliance.app.workspace import Workspace
from reliance.model.catalogue import Item, ItemKind
from reliance.replication.auth import Rejected, accept_batch
from reliance.replication.bundle import export_bundle, import_bundle
from reliance.store.repository import SignedChange


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def carry(source: Workspace, target: Workspace, path: Path) -> None:
    export_bundle(source.repo, path, source.repo.doc_ids(), source.peer_id)
    import_bundle(target.repo, path)


@dataclass
class Story:
    laptop: Workspace
    phone: Workspace
    pid: str
    changes: dict[str, list[SignedChange]]  # per document, every change of the story
    revocation: bytes  # the change that revokes the phone
    before: set[bytes]  # the revocation's past
    phone_key: bytes


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    root = tmp_path_factory.mktemp("story")
    laptop = Workspace.create(root / "laptop", "Alice", device_name="laptop")
    pid = projects.create_project(laptop, "garden")
    phone_home = root / "phone"
    phone = join_home(
        phone_home, decode_grant(encode_grant(grant_device(laptop, start_join(phone_home), "phone"))), ""
    )
    phone.add_item(offer("phone 1"))  # known to the laptop before the revocation
    projects.contribute(phone, pid, "time", 5, "min", note="phone before")
    carry(phone, laptop, root / "b1")
    laptop.add_item(offer("laptop 1"))
    phone.add_item(offer("phone 2, concurrent"))  # the laptop never sees these before revoking
    projects.contribute(phone, pid, "time", 7, "min", note="phone concurrent")
    revoke_device(laptop, "phone")
    revocation = laptop.my_doc().heads()[0]
    phone.add_item(offer("phone 3, after"))
    laptop.add_item(offer("laptop 2"))
    projects.contribute(laptop, pid, "time", 9, "min", note="laptop after")
    changes: dict[str, list[SignedChange]] = {}
    for doc_id in (laptop.peer_id, pid):
        seen: dict[bytes, SignedChange] = {}
        for ws in (laptop, phone):
            for change in ws.repo.open(doc_id).signed_changes():
                if change.signature is not None:
                    seen.setdefault(change.info.hash, change)
        changes[doc_id] = list(seen.values())
    history = {c.info.hash: c.info for c in changes[laptop.peer_id]}
    before: set[bytes] = set()
    stack = [revocation]
    while stack:
        current = stack.pop()
        if current not in before:
            before.add(current)
            stack.extend(history[current].deps)
    return Story(laptop, phone, pid, changes, revocation, before, phone.identity.public_key)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_devices_and_a_revocation_in_any_order(
    story: Story, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    root = tmp_path_factory.mktemp("judge")
    judge = Workspace.create(root / "bob", "Bob")
    doc_id = story.laptop.peer_id
    order = data.draw(st.permutations(story.changes[doc_id]))
    revoked_at: int | None = None
    queue = list(
        order
    )  # a change turned away (nothing here to wait in yet) is sent again later, as a peer does
    refused: set[bytes] = set()
    step = 0
    while queue and step < 10 * len(order):
        change = queue.pop(0)
        step += 1
        try:
            outcome = accept_batch(judge.repo, doc_id, [change])
        except Rejected as exc:
            assert "duplicate seq" not in exc.reason
            assert change.info.actor == story.phone_key and change.info.hash not in story.before, exc.reason
            refused.add(change.info.hash)
            continue
        if outcome.turned_away:
            queue.append(change)
        if story.revocation in outcome.applied:
            revoked_at = step
        elif revoked_at is not None:
            phone = {c.info.hash for c in order if c.info.actor == story.phone_key}
            late = [h for h in outcome.applied if h in phone and h not in story.before]
            assert not late, "a change of the revoked device was applied after the revocation"
    held = judge.repo.open(doc_id)
    laptop_changes = {c.info.hash for c in order if c.info.actor != story.phone_key}
    missing = (laptop_changes | story.before) - set(held.known)
    assert not missing, [
        (h.hex()[:8], h in held.pending, [c.info.seq for c in order if c.info.hash == h]) for h in missing
    ]
    # Everything applied reads: the phone's first item (before the revocation) is there.
    titles = {item.title for item in judge.items() if item.author == doc_id}
    assert {"phone 1", "laptop 1", "laptop 2"} <= titles
    shutil.rmtree(root)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.sampled_from(["laptop", "phone", "exchange"]), min_size=1, max_size=8))
def test_two_devices_writing_one_document_converge(
    tmp_path_factory: pytest.TempPathFactory, writes: list[str]
) -> None:
    root = tmp_path_factory.mktemp("pair")
    laptop = Workspace.create(root / "laptop", "Alice")
    phone = join_home(root / "phone", grant_device(laptop, start_join(root / "phone"), "phone"), "phone")
    for number, step in enumerate(writes):
        if step == "exchange":
            carry(laptop, phone, root / f"a{number}")
            carry(phone, laptop, root / f"b{number}")
        else:
            (laptop if step == "laptop" else phone).add_item(offer(f"{step} {number}"))
    carry(laptop, phone, root / "a")
    carry(phone, laptop, root / "b")
    assert laptop.my_doc().heads() == phone.my_doc().heads()
    mine = {i.title for i in laptop.items() if i.author == laptop.peer_id}
    assert mine == {i.title for i in phone.items() if i.author == phone.peer_id}
    assert mine == {f"{step} {n}" for n, step in enumerate(writes) if step != "exchange"}
    shutil.rmtree(root)
