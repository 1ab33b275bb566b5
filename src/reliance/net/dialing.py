"""What the node dials, and when: known peers and typed addresses again after their backoff, and the mDNS
side (start the discovery, note the addresses adverts give, dial them).

An advert proves nothing (anyone on the network can send one, with any id, name and address): an advertised
address is dialled with a backoff of its own, and given to a peer only once a handshake there proved that
peer's key. These run on the node's loop, over its state (`Node._adverts`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from reliance.app import settings
from reliance.errors import RelianceError
from reliance.identity import decode_peer_id
from reliance.net import events as ev
from reliance.net.config import format_address
from reliance.net.errors import HandshakeRefused, TransportError
from reliance.net.events import PeerState
from reliance.net.handshake import connect
from reliance.net.hello import PROTOCOL_VERSION
from reliance.net.peerbook import PeerEvent
from reliance.net.workers import Advert

if TYPE_CHECKING:
    from reliance.net.discovery import DiscoveredPeer
    from reliance.net.node import Node

log = logging.getLogger("reliance.node")


async def start_discovery(node: Node) -> None:
    from reliance.net.discovery import SERVICE_TYPE, Discovery

    assert node._server is not None
    node._discovery = Discovery(
        peer_id=node.ws.peer_id,
        name=node._hello_name(),
        port=node._server.port,
        protocol_version=PROTOCOL_VERSION,
        on_found=node._on_found,
        on_lost=node._on_lost,
        service_type=node.config.service_type or SERVICE_TYPE,
        interfaces=node.config.interfaces,
        announce=bool((await node._in_files(settings.load_config, node.home))["announce"]),
        limits=node.limits,
    )
    try:
        await node._discovery.start()
    except Exception as exc:  # no multicast here: typed addresses still work
        node._discovery = None
        node._emit(ev.ERROR, f"mDNS discovery is unavailable ({exc}); use 'reliance peer add HOST:PORT'")


def on_found(node: Node, found: DiscoveredPeer) -> None:
    """An advert (new, or its data changed): note its addresses to dial. Nothing here names a peer,
    gives it an address or resets a backoff: an advert is a rumour until a handshake proves it."""
    claimed: bytes | None = None
    if found.peer_id:
        try:
            claimed = decode_peer_id(found.peer_id)
        except RelianceError:
            return
        if claimed == node.my_key:
            return
    if found.protocol_version != PROTOCOL_VERSION:
        log.debug("advert at %s speaks protocol %s", found.addresses, found.protocol_version)
        return
    now = node._dialer.now()
    for host in found.addresses[:4]:
        address = (host, found.port)
        advert = node._adverts.get(address)
        if advert is None:
            if len(node._adverts) >= node.limits.max_advertised_addresses and not forget_an_advert(node):
                log.debug("ignoring advert at %s: %d addresses noted already", address, len(node._adverts))
                return
            advert = Advert(address, claimed, next_dial=now + first_delay(node, address, claimed))
            node._adverts[address] = advert
            node._emit(ev.PEER_FOUND, f"found a node at {format_address(*address)} by mDNS")
        advert.claimed = claimed
        advert.seen = now


def first_delay(node: Node, address: tuple[str, int], claimed: bytes | None) -> float:
    """Seconds before the first dial of a new advert: when both nodes can tell which of them dials first
    (the smaller key, else the smaller address), the other waits a little, so both rarely dial at once."""
    if claimed is not None:
        return 0.0 if node.my_key < claimed else 1.5
    mine = node._discovery.addresses if node._discovery is not None else []
    if not mine or node._server is None:
        return 0.0
    return 0.0 if (min(mine), node._server.port) < address else 1.5


def forget_an_advert(node: Node) -> bool:
    """Make room for a new advert by dropping the least recently seen one not being dialled."""
    idle = [a for a in node._adverts.values() if not a.dialing]
    if not idle:
        return False
    del node._adverts[min(idle, key=lambda a: a.seen).address]
    return True


def on_lost(node: Node, found: DiscoveredPeer) -> None:
    """A goodbye (unauthenticated too): forget the advert's addresses, nothing more."""
    for host in found.addresses:
        advert = node._adverts.get((host, found.port))
        if advert is not None and not advert.dialing:
            del node._adverts[(host, found.port)]


def dial_adverts(node: Node, now: float, busy: int) -> None:
    """Dial advertised addresses that are nobody's yet, each at most once per its own backoff (however
    often it is advertised again): a flood of adverts costs one dial per address and backoff period.
    Like strangers, only while the connections stay under `connections_max`."""
    owned = {a: p for p in node.peers_by_key.values() for a in p.addresses}
    for advert in list(node._adverts.values()):
        owner = owned.get(advert.address)
        if owner is not None and not advert.dialing:
            # A peer proved this address in a handshake (it dialled us, or we it): its own redial
            # takes over, and it was found by mDNS too (a label for `reliance peers`).
            del node._adverts[advert.address]
            if owner.source in ("known", "incoming"):
                owner.source = "mdns"
            continue
        if advert.dialing or not node._dialer.due(advert, now):
            continue
        claimed = node.peers_by_key.get(advert.claimed) if advert.claimed is not None else None
        if advert.claimed in node._blocked or (claimed is not None and claimed.conn is not None):
            continue
        if node._policy == "known" and advert.claimed is not None and not (claimed and claimed.accepted):
            continue
        if busy >= node.limits.connections_max:
            return
        busy += 1
        advert.dialing = True
        node._dialer.failed(advert, now)  # due again after its backoff, whatever the dial gives
        host, port = advert.address
        node._spawn(node._dial_address(host, port, advert.claimed, source="mdns", advert=advert))


