"""Network namespaces joined by a Linux bridge, for tests between real (virtual) hosts.

    ok, reason = can_create_namespaces()
    if not ok:
        pytest.skip(reason)
    with netns_network(3) as net:
        proc = net.popen(0, [sys.executable, "-m", "..."], stdout=subprocess.PIPE, text=True)
        net.run(1, ["ip", "addr"])
        net.link_down(2)  # partition node 2
        net.link_up(2)

Layout: a hub namespace holds the bridge; each node namespace has ``lo`` up and ``eth0`` (one end of a veth
pair whose other end is a bridge port) with address 10.231.0.(i+1)/24 and a multicast route 224.0.0.0/4.
Nothing is created in the caller's own namespace, and every name carries a random suffix, so parallel runs
never clash. Leaving the context always kills the processes started with :meth:`NetnsNetwork.popen` and
deletes every namespace (which destroys the veth pairs and the bridge), also when the setup itself failed.

Needs Linux, the ``ip`` command (iproute2) and root (CAP_NET_ADMIN).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import reliance

SUBNET = "10.231.0"
PREFIX_LENGTH = 24
MULTICAST_ROUTE = "224.0.0.0/4"
INTERFACE = "eth0"


class NetnsError(RuntimeError):
    pass


def _ip_binary() -> str | None:
    return shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin")


@functools.lru_cache(maxsize=1)
def can_create_namespaces() -> tuple[bool, str]:
    """(True, "") when namespaces, veth pairs and a bridge can be created here; else (False, why not)."""
    if not sys.platform.startswith("linux"):
        return False, f"network namespaces need Linux (this is {sys.platform})"
    ip = _ip_binary()
    if ip is None:
        return False, "the `ip` command (iproute2) is not installed"
    if os.geteuid() != 0:
        return False, "not root: network namespaces need CAP_NET_ADMIN"
    probe = f"rlprobe-{secrets.token_hex(4)}"
    try:
        for argv in (
            [ip, "netns", "add", probe],
            [ip, "-n", probe, "link", "add", "br0", "type", "bridge"],
            [ip, "-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        ):
            result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
            if result.returncode != 0:
                detail = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
                return False, f"`{' '.join(argv[1:])}` failed: {detail}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"cannot run `ip`: {exc}"
    finally:
        subprocess.run([ip, "netns", "del", probe], capture_output=True, timeout=10, check=False)
    return True, ""


def require_namespaces() -> None:
    """Skip the calling test when namespaces cannot be created here."""
    ok, reason = can_create_namespaces()
    if not ok:
        pytest.skip(f"network namespaces unavailable: {reason}")


def python_env() -> dict[str, str]:
    """This environment with the source of the reliance under test first on PYTHONPATH, for Python
    programs started in a namespace."""
    source = str(Path(reliance.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}


def stop_processes(processes: Iterable[subprocess.Popen[Any]], *, timeout: float = 3.0) -> None:
    """SIGTERM (after a SIGCONT: a paused process must be able to die), then SIGKILL what is still running
    after ``timeout``; never raises."""
    processes = list(processes)
    for proc in processes:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)


@dataclass(frozen=True)
class Node:
    namespace: str
    address: str
    interface: str = INTERFACE


class NetnsNetwork:
    """``count`` namespaces on one bridge. Use as a context manager (or call :meth:`close`)."""

    def __init__(self, count: int, *, multicast_route: bool = True) -> None:
        if not 1 <= count <= 200:
            raise ValueError("count must be between 1 and 200")
        ip = _ip_binary()
        if ip is None:
            raise NetnsError("the `ip` command is not installed")
        self._ip = ip
        self._multicast_route = multicast_route
        suffix = secrets.token_hex(3)
        self.hub = f"rl-{suffix}-hub"
        self.nodes = [Node(f"rl-{suffix}-{i}", f"{SUBNET}.{i + 1}") for i in range(count)]
        self._created: list[str] = []
        self._processes: list[subprocess.Popen[Any]] = []

    # ------------------------------------------------------------------ setup / teardown

    def _cmd(self, *args: str) -> None:
        result = subprocess.run([self._ip, *args], capture_output=True, text=True, timeout=20, check=False)
        if result.returncode != 0:
            raise NetnsError(f"ip {' '.join(args)}: {result.stderr.strip()}")

    def setup(self) -> None:
        try:
            for ns in [self.hub, *(n.namespace for n in self.nodes)]:
                self._cmd("netns", "add", ns)
                self._created.append(ns)
                self._cmd("-n", ns, "link", "set", "lo", "up")
            # No IGMP snooping: without a querier it may stop forwarding multicast after a while.
            self._cmd("-n", self.hub, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
            self._cmd("-n", self.hub, "link", "set", "br0", "up")
            for i, node in enumerate(self.nodes):
                port = f"p{i}"
                self._cmd("-n", self.hub, "link", "add", port, "type", "veth", "peer", "name", node.interface,
                          "netns", node.namespace)  # fmt: skip
                self._cmd("-n", self.hub, "link", "set", port, "master", "br0", "up")
                self._cmd("-n", node.namespace, "addr", "add", f"{node.address}/{PREFIX_LENGTH}",
                          "dev", node.interface)  # fmt: skip
                self.link_up(i)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Kill our processes and delete every namespace; never raises."""
        stop_processes(self._processes)
        self._processes.clear()
        for ns in reversed(self._created):
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                subprocess.run([self._ip, "netns", "del", ns], capture_output=True, timeout=20, check=False)
        self._created.clear()

    def __enter__(self) -> NetnsNetwork:
        self.setup()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ use

    def exec_argv(self, index: int, argv: Sequence[str]) -> list[str]:
        """The argv that runs ``argv`` inside node ``index``'s namespace."""
        return [self._ip, "netns", "exec", self.nodes[index].namespace, *argv]

    def run(
        self, index: int, argv: Sequence[str], *, timeout: float = 30, check: bool = True, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run a command to completion inside node ``index``; output captured as text."""
        kwargs.setdefault("capture_output", True)
        return subprocess.run(self.exec_argv(index, argv), timeout=timeout, check=check, text=True, **kwargs)

    def popen(self, index: int, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start a command inside node ``index``; it is terminated (then killed) when the network closes."""
        proc: subprocess.Popen[Any] = subprocess.Popen(self.exec_argv(index, argv), **kwargs)
        self._processes.append(proc)
        return proc

    def link_down(self, index: int) -> None:
        """Cut node ``index`` off the bridge (a partition). The kernel drops its multicast route."""
        node = self.nodes[index]
        self._cmd("-n", node.namespace, "link", "set", node.interface, "down")

    def link_up(self, index: int) -> None:
        """Reconnect node ``index`` and restore its multicast route."""
        node = self.nodes[index]
        self._cmd("-n", node.namespace, "link", "set", node.interface, "up")
        if self._multicast_route:
            self._cmd("-n", node.namespace, "route", "replace", MULTICAST_ROUTE, "dev", node.interface)

    def add_address(self, index: int, address: str) -> None:
        """Give node ``index`` one more address on its interface (an interface change)."""
        node = self.nodes[index]
        self._cmd("-n", node.namespace, "addr", "add", f"{address}/{PREFIX_LENGTH}", "dev", node.interface)


@contextlib.contextmanager
def netns_network(count: int, *, multicast_route: bool = True) -> Iterator[NetnsNetwork]:
    """``count`` namespaces joined by a bridge; everything is torn down on exit, whatever happens."""
    with NetnsNetwork(count, multicast_route=multicast_route) as net:
        yield net
