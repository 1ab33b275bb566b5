"""The files a node keeps in its home beside the store: `peers.json` (known peers, typed addresses; shared
with the CLI under `peers.lock`) and `node-state.json` (the running node's state, for `reliance peers`
and the doctor in other processes)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reliance.app import settings
from reliance.app.workspace import Workspace
from reliance.errors import RelianceError
from reliance.fsutil import atomic_write, open_private
from reliance.identity import decode_peer_id
from reliance.net.config import DEFAULT_PORT, format_address, parse_address
from reliance.net.events import PeerInfo, PeerState
from reliance.replication.quota import Quotas, QuotaUsage

if TYPE_CHECKING:
    from reliance.net.doctor import Finding
    from reliance.net.node import Node

PEERS_FILE = "peers.json"
PEERS_LOCK = "peers.lock"
STATE_FILE = "node-state.json"


class PeersFile:
    """peers.json as the node's file thread sees it: what changed since it last read or wrote it was
    written by another process (the CLI), and is merged, never overwritten."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._mark: tuple[int, int] | None = None  # (inode, mtime) of the version last read or written

    def _current(self) -> tuple[int, int] | None:
        try:
            info = (self.home / PEERS_FILE).stat()
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns

    def read(self) -> dict[str, Any]:
        with peers_file_lock(self.home):
            self._mark = self._current()
            return read_peers_file(self.home)

    def read_if_changed(self) -> dict[str, Any] | None:
        if self._current() == self._mark:
            return None
        return self.read()

    def save(self, ours: dict[str, Any]) -> dict[str, Any]:
        """Write `ours`, with what another process wrote since (returned, for the node to take in; empty
        when nobody did)."""
        with peers_file_lock(self.home):
            theirs: dict[str, Any] = {}
            if self._current() != self._mark:
                theirs = read_peers_file(self.home)
                _merge_peers(ours, theirs)
            write_peers_file(self.home, ours)
            self._mark = self._current()
            return theirs


def _merge_peers(ours: dict[str, Any], theirs: Mapping[str, Any]) -> None:
    """Keep in `ours` what the CLI writes to peers.json: peers accepted (`peer accept`), addresses typed."""
    peers = theirs.get("peers")
    for peer_id, entry in (peers if isinstance(peers, dict) else {}).items():
        if not isinstance(entry, dict) or not entry.get("accepted"):
            continue
        mine = ours["peers"].get(peer_id)
        if mine is None:
            ours["peers"][peer_id] = entry
        else:
            mine["accepted"] = True
    typed = theirs.get("typed")
    for text in typed if isinstance(typed, list) else []:
        if isinstance(text, str) and text not in ours["typed"]:
            ours["typed"].append(text)


