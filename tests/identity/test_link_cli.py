"""Linking a device through the command line, between two homes on loopback: `device invite` in one
process, `device join` in another, the right code, a wrong one, an expired invitation; then the new device
writes, the first one sees it, and once revoked its new writes are refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import RELIANCE, CliResult, run_cli

PATIENCE = 60.0  # only stops a test that hangs


def ok(result: CliResult) -> str:
    assert result.code == 0, result.err
    return result.out


def one_error_line(result: CliResult) -> str:
    assert result.code != 0, result.out
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("reliance: error: "), result.err
    return result.err


class Inviter:
    """`reliance device invite` running in its own process, on loopback, without mDNS."""

    def __init__(self, proc: subprocess.Popen[str], as_json: bool) -> None:
        self.proc = proc
        assert proc.stdout is not None
        self.text: list[str] = []
        if as_json:
            self.opened: dict[str, Any] = json.loads(proc.stdout.readline())  # printed at once
            return
        while not (line := proc.stdout.readline()).startswith("address: "):  # code, QR code, address
            assert line, "the invitation ended before saying where it listens"
            self.text.append(line.rstrip("\n"))
        self.text.append(line.rstrip("\n"))
        self.opened = {
            "code": self.text[0].removeprefix("code: "),
            "addresses": [line.removeprefix("address: ").strip()],
        }

    @property
    def code(self) -> str:
        return str(self.opened["code"])

    @property
    def address(self) -> str:
        [address] = self.opened["addresses"]
        return str(address)

    def result(self) -> CliResult:
        out, err = self.proc.communicate(timeout=PATIENCE)
        return CliResult(self.proc.returncode, out, err)


@contextmanager
def inviting(home: Path, env: dict[str, str] | None = None, *, as_json: bool = True) -> Iterator[Inviter]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELIANCE_")}
    # An invitation that ended answers late joiners for a while; these tests do not wait for that, but
    # the one about late joiners.
    quick = {"RELIANCE_LIMIT_LINK_LATE_ANSWER_SECONDS": "1"}
    environ.update({"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", **quick, **(env or {})})
    argv = [str(RELIANCE), "--home", str(home), "device", "invite", "--listen", "127.0.0.1"]
    argv += ["--json"] if as_json else []
    proc = subprocess.Popen(
        [*argv, "--no-mdns"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        env=environ,
    )
    try:
        yield Inviter(proc, as_json)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def titles(home: Path) -> set[str]:
    return {item["title"] for item in json.loads(ok(run_cli(home, "item", "list", "--json")))}


def carry(source: Path, target: Path, bundle: Path) -> None:
    ok(run_cli(source, "bundle", "export", str(bundle)))
    run_cli(target, "bundle", "import", str(bundle))


def test_link_write_revoke_through_the_cli(tmp_path: Path) -> None:
    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    ok(run_cli(laptop, "offer", "add", "--title", "Soup"))

    with inviting(laptop) as inviter:
        assert inviter.code.count("-") == 2 and inviter.opened["expires_in"] == 600
        joined = run_cli(
            phone, "device", "join", inviter.code, "--name", "phone", "--address", inviter.address
        )
        assert "now writes for Alice" in ok(joined)
        invited = inviter.result()
    assert invited.code == 0, invited.err
    assert json.loads(invited.out.splitlines()[-1]) == {"linked": "phone"}

    # the same person on both devices, and the phone already has the laptop's documents
    laptop_me = json.loads(ok(run_cli(laptop, "whoami", "--json")))
    phone_me = json.loads(ok(run_cli(phone, "whoami", "--json")))
    assert phone_me["peer_id"] == laptop_me["peer_id"]
    assert "Soup" in titles(phone)

    # the phone writes at once, as Alice; the laptop sees it
    ok(run_cli(phone, "offer", "add", "--title", "Bread from the phone"))
    carry(phone, laptop, tmp_path / "first.bundle")
    assert "Bread from the phone" in titles(laptop)
    listed = json.loads(ok(run_cli(laptop, "item", "list", "--json")))
    assert {i["author"] for i in listed if i["title"] == "Bread from the phone"} == {laptop_me["peer_id"]}
    devices = {row["name"]: row for row in json.loads(ok(run_cli(laptop, "device", "list", "--json")))}
    assert devices["phone"]["revoked"] is False and not devices["phone"]["this_one"]

    # the phone does not hold the participant key: it cannot certify a third device, and says so
    with inviting(phone) as inviter:
        third = run_cli(
            tmp_path / "tablet",
            "device",
            "join",
            inviter.code,
            "--name",
            "tablet",
            "--address",
            inviter.address,
        )
        assert "could not finish" in one_error_line(third)
        assert "cannot certify" in one_error_line(inviter.result())

    # revoked: what the phone signs afterwards is refused by the laptop
    assert "revoked" in ok(run_cli(laptop, "device", "revoke", "phone"))
    ok(run_cli(phone, "offer", "add", "--title", "Written after the revocation"))
    carry(phone, laptop, tmp_path / "second.bundle")
    after = titles(laptop)
    assert "Written after the revocation" not in after
    assert {"Soup", "Bread from the phone"} <= after
    devices = {row["name"]: row for row in json.loads(ok(run_cli(laptop, "device", "list", "--json")))}
    assert devices["phone"]["revoked"] is True


def test_a_wrong_code_fails_on_both_sides_with_one_line_each(tmp_path: Path) -> None:
    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    with inviting(laptop) as inviter:
        number, first, second = inviter.code.split("-")
        wrong = f"{number}-{second}-{first}" if first != second else f"{number}-{first}-abandon"
        joined = run_cli(phone, "device", "join", wrong, "--name", "phone", "--address", inviter.address)
        assert "wrong code" in one_error_line(joined)
        invited = inviter.result()
    assert "someone tried a wrong code" in one_error_line(invited)
    # nothing was joined: the phone's home has no identity, and the laptop certified nobody
    one_error_line(run_cli(phone, "whoami"))


def test_an_expired_invitation_ends_clearly_and_a_late_joiner_is_told(tmp_path: Path) -> None:
    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    with inviting(laptop, env={"RELIANCE_LIMIT_LINK_INVITATION_SECONDS": "1"}, as_json=False) as inviter:
        assert re.fullmatch(r"code: [0-9]{1,2}-[a-z]+-[a-z]+", inviter.text[0])
        assert any("█" in line or "▀" in line or "▄" in line for line in inviter.text[1:-1])  # the QR code
        invited = inviter.result()
        assert "expired" in one_error_line(invited)
        joined = run_cli(
            phone, "device", "join", inviter.code, "--name", "phone", "--address", inviter.address
        )
    assert "does not answer" in one_error_line(joined)


def test_a_joiner_after_the_invitation_expired_is_told_so_and_the_inviter_logs_it(tmp_path: Path) -> None:
    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    late = {"RELIANCE_LIMIT_LINK_INVITATION_SECONDS": "1", "RELIANCE_LIMIT_LINK_LATE_ANSWER_SECONDS": "50"}
    with inviting(laptop, env=late) as inviter:
        assert inviter.proc.stderr is not None
        ended = inviter.proc.stderr.readline()  # said at once, while it still answers late joiners
        assert ended.startswith("reliance: error: ") and "expired" in ended, ended
        joined = run_cli(
            phone, "device", "join", inviter.code, "--name", "phone", "--address", inviter.address
        )
        invited = inviter.result()  # it stops once it told the late joiner
    assert "this invitation has expired" in one_error_line(joined)
    assert "does not answer" not in joined.err
    assert invited.code != 0 and "Traceback" not in invited.err
    [logged] = invited.err.splitlines()
    assert logged.startswith("reliance: warning: ") and "after the invitation expired" in logged
    one_error_line(run_cli(phone, "whoami"))  # nothing was joined


def test_a_joiner_after_the_invitation_was_used_is_told_so_in_french(tmp_path: Path) -> None:
    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    french = {"LC_ALL": "fr_FR.UTF-8"}  # the joiner's language: its home has no settings yet
    with inviting(laptop, env={"RELIANCE_LIMIT_LINK_LATE_ANSWER_SECONDS": "50"}) as inviter:
        number, first, second = inviter.code.split("-")
        wrong = f"{number}-{second}-{first}" if first != second else f"{number}-{first}-abandon"
        guesser = tmp_path / "guesser"
        guessed = run_cli(guesser, "device", "join", wrong, "--name", "x", "--address", inviter.address)
        assert "wrong code" in one_error_line(guessed)
        joined = run_cli(
            phone, "device", "join", inviter.code, "--name", "phone", "--address", inviter.address, env=french
        )
        invited = inviter.result()
    assert joined.code != 0 and joined.err.count("\n") == 1, joined.err
    assert joined.err.startswith("reliance : erreur : cette invitation a déjà été utilisée"), joined.err
    lines = invited.err.splitlines()
    assert "someone tried a wrong code" in lines[0]
    assert lines[1:] and "already used" in lines[1]


def test_join_refuses_bad_input_with_one_line(tmp_path: Path) -> None:
    laptop = tmp_path / "laptop"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    phone = tmp_path / "phone"
    cases = [
        (["7-guitar"], "a number and two words"),
        (["7-guitarz-ocean"], "not in the list"),
        (["7-guitar-ocean", "--address", "nowhere"], "invalid address"),
    ]
    for args, expected in cases:
        result = run_cli(phone, "device", "join", *args[:1], "--name", "phone", *args[1:])
        assert expected in one_error_line(result)
    result = run_cli(
        laptop, "device", "join", "7-guitar-ocean", "--name", "again", "--address", "127.0.0.1:9"
    )
    assert "already has an identity" in one_error_line(result)
    result = run_cli(phone, "device", "join", "7-guitar-ocean", "--name", "bad\x07name", "--address", "h:1")
    assert "invalid device name" in one_error_line(result)


def test_beside_a_running_serve_the_owner_makes_the_grant(tmp_path: Path) -> None:
    """The laptop's key is encrypted and `serve` holds it: `device invite` has no passphrase, so the grant
    can only come from the owner (through the local API)."""
    from tests.net.cluster import clean_env, free_port, wait_until

    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse")
    ok(run_cli(laptop, "--passphrase-file", str(secret), "init", "--name", "Alice"))
    log_path = tmp_path / "serve.log"
    argv = [str(RELIANCE), "--home", str(laptop), "--passphrase-file", str(secret), "serve"]
    argv += ["--listen", "127.0.0.1", "--port", str(free_port()), "--no-mdns"]
    with open(log_path, "wb") as log:
        serve = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=clean_env())
    try:
        wait_until(lambda: "listening on" in log_path.read_text(), PATIENCE, "serve listening")
        with inviting(laptop) as inviter:
            joined = run_cli(
                phone, "device", "join", inviter.code, "--name", "phone", "--address", inviter.address
            )
            assert "now writes for Alice" in ok(joined)
            invited = inviter.result()
            assert invited.code == 0, invited.err
    finally:
        serve.terminate()
        serve.wait(timeout=PATIENCE)
    # the certificate the owner wrote is in the laptop's document, which the phone got
    phone_me = json.loads(ok(run_cli(phone, "whoami", "--json")))
    laptop_me = json.loads(ok(run_cli(laptop, "--passphrase-file", str(secret), "whoami", "--json")))
    assert phone_me["peer_id"] == laptop_me["peer_id"]


def test_an_invite_without_an_owner_owns_the_home_while_it_runs(tmp_path: Path) -> None:
    """No `serve` runs: the invite owns the home for its duration. A `serve` started meanwhile says, in one
    line, that an invitation runs; the CLI goes through the invite; the invite completes, then releases the
    home (a `serve` may start)."""
    from tests.net.cluster import free_port

    laptop, phone = tmp_path / "laptop", tmp_path / "phone"
    ok(run_cli(laptop, "init", "--name", "Alice"))
    with inviting(laptop) as inviter:
        argv = ["serve", "--listen", "127.0.0.1", "--port", str(free_port()), "--no-mdns", "--no-web"]
        refused = run_cli(laptop, *argv, timeout=PATIENCE)
        assert "an invitation is running on this home" in one_error_line(refused)
        # a reading and a write from another command go through the invite's owner
        ok(run_cli(laptop, "offer", "add", "--title", "Written during the invitation"))
        assert "Written during the invitation" in titles(laptop)
        joined = run_cli(
            phone, "device", "join", inviter.code, "--name", "phone", "--address", inviter.address
        )
        assert "now writes for Alice" in ok(joined)
        invited = inviter.result()
    assert invited.code == 0, invited.err
    assert "Written during the invitation" in titles(phone)  # the grant was made after it, by the same owner
    from reliance.localapi.ownership import current_owner

    assert current_owner(laptop) is None  # released at the end
