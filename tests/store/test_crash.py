"""Crash safety: a writer killed with SIGKILL at random moments loses nothing it acknowledged."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from reliance.app.workspace import Workspace
from reliance.identity import verify_signature

KILLS = 56

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from reliance.app.settings import load_limits
    from reliance.app.workspace import Workspace
    from reliance.identity import load_identity
    from reliance.model.catalogue import Item, ItemKind

    home, compact_after, round_ = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    # Compact often, so that some kills land in the middle of a compaction too.
    limits = load_limits(home).replace(compact_after_records=compact_after)
    ws = Workspace(home, load_identity(home), limits=limits)
    ws.my_doc()
    print("ready", flush=True)
    n = 0
    while True:
        if n % 7 == 3:
            ws.set_code("histoire", f"round {round_} edit {n}")
            print(f"code round {round_} edit {n}", flush=True)
        else:
            item = ws.add_item(Item(id="", kind=ItemKind.OFFER, title=f"round {round_} item {n}", author=""))
            # add_item returned: the change is fsynced. Only now is it acknowledged.
            print(item.id, flush=True)
        n += 1
    """
)


def test_a_writer_killed_at_random_moments_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Workspace.create(home, "Alice")
    script = tmp_path / "writer.py"
    script.write_text(WRITER, "utf-8")
    rng = random.Random(20260714)
    acknowledged: list[str] = []
    last_code: str | None = None
    awaited = 0  # acknowledgements the loop waited for before a kill: at least that many were made
    for kills in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(home), str(rng.choice([15, 40, 2000])), str(kills)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        lines: list[str] = []
        if kills % 5 == 4:
            # Sometimes while it is still opening the store (and maybe repairing or restarting a log).
            time.sleep(rng.uniform(0.0, 0.3))
        else:
            first = proc.stdout.readline()
            if first != "ready\n":
                proc.kill()
                raise AssertionError(f"the store did not open after kill {kills}: {proc.stderr.read()}")
            if kills % 2:
                time.sleep(rng.uniform(0.0, 0.12))  # anywhere in a write or a compaction
            else:
                # Right after an acknowledgement, during the next write: after a count of them, not a time,
                # so that however slow the machine the writer makes progress between kills.
                wanted = rng.randint(1, 12)
                while sum(1 for line in lines if not line.startswith("code ")) < wanted:
                    line = proc.stdout.readline()
                    if not line:
                        raise AssertionError(f"the writer stopped after kill {kills}: {proc.stderr.read()}")
                    lines.append(line.rstrip("\n"))
                awaited += wanted
        proc.kill()
        proc.wait(timeout=10)
        for line in lines + proc.stdout.read().splitlines():
            if line.startswith("code "):
                last_code = line[len("code ") :]
            elif line != "ready":
                acknowledged.append(line)
        proc.stdout.close()
        proc.stderr.close()

    assert len(acknowledged) >= awaited > 0

    ws = Workspace.open(home)
    doc = ws.my_doc()
    present = {item.id for item in ws.items()}
    missing = [item_id for item_id in acknowledged if item_id not in present]
    assert not missing, f"{len(missing)} acknowledged items lost, e.g. {missing[:3]}"
    # At most one write per killed process was durable without being acknowledged.
    assert len(present) - len(acknowledged) <= KILLS
    if last_code is not None:
        # The acknowledged text, or a later one that was durable but not yet acknowledged.
        current = ws.code()["histoire"]
        assert current == last_code or _edit_number(current) > _edit_number(last_code)
    # Every stored change is signed, and the single actor never reused a sequence number.
    changes = doc.signed_changes()
    seqs = sorted(c.info.seq for c in changes)
    assert seqs == list(range(1, len(changes) + 1))
    for change in changes:
        assert change.signature is not None
        assert verify_signature(ws.identity.public_key, change.signature, change.info.hash)


def _edit_number(text: str) -> tuple[int, int]:
    parts = text.split()  # "round R edit N"
    return int(parts[1]), int(parts[3])
