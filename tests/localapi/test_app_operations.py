"""The operations the app sends for its forms: the app's item form, its ledger entries with dimensions,
its rename. The same function runs them here (`run_here`, the app without a node) and at an owner, so
these run it on a real home directly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.errors import RelianceError
from reliance.localapi.ops import item_args, run_here
from reliance.model.catalogue import Frequency, Item, ItemKind, Repeat, Status

FULL = Item(
    id="",
    kind=ItemKind.EVENT,
    title="Soup evening",
    author="",
    description="Bring a bowl",
    tags=("soup", "evening"),
    place="Hall",
    begins="2026-12-10T18:00",
    ends="2026-12-10T21:00",
    reciprocity="a song",
    capacity=12,
    repeat=Repeat(Frequency.WEEKLY, "2027-01-07"),
)
FIELDS = ("kind", "title", "description", "tags", "place", "begins", "ends", "status", "reciprocity")


def shown(item: Item) -> tuple[object, ...]:
    return (*(getattr(item, f) for f in FIELDS), item.project, item.capacity, item.repeat)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "home", "Alice")


@pytest.mark.parametrize(
    "draft",
    [
        FULL,
        replace(FULL, status=Status.DRAFT, capacity=None, repeat=None, tags=()),
        Item(id="", kind=ItemKind.NEED, title="A ladder", author=""),
    ],
)
def test_the_forms_item_is_added_and_edited_as_the_form_made_it(ws: Workspace, draft: Item) -> None:
    added = run_here(ws, "item.add", item_args(draft))
    item = ws.my_item(added.result["id"])
    assert shown(item) == shown(draft)
    assert added.changed == (() if draft.status == Status.DRAFT else (ws.peer_id,))

    # The form gives the whole item back: an emptied field is cleared, not left as it was.
    emptied = Item(id="", kind=ItemKind.OFFER, title="A ladder, lent", author="", status=draft.status)
    run_here(ws, "item.edit", item_args(emptied) | {"item_id": item.id})
    assert shown(ws.my_item(item.id)) == shown(emptied)
    run_here(ws, "item.edit", item_args(draft) | {"item_id": item.id})
    assert shown(ws.my_item(item.id)) == shown(draft)


def test_an_edit_without_a_title_is_refused_at_the_title(ws: Workspace) -> None:
    item_id = run_here(ws, "item.add", item_args(FULL)).result["id"]
    with pytest.raises(RelianceError) as refused:
        run_here(ws, "item.edit", item_args(replace(FULL, title="")) | {"item_id": item_id})
    assert refused.value.field == "title"
    assert ws.my_item(item_id).title == FULL.title


def test_a_ledger_entry_keeps_its_dimensions_and_a_rename_is_written(ws: Workspace) -> None:
    project_id = run_here(ws, "project.create", {"name": "Garden"}).result["id"]
    args = {"project": project_id, "kind": "revenue", "amount": 900, "unit": "EUR", "dims": ["social=2"]}
    assert run_here(ws, "project.record", args).changed == (project_id,)
    [entry] = projects.ledger(ws, project_id)
    assert entry["dimensions"] == {"social": 2}

    assert run_here(ws, "identity.rename", {"name": "  Alice B. "}).changed == (ws.peer_id,)
    assert ws.participant_name(ws.peer_id) == "Alice B."


async def test_a_write_without_a_node_is_asked_of_the_owner_when_one_runs(tmp_path: Path) -> None:
    """The app whose node is not started (not yet, or no longer) beside an owner: its write is the
    owner's, announced as a client's; with no owner it holds the home for the write, and gives it back."""
    import asyncio

    from reliance.localapi.client import AsyncApiClient
    from reliance.localapi.holding import run_holding_home
    from reliance.localapi.ownership import current_owner
    from reliance.localapi.protocol import Event
    from tests.localapi.test_owner_writes import start_owner, wait_for

    home = tmp_path / "home"
    Workspace.create(home, "Alice")
    app_ws = Workspace.open(home)
    owner = start_owner(home)
    await owner.start()
    try:
        events: list[Event] = []
        watcher = await AsyncApiClient.connect(home, events.append, lambda: None)
        await watcher.call("subscribe")
        done = await asyncio.to_thread(
            run_holding_home, app_ws, "item.add", item_args(FULL), app_ws.repo.limits, "en"
        )
        assert done.changed == ()  # nothing written here: the owner announces it
        assert owner.ws.my_item(done.result["id"]).title == FULL.title  # in the owner's memory
        await wait_for(lambda: any(e.kind == "documents" for e in events), "no documents event")
        assert [e.data for e in events if e.kind == "documents"] == [
            {"doc_ids": [app_ws.peer_id], "origin": "api"}
        ]
        await watcher.close()
    finally:
        await owner.stop()

    alone = run_holding_home(
        app_ws, "code.set", {"section": "enjeux", "text": "Soup"}, app_ws.repo.limits, "en"
    )
    assert alone.changed == (app_ws.peer_id,) and current_owner(home) is None
    assert Workspace.open(home).code()["enjeux"] == "Soup"