def redial_due(node: Node) -> None:
    now = node._dialer.now()
    # Strangers (peers not accepted) are dialled only while the connections, in and out, stay under
    # `connections_max`: those that came in once left an address, and must not make us open more.
    busy = sum(1 for p in node.peers_by_key.values() if p.conn is not None or p.dialing)
    for peer in list(node.peers_by_key.values()):
        if peer.conn is not None or peer.dialing or not peer.addresses or peer.key in node._blocked:
            continue
        if peer.state == PeerState.PENDING or not node._dialer.due(peer, now):
            continue
        if (node._policy == "known" or busy >= node.limits.connections_max) and not peer.accepted:
            continue
        busy += 1
        host, port = peer.addresses[0]
        peer.addresses.append(peer.addresses.pop(0))  # next time, try the next address
        node._schedule_redial(peer)
        node._spawn(node._dial_address(host, port, peer.key, source=peer.source))
    dial_adverts(node, now, busy)
    for address in list(node.typed):
        if any(p.conn is not None and address in p.addresses for p in node.peers_by_key.values()):
            node.typed.remove(address)  # already connected through it
            node._typed_retry.pop(address, None)
            continue
        retry = node._typed_retry.get(address)
        if address in node._typed_dialing or (retry is not None and not node._dialer.due(retry, now)):
            continue
        node._typed_dialing.add(address)
        node._spawn(node._dial_address(address[0], address[1], None, source="typed"))


async def dial_address(
    node: Node, host: str, port: int, expected: bytes | None, *, source: str, advert: Advert | None = None
) -> None:
    # An advert's claim is only checked: its failure must not push back the real peer's own redial.
    peer = node.peers_by_key.get(expected) if expected and advert is None else None
    if peer is not None:
        if peer.dialing or peer.conn is not None or peer.key in node._blocked:
            return
        peer.dialing = True
        peer.move(PeerEvent.DIAL)
    try:
        conn = await connect(
            host,
            port,
            node.ws.identity.network_private_key,
            name=node._hello_name(),
            listen_port=node._server.port if node._server else None,
            expected_key=expected,
            config=node._transport_config,
            certificate=node.ws.identity.network_certificate,
            revoked=node._is_revoked,
        )
    except HandshakeRefused as exc:
        if peer is not None:
            peer.last_error = exc.reason
            peer.move(PeerEvent.DIAL_FAILED)
            node._schedule_redial(peer)
        elif source == "typed":
            node._typed_failed((host, port))
        node._emit(ev.ERROR, f"{host}:{port} refused the connection: {exc.reason}")
        return
    except (TransportError, OSError) as exc:
        if peer is not None:
            peer.last_error = str(exc)
            peer.move(PeerEvent.DIAL_FAILED)
            node._schedule_redial(peer)
        elif source == "typed":
            node._typed_failed((host, port))  # not there yet: it stays typed and is dialled again
        log.debug("dial %s:%s failed: %s", host, port, exc)
        return
    finally:
        if peer is not None:
            peer.dialing = False
        if advert is not None:
            advert.dialing = False
        elif expected is None:
            node._typed_dialing.discard((host, port))
    participant = conn.certified_participant
    if node._refuse_dialled(conn.remote_key, participant) is not None:
        await conn.close()
        if conn.remote_key == node.my_key and (host, port) in node.typed:
            node.typed.remove((host, port))  # our own address: never dial it again
            node._save_peers_file()
        elif expected is None and advert is None:
            node._typed_failed((host, port))
        return
    if source != "typed" and node._accept(conn.remote_key, participant) is not None:
        await conn.close()  # found by mDNS, but this node only syncs with accepted peers: pending
        return
    if advert is not None:
        node._adverts.pop((host, port), None)  # the handshake proved whose address it is
    peer = node._peer(conn.remote_key)
    peer.known = True
    if (host, port) not in peer.addresses:
        peer.addresses.insert(0, (host, port))
    if source == "typed":
        peer.accepted = True
        node._typed_retry.pop((host, port), None)
        if (host, port) in node.typed:
            node.typed.remove((host, port))
    if peer.source in ("known", "incoming"):
        peer.source = source
    node._save_peers_file()
    await node._run(
        peer,
        conn,
        remote_key=conn.remote_key,
        remote_name=conn.remote_name,
        initiator_key=node.my_key,
        participant=participant,
        device_name=conn.remote_device_name,
    )
