"""Run the console script's `main` in a fresh process forked from an interpreter that has already loaded it.

Each run is still its own process, with its own argv, environment, working directory, standard streams and
exit code, as the installed script would have; only the interpreter's start and the imports (most of a short
command's time) are paid once per test worker instead of once per command. The server is single-threaded, so
forking it is safe; each request gets its own connection and its own child, so runs may overlap.

Protocol, one connection per run: the client sends one JSON line
`{"argv": [...], "env": {...}, "cwd": "...", "stdin": PATH, "stdout": PATH, "stderr": PATH}`;
the child answers `{"pid": N}` at once, then `{"code": N}` when the command has ended. A connection that
closes without a code means the child died (killed on timeout, for instance).

`RELIANCE_TEST_REAL_CLI=1` makes tests/conftest.py run the installed script itself instead.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import sys
import traceback
from typing import Any

from reliance.cli.main import main as reliance_main


def _run_child(conn: socket.socket) -> None:
    """In the forked child: become the command the request describes, run it, report its code, exit."""
    stream = conn.makefile("rwb", buffering=0)
    request: dict[str, Any] = json.loads(stream.readline())
    stream.write(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    for fd, key, flags in (
        (0, "stdin", os.O_RDONLY),
        (1, "stdout", os.O_WRONLY | os.O_TRUNC),
        (2, "stderr", os.O_WRONLY | os.O_TRUNC),
    ):
        opened = os.open(request[key], flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = list(request["argv"])
    code = 1
    try:
        code = reliance_main(sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if exit_.code is not None and not isinstance(exit_.code, int):
            print(exit_.code, file=sys.stderr)
    except BaseException:  # what the interpreter would print before exiting 1
        traceback.print_exc()
    try:
        atexit._run_exitfuncs()
    finally:
        for out in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                out.flush()
        stream.write(json.dumps({"code": code & 0xFF}).encode() + b"\n")
        os._exit(code & 0xFF)


def serve(path: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _run_child(conn)
            finally:
                os._exit(1)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
