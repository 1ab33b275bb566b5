"""Network doctor: pure interpretation, real port probes on loopback, full diagnosis inside namespaces."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reliance.net.discovery import InterfaceAddress
from reliance.net.doctor import Facts, Finding, diagnose, diagnose_async, interpret, probe_port
from tests.net.cluster import free_port
from tests.netns import netns_network, python_env, require_namespaces

LO = InterfaceAddress("lo", "127.0.0.1", 8, True, False)
WLAN = InterfaceAddress("wlan0", "192.168.1.20", 24, True, True)
HEALTHY = Facts(
    interfaces=(LO, WLAN),
    multicast_route="192.168.1.20",
    multicast_joined=("192.168.1.20",),
    port=7070,
    port_state="free",
    self_connect={"127.0.0.1": True, "192.168.1.20": True},
    peers_found=2,
)


def codes(findings: list[Finding]) -> dict[str, str]:
    return {f.code: f.level for f in findings}


def check_wording(findings: list[Finding]) -> None:
    for f in findings:
        assert f.level in ("ok", "warning", "problem")
        assert f.message("en") and f.message("fr") and f.message("en") != f.message("fr")
        if f.level != "ok":
            assert f.advice("en") and f.advice("fr"), f.code
    assert len({f.code for f in findings}) == len(findings)


# ------------------------------------------------------------------------------------ interpret (pure)


def test_healthy_machine() -> None:
    findings = interpret(HEALTHY)
    check_wording(findings)
    assert codes(findings) == {
        "network": "ok",
        "multicast": "ok",
        "port_free": "ok",
        "self_connect": "ok",
        "peers_found": "ok",
    }
    assert findings[0].message("en") == "Connected to a network (address 192.168.1.20)."
    assert findings[0].message("fr").startswith("Connecté à un réseau")


def test_not_connected() -> None:
    facts = replace(HEALTHY, interfaces=(LO, InterfaceAddress("eth0", "10.0.0.2", 24, False, True)))
    findings = interpret(replace(facts, multicast_joined=None, peers_found=0))
    check_wording(findings)
    assert findings[0].code == "no_network" and findings[0].level == "problem"
    assert "not connected to any network" in findings[0].message("en")
    assert "connecté à aucun réseau" in findings[0].message("fr")
    assert "multicast" not in codes(findings) and "no_peers" not in codes(findings)


def test_link_local_only() -> None:
    facts = replace(HEALTHY, interfaces=(LO, InterfaceAddress("wlan0", "169.254.7.9", 16, True, True)))
    assert codes(interpret(facts))["no_address"] == "warning"


@pytest.mark.parametrize(
    "changes",
    [
        {"multicast_joined": (), "multicast_error": "192.168.1.20: No such device"},
        {"interfaces": (LO, InterfaceAddress("wlan0", "192.168.1.20", 24, True, False))},
    ],
)
def test_no_multicast_advises_typing_an_address(changes: dict[str, Any]) -> None:
    findings = interpret(replace(HEALTHY, **changes))
    check_wording(findings)
    (finding,) = [f for f in findings if f.code == "no_multicast"]
    assert finding.level == "problem"
    assert "reliance peer add HOST:PORT" in finding.advice("en")
    assert "reliance peer add HÔTE:PORT" in finding.advice("fr")
    assert "192.168.1.20:7070" in finding.advice("en") and "192.168.1.20:7070" in finding.advice("fr")
    assert "peers_found" not in codes(findings)  # discovery cannot work: no separate peer finding


def test_missing_multicast_route_is_only_a_hint() -> None:
    facts = replace(HEALTHY, multicast_route=None, multicast_route_error="Network is unreachable")
    assert codes(interpret(facts))["multicast"] == "ok"  # joining worked: zeroconf picks the interface
    findings = interpret(replace(facts, multicast_joined=None))  # not probed
    assert codes(findings)["multicast_unsure"] == "warning"
    assert "Network is unreachable" in findings[1].message("en")


def test_port_problems() -> None:
    in_use = interpret(replace(HEALTHY, port_state="in_use", self_connect={}))
    check_wording(in_use)
    (finding,) = [f for f in in_use if f.code == "port_in_use"]
    assert finding.level == "problem"
    assert "--port 7071" in finding.advice("en") and "--port 7071" in finding.advice("fr")
    assert codes(interpret(replace(HEALTHY, port_state="forbidden", port=80)))["port_forbidden"] == "problem"
    assert codes(interpret(replace(HEALTHY, port_state="invalid", port=0)))["port_invalid"] == "problem"
    assert codes(interpret(replace(HEALTHY, port_state="error", port_error="x")))["port_unknown"] == "warning"
    assert "port_free" not in codes(interpret(replace(HEALTHY, port=None, port_state=None)))


def test_firewall() -> None:
    blocked = interpret(replace(HEALTHY, self_connect={"127.0.0.1": True, "192.168.1.20": False}))
    check_wording(blocked)
    assert codes(blocked)["firewall"] == "warning"
    local = interpret(replace(HEALTHY, self_connect={"127.0.0.1": False}))
    assert codes(local)["self_connect_failed"] == "problem"


def test_no_peers_gives_the_isolation_advice() -> None:
    findings = interpret(replace(HEALTHY, peers_found=0))
    check_wording(findings)
    (finding,) = [f for f in findings if f.code == "no_peers"]
    assert finding.level == "warning"
    assert "hotspot" in finding.advice("en") and "reliance peer add" in finding.advice("en")
    assert "partage de connexion" in finding.advice("fr") and "reliance peer add" in finding.advice("fr")
    assert "peers_found" not in codes(interpret(replace(HEALTHY, peers_found=None)))


# ------------------------------------------------------------------------------ real probes (loopback)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use(busy_port: int) -> None:
    findings = diagnose(busy_port, network_probes=False, peers_found=1)
    check_wording(findings)
    found = codes(findings)
    assert found["port_in_use"] == "problem"
    assert "port_free" not in found and "self_connect" not in found
    (finding,) = [f for f in findings if f.code == "port_in_use"]
    assert f"Port {busy_port} is already used by another program" in finding.message("en")
    assert "--port" in finding.advice("en") and "--port" in finding.advice("fr")


def test_the_port_a_running_node_holds_is_not_reported_as_taken(busy_port: int) -> None:
    findings = diagnose(7447, network_probes=False, peers_found=0, listening_port=busy_port)
    check_wording(findings)
    found = codes(findings)
    assert "port_in_use" not in found and "port_free" not in found
    addresses = [f.advice("en") for f in findings if ":" in f.advice("en") and "peer add" in f.advice("en")]
    if "no_network" not in found:  # there is an address to give: it comes with the node's port
        assert addresses
    for advice in addresses:
        assert f":{busy_port}" in advice and ":7447" not in advice


def test_free_port() -> None:
    port = free_port()
    findings = diagnose(port, network_probes=False, peers_found=1)
    check_wording(findings)
    found = codes(findings)
    assert found["port_free"] == "ok"
    assert found["self_connect"] == "ok"
    assert "port_in_use" not in found
    assert probe_port(port, ["127.0.0.1"], bind_address="127.0.0.1") == ("free", None, {"127.0.0.1": True})


def test_invalid_port_numbers() -> None:
    assert probe_port(0, [])[0] == "invalid"
    assert probe_port(70000, [])[0] == "invalid"


async def test_diagnose_async(busy_port: int) -> None:
    findings = await diagnose_async(busy_port, network_probes=False, peers_found=0)
    assert codes(findings)["port_in_use"] == "problem"


# ------------------------------------------------------------------------------------------ namespaces

DOCTOR_SCRIPT = (
    "import json, sys\n"
    "from reliance.net.doctor import diagnose\n"
    "findings = diagnose(int(sys.argv[1]), service_type=sys.argv[2], browse_seconds=float(sys.argv[3]))\n"
    "print(json.dumps({f.code: f.level for f in findings}))\n"
)


@pytest.mark.netns
def test_diagnosis_between_hosts() -> None:
    require_namespaces()
    service_type = f"_rl{secrets.token_hex(4)}._tcp.local."
    env = python_env()
    with netns_network(2) as net:

        def doctor(index: int, browse_seconds: float) -> dict[str, str]:
            argv = [sys.executable, "-c", DOCTOR_SCRIPT, "7000", service_type, str(browse_seconds)]
            result = net.run(index, argv, env=env, timeout=30)
            return dict(json.loads(result.stdout))

        alone = doctor(0, 0.5)
        assert alone == {
            "network": "ok",
            "multicast": "ok",
            "port_free": "ok",
            "self_connect": "ok",
            "no_peers": "warning",
        }

        selftest = [sys.executable, "-m", "reliance.net.discovery", "--selftest", "--peer-id", "other"]
        peer = net.popen(1, [*selftest, "--service-type", service_type], stdout=subprocess.PIPE, env=env)
        assert peer.stdout is not None
        assert b"started" in peer.stdout.readline()
        t0 = time.monotonic()
        together = doctor(0, 2.0)
        print(f"\nnamespaces: diagnosis with a browse of 2 s took {time.monotonic() - t0:.2f} s")
        assert together["peers_found"] == "ok" and "no_peers" not in together

        net.run(0, ["ip", "link", "set", "eth0", "multicast", "off"])
        assert doctor(0, 0)["no_multicast"] == "problem"

        net.link_down(0)
        assert doctor(0, 0) == {"no_network": "problem", "port_free": "ok", "self_connect": "ok"}


@pytest.mark.netns
def test_cli_doctor_speaks_the_configured_language(tmp_path: Path) -> None:
    require_namespaces()
    command = str(Path(sys.executable).with_name("reliance"))
    home = str(tmp_path / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    subprocess.run([command, "--home", home, "init", "--name", "Camille"], env=env, check=True, timeout=60)
    with netns_network(1) as net:

        def doctor(*args: str) -> str:
            argv = [command, "--home", home, "doctor", "--port", "7000", *args]
            result = net.run(0, argv, env=env, timeout=30)
            return str(result.stdout)

        assert "Connected to a network" in doctor()  # no locale, no setting: English
        subprocess.run([command, "--home", home, "config", "set", "lang", "fr"], env=env, check=True)
        assert "Connecté à un réseau" in doctor()
        assert "Connected to a network" in doctor("--lang", "en")  # the option wins


@pytest.mark.netns
def test_cli_doctor_beside_a_running_node_speaks_of_that_node(tmp_path: Path) -> None:
    """A `reliance serve` on the same home holds the port: the doctor counts its peers instead of
    browsing, does not call its port taken, and gives that port in our address."""
    require_namespaces()
    command = str(Path(sys.executable).with_name("reliance"))
    home = tmp_path / "home"
    subprocess.run([command, "--home", str(home), "init", "--name", "Camille"], check=True, timeout=60)
    with netns_network(1) as net, socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]

        def doctor_with(peers: list[dict[str, str]]) -> list[dict[str, Any]]:
            state = {"pid": os.getpid(), "listen": f"0.0.0.0:{port}", "peers": peers}
            (home / "node-state.json").write_text(json.dumps(state))  # as the running node writes it
            argv = [command, "--home", str(home), "doctor", "--json", "--port", "7000"]
            return list(json.loads(net.run(0, argv, timeout=30).stdout))

        found = doctor_with([{"state": "connected"}, {"state": "pending"}])
        assert {f["code"]: f["level"] for f in found}["peers_found"] == "ok"
        assert not {"port_in_use", "port_free", "no_peers"} & {f["code"] for f in found}

        alone = doctor_with([])
        (lonely,) = [f for f in alone if f["code"] == "no_peers"]
        assert f"{net.nodes[0].address}:{port}" in lonely["advice_en"]  # the node's port, not --port
