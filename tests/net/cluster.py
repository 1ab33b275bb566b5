"""Several real `reliance serve` processes: in network namespaces on a bridge when possible, else on loopback.

    with Cluster(tmp_path, 3) as cluster:
        a, b, c = cluster.nodes
        cluster.start_all()
        cluster.wait_mesh()
        a.cli("offer", "add", "--title", "Bike repair")
        wait_until(lambda: all("Bike repair" in n.titles() for n in cluster.nodes), 10, "offer everywhere")

Modes:
- ``netns``: one namespace per node (tests/netns.py), address 10.231.0.(i+1), the default port 7447, real mDNS
  on the bridge. Chosen when namespaces can be created and RELIANCE_TEST_LOOPBACK is not set.
- ``loopback``: every node listens on 127.0.0.1 with its own port; mDNS runs on 127.0.0.1 only.

Every node runs with short timers (RELIANCE_HEARTBEAT etc., see docs/operations.md) and the cluster's own
random mDNS service type, so parallel runs never see each other. Leaving the context kills every process and
deletes every namespace, whatever happened. Traffic goes only to 127.0.0.1 or to addresses inside our
namespaces.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from automerge.core import ROOT, Document, ScalarType

from reliance.app.workspace import Workspace
from reliance.automerge.crdt import CrdtDoc
from reliance.identity import decode_peer_id
from reliance.net.config import DEFAULT_PORT
from reliance.store.repository import SignedChange
from tests.conftest import RELIANCE, CliResult
from tests.netns import NetnsNetwork, can_create_namespaces, stop_processes

REPO_ROOT = Path(__file__).resolve().parents[2]

# Timers of the nodes under test (seconds). A silent peer is dropped after 3 heartbeats.
FAST_ENV = {
    "RELIANCE_HEARTBEAT": "0.5",
    "RELIANCE_HANDSHAKE_TIMEOUT": "2",
    "RELIANCE_REDIAL_MIN": "0.3",
    "RELIANCE_REDIAL_MAX": "1.5",
    "RELIANCE_POLL_INTERVAL": "0.2",
}
HEARTBEAT = float(FAST_ENV["RELIANCE_HEARTBEAT"])
HANDSHAKE_TIMEOUT = float(FAST_ENV["RELIANCE_HANDSHAKE_TIMEOUT"])


def random_service_type() -> str:
    return f"_rl{secrets.token_hex(4)}._tcp.local."


def namespaces_usable() -> tuple[bool, str]:
    """(True, "") when the namespace mode can run, else (False, why not)."""
    if os.environ.get("RELIANCE_TEST_LOOPBACK"):
        return False, "RELIANCE_TEST_LOOPBACK is set"
    return can_create_namespaces()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    *,
    interval: float = 0.1,
    diagnostics: Callable[[], str] | None = None,
) -> float:
    """Poll `predicate` until it is true; return the seconds it took, or fail saying what did not happen."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            extra = f"\n{diagnostics()}" if diagnostics is not None else ""
            raise AssertionError(f"not within {timeout} s: {what}{extra}")
        time.sleep(interval)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELIANCE_")}
    environ.update({"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "COLUMNS": "120"})
    environ.update(extra or {})
    return environ


class ServeNode:
    """One home and the `reliance serve` process running on it (or not)."""

    def __init__(self, cluster: Cluster, index: int, home: Path, name: str) -> None:
        self.cluster = cluster
        self.index = index
        self.home = home
        self.name = name
        self.workspace = Workspace.create(home, name)
        self.peer_id = self.workspace.peer_id
        self.key = decode_peer_id(self.peer_id)
        self.host = "127.0.0.1"
        self.port = free_port() if cluster.mode == "loopback" else DEFAULT_PORT
        self.web_port = free_port() if cluster.mode == "loopback" else 7448  # each node's own web face
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = home.parent / f"{home.name}.log"
        self.env: dict[str, str] = {}
        self.starts = 0

    # -- addressing

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def argv(self, argv: Sequence[str]) -> list[str]:
        """`argv` run inside this node's namespace (netns mode) or as is."""
        if self.cluster.net is not None:
            return self.cluster.net.exec_argv(self.index, argv)
        return list(argv)

    # -- the serve process

    def start(self, *extra: str, mdns: bool = True, env: dict[str, str] | None = None) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        argv = [str(RELIANCE), "--home", str(self.home), "serve"]
        if self.cluster.mode == "loopback":
            argv += ["--listen", "127.0.0.1", "--port", str(self.port), "--web-port", str(self.web_port)]
        if not mdns:
            argv.append("--no-mdns")
        argv += list(extra)
        environ = clean_env({**FAST_ENV, "RELIANCE_SERVICE_TYPE": self.cluster.service_type})
        if self.cluster.mode == "loopback":
            environ["RELIANCE_MDNS_INTERFACES"] = "127.0.0.1"
        environ.update(self.env)
        environ.update(env or {})
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"=== start {self.starts} ===\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv(argv), stdout=log, stderr=subprocess.STDOUT, env=environ, cwd=self.home.parent
            )
        self.cluster.processes.append(self.proc)

    def wait_listening(self, timeout: float = 15.0) -> None:
        marker = f"=== start {self.starts} ==="

        def listening() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited with {self.proc.returncode}:\n{self.log()}")
            return "listening on" in self.log().rsplit(marker, 1)[-1]

        wait_until(listening, timeout, f"node {self.name} listening", interval=0.05)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait: the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- what the node reports

    def state(self) -> dict[str, Any] | None:
        """node-state.json as the running node last wrote it (None when absent or being replaced)."""
        try:
            data = json.loads((self.home / "node-state.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def peer_states(self) -> dict[str, dict[str, Any]]:
        state = self.state() or {}
        return {row["peer_id"]: row for row in state.get("peers", [])}

    def connected(self) -> set[str]:
        return {pid for pid, row in self.peer_states().items() if row.get("state") == "connected"}

    def titles(self) -> set[str]:
        """Titles of every item this home holds, read from the store (shared safely with the node)."""
        ws = Workspace.open(self.home)
        return {item.title for item in ws.items()}

    def heads(self, doc_id: str) -> list[bytes]:
        """Heads of a document in this home's store ([] when it does not hold it)."""
        repo = Workspace.open(self.home).repo
        return repo.open(doc_id).heads() if repo.exists(doc_id) else []

    # -- the command line on this home

    def cli(self, *args: str, check: bool = True, timeout: float = 60.0) -> CliResult:
        argv = self.argv([str(RELIANCE), "--home", str(self.home), *args])
        proc = subprocess.run(
            argv,
            input="",
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=clean_env(),
            timeout=timeout,
            cwd=self.home.parent,
        )
        result = CliResult(proc.returncode, proc.stdout, proc.stderr)
        if check and result.code != 0:
            raise AssertionError(f"reliance {' '.join(args)} failed ({result.code}): {result.err}")
        return result

    def add_offer(self, title: str) -> str:
        return self.cli("offer", "add", "--title", title).out.strip()

    def python(self, *args: str) -> subprocess.Popen[str]:
        """Start `python ARGS` in this node's namespace, from the repository root (for tests.net.hostile);
        stdout is a pipe of text lines, stderr goes to the node's log file."""
        environ = clean_env({"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "src")])})
        with open(self.log_path, "ab") as log:
            proc: subprocess.Popen[str] = subprocess.Popen(
                self.argv([sys.executable, *args]),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=environ,
                cwd=REPO_ROOT,
            )
        self.cluster.processes.append(proc)
        return proc


class Cluster:
    def __init__(
        self,
        tmp_path: Path,
        count: int,
        *,
        mode: str | None = None,
        names: Sequence[str] | None = None,
    ) -> None:
        usable, self.why_loopback = namespaces_usable()
        self.mode = mode or ("netns" if usable else "loopback")
        self.service_type = random_service_type()
        self.processes: list[subprocess.Popen[Any]] = []
        self.net: NetnsNetwork | None = None
        self.tmp_path = tmp_path
        self.count = count
        self.names = list(names or ["Alice", "Bob", "Chloé", "Dara", "Emeka", "Fatou", "Goran"][:count])
        self.nodes: list[ServeNode] = []

    def __enter__(self) -> Cluster:
        try:
            if self.mode == "netns":
                self.net = NetnsNetwork(self.count)
                self.net.setup()
            for i in range(self.count):
                node = ServeNode(self, i, self.tmp_path / f"home{i}", self.names[i])
                if self.net is not None:
                    node.host = self.net.nodes[i].address
                self.nodes.append(node)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL) and delete every namespace; never raises."""
        stop_processes(self.processes, timeout=5)
        if self.net is not None:
            self.net.close()

    # -- helpers

    def start_all(self, *extra: str, mdns: bool = True, nodes: Sequence[ServeNode] | None = None) -> None:
        chosen = list(nodes or self.nodes)
        for node in chosen:
            node.start(*extra, mdns=mdns)
        for node in chosen:
            node.wait_listening()

    def diagnostics(self) -> str:
        parts = []
        for node in self.nodes:
            tail = "\n".join(node.log().splitlines()[-40:])
            parts.append(f"--- {node.name} ({node.peer_id[:14]}, {node.address}) ---\n{tail}")
        return "\n".join(parts)

    def wait(self, predicate: Callable[[], object], timeout: float, what: str) -> float:
        return wait_until(predicate, timeout, what, diagnostics=self.diagnostics)

    def wait_mesh(self, nodes: Sequence[ServeNode] | None = None, timeout: float = 20.0) -> float:
        chosen = list(nodes or self.nodes)
        ids = {n.peer_id for n in chosen}

        def mesh() -> bool:
            return all(ids - {n.peer_id} <= n.connected() for n in chosen)

        return self.wait(mesh, timeout, f"full mesh between {[n.name for n in chosen]}")

    def wait_titles(
        self, titles: set[str], nodes: Sequence[ServeNode] | None = None, timeout: float = 20.0
    ) -> float:
        chosen = list(nodes or self.nodes)
        return self.wait(
            lambda: all(titles <= n.titles() for n in chosen),
            timeout,
            f"items {sorted(titles)} on {[n.name for n in chosen]}",
        )

    # -- topology changes (netns mode only)

    def route_through_router(self, index: int) -> None:
        """Move node `index` to its own subnet behind a router: unicast reaches it, multicast never does.

        Like a guest Wi-Fi on another subnet, or a network that filters multicast: mDNS (224.0.0.251, never
        forwarded) cannot cross, TCP can. Node `index` gets 10.231.1.2, the router 10.231.0.254/10.231.1.1.
        """
        net = self.net
        assert net is not None, "route_through_router needs the netns mode"
        router = net.hub.removesuffix("-hub") + "-rt"
        node_ns = net.nodes[index].namespace
        net._cmd("netns", "add", router)
        net._created.append(router)  # deleted with the others on close
        net._cmd("-n", router, "link", "set", "lo", "up")
        net._cmd("-n", net.hub, "link", "add", "prt", "type", "veth", "peer", "name", "eth0", "netns", router)
        net._cmd("-n", net.hub, "link", "set", "prt", "master", "br0", "up")
        net._cmd("-n", router, "addr", "add", "10.231.0.254/24", "dev", "eth0")
        net._cmd("-n", router, "link", "set", "eth0", "up")
        net._cmd("-n", node_ns, "link", "del", "eth0")  # leaves the bridge (its pair end goes too)
        net._cmd(
            "-n", router, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", node_ns
        )
        net._cmd("-n", router, "addr", "add", "10.231.1.1/24", "dev", "eth1")
        net._cmd("-n", router, "link", "set", "eth1", "up")
        net._cmd("-n", node_ns, "addr", "add", "10.231.1.2/24", "dev", "eth0")
        net._cmd("-n", node_ns, "link", "set", "eth0", "up")
        net._cmd("-n", node_ns, "route", "add", "default", "via", "10.231.1.1")
        net._cmd("-n", node_ns, "route", "replace", "224.0.0.0/4", "dev", "eth0")
        subprocess.run(
            [net._ip, "netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
            check=True,
            capture_output=True,
            timeout=20,
        )
        for other in range(len(net.nodes)):
            if other != index:
                net._cmd(
                    "-n", net.nodes[other].namespace, "route", "add", "10.231.1.0/24", "via", "10.231.0.254"
                )
        self.nodes[index].host = "10.231.1.2"

    def cap_send_buffer(self, index: int, most: int) -> None:
        """Cap the kernel's TCP send buffer in node `index`'s namespace (its own sysctl), so that a peer that
        stops reading fills it after `most` bytes instead of the default 4 MiB."""
        net = self.net
        assert net is not None, "cap_send_buffer needs the netns mode"
        subprocess.run(
            net.exec_argv(index, ["sysctl", "-q", "-w", f"net.ipv4.tcp_wmem=4096 16384 {most}"]),
            check=True,
            capture_output=True,
            timeout=20,
        )

    def established_between(self, a: ServeNode, b: ServeNode) -> int:
        """TCP connections between a's and b's listening ports, counted on a's side (`ss`)."""
        out = subprocess.run(
            a.argv(["ss", "-Htn", "state", "established"]),
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        count = 0
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 4:
                continue
            local, remote = fields[-2], fields[-1]
            local_host, local_port = local.rsplit(":", 1)
            remote_host, remote_port = remote.rsplit(":", 1)
            # One end of each a<->b connection is a listening port: a's (incoming) or b's (outgoing).
            if local_host != a.host or remote_host != b.host:
                continue
            if int(local_port) == a.port or int(remote_port) == b.port:
                count += 1
        return count


def bulk_changes(workspace: Workspace, count: int, batch: int = 1000, size: int = 0) -> list[bytes]:
    """`count` signed one-key changes of the workspace's own document, stored in batches (one fsync each);
    returns the document's new heads.

    With `size`, each writes that many random bytes (incompressible, so the document is that large). The
    changes are made on a copy with automerge directly: `CrdtDoc.change` lists each new change through
    `get_changes`, which costs O(document) per change."""
    stored = workspace.my_doc()
    key = workspace.identity.public_key
    copy = Document.load(stored.crdt.save())
    copy.set_actor(key)
    for i in range(count):
        with copy.transaction() as tx:
            if size:
                tx.put(ROOT, "bulk", ScalarType.Bytes, os.urandom(size))
            else:
                tx.put(ROOT, "bulk", ScalarType.Int, i)
    signed = [
        SignedChange(c, workspace.identity.sign(c.hash))
        for c in CrdtDoc(copy, key).changes_since(stored.heads())
    ]
    for start in range(0, len(signed), batch):
        stored.add_verified(signed[start : start + batch])
    return stored.heads()
