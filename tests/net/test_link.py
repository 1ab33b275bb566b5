"""A link runs a session over any channel: here over channels in memory, with no socket and no node."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reliance.model.catalogue import Item, ItemKind
from reliance.net.channel import Channel, memory_pair
from reliance.net.errors import ConnectionClosed, FrameTooLarge
from reliance.net.link import Link, Outbox, SendBudget
from reliance.replication.protocol import Session
from tests.sync.memnet import Node, pair


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title)


def link_of(node: Node, peer: Node, channel: Channel, settled: asyncio.Event) -> Link:
    session = Session(node.host, peer_key=peer.key)

    async def on_events() -> bool:
        session.pop_events()
        if session.settled and not session.pending_work:
            settled.set()
        return False

    return Link(session, channel, Outbox(channel, stall=5.0, limit=1 << 24), on_events=on_events)


async def test_two_sessions_sync_over_a_memory_channel(tmp_path: Path) -> None:
    _, alice, bob = pair(tmp_path)
    alice.ws.add_item(offer("bread"))
    bob.ws.add_item(offer("repairs"))
    end_a, end_b = memory_pair()
    settled_a, settled_b = asyncio.Event(), asyncio.Event()
    link_a, link_b = link_of(alice, bob, end_a, settled_a), link_of(bob, alice, end_b, settled_b)
    runs = [asyncio.create_task(link_a.run()), asyncio.create_task(link_b.run())]
    async with asyncio.timeout(30):
        await settled_a.wait()
        await settled_b.wait()
    assert {i.title for i in alice.ws.items()} == {"bread", "repairs"}
    assert {i.title for i in bob.ws.items()} == {"bread", "repairs"}
    await end_a.close("done")
    for run in runs:
        with pytest.raises(ConnectionClosed):
            await run
    for link in (link_a, link_b):
        await link.outbox.close()


async def test_a_link_that_must_stop_flushes_and_returns(tmp_path: Path) -> None:
    _, alice, bob = pair(tmp_path)
    end_a, end_b = memory_pair()
    session = Session(alice.host, peer_key=bob.key)

    async def stop() -> bool:
        return True

    link = Link(session, end_a, Outbox(end_a, stall=5.0, limit=1 << 24), on_events=stop)
    await end_b.send(Session(bob.host, peer_key=alice.key).start()[0])
    async with asyncio.timeout(10):
        await link.run()  # returns: the message was taken, and the link was told to stop
        assert await end_b.recv()  # what the session said first was sent before it returned
    await link.outbox.close()


async def test_a_memory_channel_delivers_in_order_then_says_closed() -> None:
    a, b = memory_pair()
    await a.send(b"one")
    await a.send(b"two")
    await a.close("bye")
    assert a.closed and b.closed
    assert [await b.recv(), await b.recv()] == [b"one", b"two"]
    with pytest.raises(ConnectionClosed, match="closed by peer: bye"):
        await b.recv()
    with pytest.raises(ConnectionClosed):
        await a.send(b"three")


async def test_a_memory_channel_holds_back_a_sender_beyond_its_capacity() -> None:
    a, b = memory_pair(capacity=2)
    await a.send(b"1")
    await a.send(b"2")
    third = asyncio.create_task(a.send(b"3"))
    await asyncio.sleep(0)
    assert not third.done()  # waits for room: the receiver has not taken anything
    assert await b.recv() == b"1"
    async with asyncio.timeout(5):
        await third
    assert [await b.recv(), await b.recv()] == [b"2", b"3"]
    await b.close()


async def test_a_memory_channel_refuses_a_message_above_max_message() -> None:
    a, b = memory_pair(max_message=4)
    with pytest.raises(FrameTooLarge):
        await a.send(b"12345")
    await a.send(b"1234")
    assert await b.recv() == b"1234"
    await a.close()


async def test_over_the_shared_budget_the_outbox_stalled_longest_by_its_clock_is_dropped() -> None:
    """Two peers that do not read (their channels hold one message): when the outboxes together go over
    the budget, the one whose first waiting frame is the oldest on the outboxes' clock is dropped. The
    clock is a fake one, set so that the outbox filled second counts as the older: the real one would
    pick the other."""
    now = [200.0]
    budget = SendBudget(limit=1000)
    ends = [memory_pair(capacity=1) for _ in range(2)]
    first, second = (
        Outbox(end, stall=60.0, limit=10_000, budget=budget, clock=lambda: now[0]) for end, _ in ends
    )
    first.put([b"a" * 10, b"a" * 600])  # the first frame goes into the channel; the second waits
    for _ in range(5):
        await asyncio.sleep(0)
    now[0] = 100.0
    second.put([b"b" * 10, b"b" * 10])
    for _ in range(5):
        await asyncio.sleep(0)
    assert not first.failure and not second.failure  # within the budget
    second.put([b"b" * 500])  # over it
    assert second.failure.startswith("peer does not read") and not first.failure
    for outbox in (first, second):
        await outbox.close()
