"""End to end in a real terminal: tmux runs `reliance` on a fresh home; a person's keystrokes go in.

Welcome → create an identity → its recovery phrase, two words typed back → catalogue → publish an offer
→ ctrl+q; then the CLI finds the offer.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import RELIANCE, run_cli
from tests.net.cluster import free_port

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed: the end-to-end terminal run needs it"
)


class Terminal:
    """One tmux server of our own (its own socket), one 120x40 window."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        assert TMUX is not None
        self.base = [TMUX, "-u", "-L", f"reliance-test-{os.getpid()}"]
        self.env = env
        self.tmux("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", command)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            [*self.base, *args], env=self.env, capture_output=True, text=True, timeout=20, check=False
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            captured = self.screen()
            if text in captured:
                return captured
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{captured}")
            time.sleep(0.2)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def close(self) -> None:
        self.tmux("kill-server")


def test_first_run_publish_an_offer_quit_and_find_it_with_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # The app starts its network node: keep it on a free port and off mDNS.
    (home / "config.json").write_text(json.dumps({"port": free_port(), "mdns": False}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "TEXTUAL"))}
    env.update({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color", "HOME": str(tmp_path)})
    command = f"{shlex.quote(str(RELIANCE))} --home {shlex.quote(str(home))}; echo EXITED=$?; sleep 60"
    terminal = Terminal(command, env)
    try:
        terminal.wait_for("Welcome to reliance")
        terminal.type("Camille")
        terminal.wait_for("Camille")
        terminal.keys("C-s")  # "^s Create" in the footer; no passphrase
        shown = terminal.wait_for("I have written them down")
        words = dict(re.findall(r"(\d+)\. ([a-z]+)", shown))
        assert sorted(map(int, words)) == list(range(1, 25)), shown
        terminal.keys("Enter")  # the focused button
        asked = re.findall(r"Word #(\d+)", terminal.wait_for("Word #"))
        first, second = asked
        terminal.type(words[first])
        terminal.keys("Enter")  # to the next field, once the app has read it: type on at a person's pace
        time.sleep(0.5)
        terminal.type(words[second])
        terminal.keys("Enter")
        terminal.wait_for("What arrived")
        terminal.keys("3")
        terminal.wait_for("The catalogue is empty")
        terminal.keys("n")
        terminal.wait_for("Publish")
        terminal.type("Pain du jeudi")
        terminal.keys("C-s")
        screen = terminal.wait_for("Published: Pain du jeudi")
        assert "Pain du jeudi" in screen
        terminal.keys("C-q")
        screen = terminal.wait_for("EXITED=", timeout=30)
        assert "EXITED=0" in screen, screen
    finally:
        terminal.close()
    code, out, err = run_cli(home, "item", "list", "--json")
    assert code == 0, err
    items = json.loads(out)
    assert [(i["title"], i["kind"]) for i in items] == [("Pain du jeudi", "offer")]
