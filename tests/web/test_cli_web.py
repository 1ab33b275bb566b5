"""`reliance web url|qr|pair|sessions|revoke` against a real `reliance serve` (through its local API),
and without one (the settings and the sessions file); `--web-tls` serves HTTPS whose fingerprint is the
one shown."""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.conftest import run_cli
from tests.net.cluster import Cluster, ServeNode

PATIENCE = 15.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def post_pair(url: str) -> tuple[int, str]:
    """Open a pairing link as a browser would (its page, then its button): the status and the cookie."""
    base, _, token = url.rpartition("/pair/")
    with urllib.request.urlopen(url, timeout=PATIENCE) as page:
        assert token in page.read().decode()
    request = urllib.request.Request(
        f"{base}/pair", data=urllib.parse.urlencode({"token": token}).encode(), headers={"Origin": base}
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=PATIENCE)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Set-Cookie", "")
    raise AssertionError("no redirect after pairing")


def me_status(base: str, cookie: str) -> int:
    request = urllib.request.Request(f"{base}/me", headers={"Cookie": cookie.split(";", 1)[0]})
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_web(cluster: Cluster, node: ServeNode) -> None:
    """The node listens first; its web face starts right after (HTTPS: once its certificate is made)."""
    cluster.wait(lambda: "web face on" in node.log(), PATIENCE, f"{node.name}'s web face")


def test_pair_list_and_revoke_a_browser_beside_serve(tmp_path: Path) -> None:
    with Cluster(tmp_path, 1, mode="loopback") as cluster:
        (alice,) = cluster.nodes
        alice.start(mdns=False)
        alice.wait_listening()
        wait_web(cluster, alice)
        base = f"http://127.0.0.1:{alice.web_port}"
        assert alice.cli("web", "url").out.split() == [f"{base}/"]
        qr = alice.cli("web", "qr").out
        assert f"{base}/" in qr and "█" in qr  # the address, and its QR drawn for a terminal

        pairing = json.loads(alice.cli("web", "pair", "--json").out)
        (url,) = pairing["urls"]
        assert url.startswith(f"{base}/pair/") and pairing["fingerprint"] == ""
        status, cookie = post_pair(url)
        assert status == 303 and "HttpOnly" in cookie
        assert me_status(base, cookie) == 200
        assert post_pair(url)[0] == 403  # once only

        (session,) = json.loads(alice.cli("web", "sessions", "--json").out)
        assert session["agent"].startswith("Python-urllib")
        assert url.rsplit("/", 1)[1] not in alice.log()  # the token never reaches the log
        assert alice.cli("web", "revoke", session["id"]).code == 0
        assert json.loads(alice.cli("web", "sessions", "--json").out) == []
        assert me_status(base, cookie) == 403
        refused = alice.cli("web", "revoke", "nosuchid", check=False)
        assert refused.code == 1 and "Traceback" not in refused.err and "nosuchid" in refused.err


def test_without_an_owner_url_comes_from_the_settings_and_pair_says_why_not(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "init", "--name", "Alice").code == 0
    assert run_cli(home, "config", "set", "web_port", "9090").code == 0
    urls = run_cli(home, "web", "url").out.split()
    assert urls and all(u.endswith(":9090/") and "0.0.0.0" not in u for u in urls)
    code, _, err = run_cli(home, "web", "pair")
    assert code == 1 and "reliance serve" in err and "Traceback" not in err
    assert run_cli(home, "web", "sessions").code == 0
    assert run_cli(home, "config", "set", "web", "off").code == 0
    code, _, err = run_cli(home, "web", "url")
    assert code == 1 and "web on" in err


def test_web_tls_serves_https_with_the_fingerprint_shown(tmp_path: Path) -> None:
    with Cluster(tmp_path, 1, mode="loopback") as cluster:
        (alice,) = cluster.nodes
        alice.start("--web-tls", mdns=False)
        alice.wait_listening()
        wait_web(cluster, alice)
        info = json.loads(alice.cli("web", "url", "--json").out)
        assert info["urls"] == [f"https://127.0.0.1:{alice.web_port}/"]
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # self-signed: the person compares the fingerprint instead
        with (
            socket.create_connection(("127.0.0.1", alice.web_port), timeout=PATIENCE) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert der is not None
        digest = hashlib.sha256(der).hexdigest().upper()
        assert info["fingerprint"].replace(":", "") == digest
        assert info["fingerprint"] in alice.cli("web", "pair").out
        key = alice.home / "web-tls" / "key.pem"
        assert key.stat().st_mode & 0o077 == 0
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar)
        )
        with opener.open(info["urls"][0], timeout=PATIENCE) as response:
            assert response.status == 200 and b"<html" in response.read()