def remove_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def read_peers_file(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / PEERS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {"peers": {}, "typed": []}
    return data if isinstance(data, dict) else {"peers": {}, "typed": []}


def write_peers_file(home: Path, data: dict[str, Any]) -> None:
    atomic_write(home / PEERS_FILE, json.dumps(data, indent=2, sort_keys=True).encode())


@contextlib.contextmanager
def peers_file_lock(home: Path) -> Iterator[None]:
    """Serialise read-modify-write of peers.json between the node and the CLI (`flock`)."""
    fd = open_private(home / PEERS_LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remember_typed_address(home: Path, host: str, port: int) -> str:
    """Note HOST:PORT in peers.json so that a node on this home dials it (now if it runs, else at start)."""
    text = format_address(host, port)
    with peers_file_lock(home):  # a running node rewrites this file too
        data = read_peers_file(home)
        typed = list(data.get("typed", []))
        if text not in typed:
            typed.append(text)
        data["typed"] = typed
        data.setdefault("peers", {})
        write_peers_file(home, data)
    return text


def forget_target(text: str) -> tuple[str, tuple[str, int] | None]:
    """What `peer remove TEXT` forgets: a peer (its id, canonical) or a typed address; an InputError when
    TEXT is neither."""
    from reliance.identity import canonical_peer
    from reliance.model.messages import InputError, shown

    with contextlib.suppress(RelianceError):
        return canonical_peer(text), None
    try:
        address = parse_address(text)
    except RelianceError:
        raise InputError("net.address.unknown", text=shown(text)) from None
    return format_address(*address), address


def forget_in_file(home: Path, text: str) -> bool:
    """Remove a peer (by id) or a typed address (from the typed list and from every peer's addresses) from
    peers.json; whether anything was there."""
    literal = {text.strip(), f"{text.strip()}:{DEFAULT_PORT}"}
    try:
        shown_text, address = forget_target(text)
    except RelianceError:  # an entry an older version let in ('peer add' took anything): by its text
        with peers_file_lock(home):
            data = read_peers_file(home)
            typed = [t for t in data.get("typed", []) if isinstance(t, str)]
            data["typed"] = [t for t in typed if t not in literal]
            if len(data["typed"]) == len(typed):
                raise
            write_peers_file(home, data)
        return True
    with peers_file_lock(home):  # a running node rewrites this file too
        data = read_peers_file(home)
        listed_peers = data.get("peers")
        peers: dict[str, Any] = listed_peers if isinstance(listed_peers, dict) else {}
        typed = [t for t in data.get("typed", []) if isinstance(t, str)]
        found = False
        if address is None:
            found = peers.pop(shown_text, None) is not None
            for device_id in [
                k for k, e in peers.items() if isinstance(e, dict) and e.get("participant") == shown_text
            ]:
                found = peers.pop(device_id, None) is not None or found  # the participant's devices too
        else:
            kept = [t for t in typed if _same_address(t, address) is False]
            found = len(kept) != len(typed)
            typed = kept
            for entry in peers.values():
                listed = entry.get("addresses") if isinstance(entry, dict) else None
                if isinstance(listed, list):
                    left = [a for a in listed if not (isinstance(a, str) and _same_address(a, address))]
                    found = found or len(left) != len(listed)
                    entry["addresses"] = left
        data["peers"], data["typed"] = peers, typed
        write_peers_file(home, data)
    return found


def _same_address(text: str, address: tuple[str, int]) -> bool:
    try:
        return parse_address(text) == address
    except RelianceError:
        return False


def forget_in_node(node: Node, text: str) -> bool:
    """The same in a running node's memory: the address is no longer dialled, the peer no longer accepted
    nor redialled (a peer still connected stays so until it disconnects)."""
    shown_text, address = forget_target(text)
    found = False
    if address is None:
        key = decode_peer_id(shown_text)
        for peer in node.peers_by_key.values():
            if peer.key != key and peer.participant != key:  # a participant goes with their devices
                continue
            found = found or peer.accepted or peer.known or bool(peer.addresses)
            peer.accepted = False
            peer.known = False
            peer.addresses.clear()
        return found
    if address in node.typed:
        node.typed.remove(address)
        found = True
    for peer in node.peers_by_key.values():
        if address in peer.addresses:
            peer.addresses.remove(address)
            found = True
    return found


def diagnose_home(home: Path, port: int) -> list[Finding]:
    """The doctor for this home. Beside a `reliance serve` running on it, the peers are that node's and
    its port, which it holds, is not probed (it would only look taken) but given in the advice. Then
    the quotas on other people's documents (the running node's count, else this home's)."""
    from reliance.net.doctor import diagnose, quota_findings

    state = read_state_file(home)
    if state is None:
        findings = diagnose(port)
    else:
        connected = sum(1 for p in state.get("peers", []) if p.get("state") == "connected")
        listening = str(state.get("listen")).rpartition(":")[2]
        held = int(listening) if listening.isdigit() else port
        findings = diagnose(port, peers_found=connected, listening_port=held)
    usage = home_quota_usage(home, state)
    return findings + (quota_findings(usage) if usage is not None else [])


def home_quota_usage(home: Path, state: Mapping[str, Any] | None = None) -> QuotaUsage | None:
    """Other people's documents held in `home`: from the running node, else counted on disk (None when
    it cannot be: no identity, or a key behind a passphrase)."""
    from reliance.identity import has_identity, key_is_encrypted

    if state is not None and isinstance(state.get("quota"), dict):
        with contextlib.suppress(ValueError):
            return QuotaUsage.from_json(state["quota"])
    if not has_identity(home) or key_is_encrypted(home):
        return None
    try:
        workspace = Workspace.open(home)
    except RelianceError:
        return None
    return Quotas(workspace.repo, workspace.peer_id, settings.load_limits(home)).usage()


def read_state_file(home: Path) -> dict[str, Any] | None:
    """The running node's last published state, or None when no node runs on this home."""
    try:
        state = json.loads((home / STATE_FILE).read_text("utf-8"))
        pid = int(state["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if isinstance(state, dict) else None


# -- the node's side of these files (run on its file thread, or its loop) ------------------------------
def settings_if_changed(node: Node, blocked: set[bytes]) -> tuple[set[bytes], str] | None:
    """On the file thread: the blocks and the policy, if either file changed since last read."""
    changed = False
    for name in ("blocks.json", "config.json"):
        with contextlib.suppress(OSError):
            mtime = (node.home / name).stat().st_mtime
            if mtime > node._settings_mtime:
                node._settings_mtime = mtime
                changed = True
    if not changed:
        return None
    return settings.blocked_keys_or(node.home, blocked), str(settings.load_config(node.home)["policy"])


def apply_peers_data(node: Node, data: Mapping[str, Any]) -> None:
    """Take what peers.json holds (written by another process: peer add, peer accept) into memory."""
    peers = data.get("peers")
    for peer_id, entry in (peers if isinstance(peers, dict) else {}).items():
        try:
            key = decode_peer_id(peer_id)
        except RelianceError:
            continue
        if not isinstance(entry, dict) or (not entry.get("accepted") and not entry.get("addresses")):
            continue  # a refused stranger an earlier version saved: nothing to dial, nothing to keep
        peer = node._peer(key)
        peer.known = True
        peer.name = peer.name or str(entry.get("name", ""))
        if entry.get("accepted") and not peer.accepted:
            peer.accept()  # `reliance peer accept` in another process
        addresses = entry.get("addresses")
        for text in addresses if isinstance(addresses, list) else []:
            with contextlib.suppress(RelianceError):
                address = parse_address(str(text))
                if address not in peer.addresses:
                    peer.addresses.append(address)
        if peer.source == "known":
            peer.source = str(entry.get("source", "known"))
        participant, device = entry.get("participant"), entry.get("device")
        if not peer.participant and isinstance(participant, str) and isinstance(device, str):
            with contextlib.suppress(RelianceError):  # as its certificate said when it last connected
                peer.participant, peer.device_name = decode_peer_id(participant), device[:80]
    typed = data.get("typed")
    for text in typed if isinstance(typed, list) else []:
        with contextlib.suppress(RelianceError):
            address = parse_address(str(text))
            # Kept even when a known peer has this address: that peer may be gone, and someone else
            # (another key) may answer there now. `_redial_due` drops it once a connected peer has it.
            if address not in node.typed:
                node.typed.append(address)


def peers_snapshot(node: Node) -> dict[str, Any]:
    # Peers accepted by hand (or typed) always; others this node connected with, the latest first, up to
    # the limit; never a stranger that only knocked.
    accepted = [p for p in node.peers_by_key.values() if p.accepted]
    met = [p for p in node.peers_by_key.values() if not p.accepted and p.known]
    met.sort(key=lambda p: -(p.last_seen or 0.0))
    return {
        "peers": {
            p.peer_id: {
                "name": p.name,
                "addresses": [format_address(h, port) for h, port in p.addresses[:8]],
                "accepted": p.accepted,
                "source": p.source,
                "last_seen": p.last_seen,
            }
            | ({"participant": p.shown_id, "device": p.device_name} if p.participant else {})
            for p in accepted + met[: node.limits.max_remembered_peers]
        },
        "typed": [format_address(h, p) for h, p in node.typed],
    }


def peer_infos(node: Node) -> list[PeerInfo]:
    """What the node tells of its peers (`Node.peers`): connected first, then by name."""
    out = []
    devices_of = {p.participant for p in node.peers_by_key.values() if p.participant}
    for peer in node.peers_by_key.values():
        if peer.key in devices_of and peer.conn is None and not peer.addresses:
            continue  # a participant accepted by id, seen only through its devices: shown by them
        blocked = peer.key in node._blocked or peer.participant in node._blocked
        state = PeerState.BLOCKED if blocked else peer.state
        docs: dict[str, bool] = {}
        if peer.session is not None and state == PeerState.CONNECTED:
            # Only documents already open: opening one here would race with the sync worker thread.
            for stored in node.ws.repo.loaded():
                with contextlib.suppress(RelianceError):
                    docs[stored.doc_id] = peer.session.in_sync(stored.doc_id)
        address = f"{peer.addresses[0][0]}:{peer.addresses[0][1]}" if peer.addresses else ""
        out.append(
            PeerInfo(
                peer.shown_id,
                peer.name,
                state,
                address,
                peer.last_seen,
                peer.source,
                docs,
                peer.last_error,
                device=peer.device_name if peer.participant else "",
                device_id=peer.peer_id if peer.participant else "",
            )
        )
    return sorted(out, key=lambda p: (p.state != PeerState.CONNECTED, p.name.lower(), p.peer_id))


def state_of(node: Node) -> dict[str, Any]:
    """node-state.json's content, but the time it is written."""
    address = node.listen_address
    return {
        "pid": os.getpid(),
        "listen": f"{address[0]}:{address[1]}" if address else None,
        "last_sync": node.last_sync,
        "peers": [p.to_json() for p in node.peers()],
        "quota": node.quotas.usage().to_json(),
    }
