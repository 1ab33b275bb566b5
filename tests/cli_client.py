"""The test side of tests/cli_forkserver.py: one server per test process, commands run through it."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path


class ForkedCli:
    """A running fork server and the way to ask it for one command."""

    def __init__(self, process: subprocess.Popen[bytes], folder: Path) -> None:
        self._process = process
        self._folder = folder
        self._socket = str(folder / "cli.sock")
        self._count = 0

    @classmethod
    def start(cls) -> ForkedCli:
        folder = Path(tempfile.mkdtemp(prefix="reliance-cli-"))
        environ = {k: v for k, v in os.environ.items() if not k.startswith("RELIANCE_")}
        environ.update({"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"})
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.cli_forkserver", str(folder / "cli.sock")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=environ,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert process.stdout is not None
        if process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the CLI fork server did not start")
        server = cls(process, folder)
        atexit.register(server.stop)
        return server

    def stop(self) -> None:
        self._process.kill()
        self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

    def run(
        self, argv: list[str], env: Mapping[str, str], stdin: str, timeout: float, cwd: Path
    ) -> tuple[int, str, str]:
        self._count += 1
        base = self._folder / f"run-{os.getpid()}-{self._count}-{time.monotonic_ns()}"
        paths = {name: base.with_suffix("." + name) for name in ("stdin", "stdout", "stderr")}
        paths["stdin"].write_text(stdin, encoding="utf-8")
        for name in ("stdout", "stderr"):
            paths[name].touch()
        request = {"argv": argv, "env": dict(env), "cwd": str(cwd), **{k: str(v) for k, v in paths.items()}}
        pid = 0
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(timeout)
                conn.connect(self._socket)
                stream = conn.makefile("rwb", buffering=0)
                stream.write(json.dumps(request).encode() + b"\n")
                pid = json.loads(stream.readline())["pid"]
                try:
                    line = stream.readline()
                except TimeoutError:
                    os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(argv, timeout) from None
                code = json.loads(line)["code"] if line else -signal.SIGKILL
            out = paths["stdout"].read_text(encoding="utf-8")
            err = paths["stderr"].read_text(encoding="utf-8")
            return code, out, err
        finally:
            for path in paths.values():
                path.unlink(missing_ok=True)
