"""A bundle import is all-or-nothing across its documents, through a crash too: the process is killed with
SIGKILL at random moments, and after the next open either every document of the bundle is there in full,
or none is touched; what the command line says is true."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import msgpack
import pytest

from reliance import projects
from reliance.cli import main
from reliance.errors import StoreError
from reliance.model.catalogue import Item, ItemKind
from reliance.store.repository import Repository
from reliance.sync import auth, bundle
from reliance.sync.bundle import export_bundle
from reliance.sync.bundle_journal import JOURNAL_FILE
from reliance.workspace import Workspace
from tests.conftest import run_cli
from tests.sync.hostile import hand_made_entry

PARTICIPANTS = 24


def offer(title: str) -> Item:
    return Item(id="", kind=ItemKind.OFFER, title=title, author="", description=title * 20)


@dataclass(frozen=True)
class Scene:
    victim: Path  # a home that holds nothing of the bundle yet (kept pristine: copy it)
    stick: Path  # the bundle: many documents, so that an import takes a while
    docs: dict[str, set[bytes]]  # each document of the bundle and the hashes of its changes


def write_bundle(path: Path, sources: list[Workspace]) -> dict[str, set[bytes]]:
    """One bundle holding every document of `sources` (as if carried from each of them)."""
    docs: list[dict[str, object]] = []
    hashes: dict[str, set[bytes]] = {}
    for ws in sources:
        part = path.with_suffix(".part")
        export_bundle(ws.repo, part, ws.repo.doc_ids(), ws.peer_id)
        for entry in msgpack.unpackb(part.read_bytes(), raw=False)["docs"]:
            if entry["id"] in hashes:
                continue
            docs.append(entry)
            hashes[entry["id"]] = {stored.info.hash for stored in ws.repo.open(entry["id"]).signed_changes()}
        part.unlink()
    data = {"format": bundle.BUNDLE_FORMAT, "created": "2026-07-01T00:00:00+00:00", "by": "", "docs": docs}
    path.write_bytes(msgpack.packb(data, use_bin_type=True))
    return hashes


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    root = tmp_path_factory.mktemp("journal")
    victim = Workspace.create(root / "victim", "Victor")
    sources = []
    for i in range(PARTICIPANTS):
        ws = Workspace.create(root / f"p{i}", f"Personne {i}")
        for n in range(3):
            ws.add_item(offer(f"offre {i}.{n}"))
        sources.append(ws)
    steward = sources[0]
    for name in ("fournil", "atelier", "jardin"):
        pid = projects.create_project(steward, name)
        for n in range(15):
            projects.contribute(steward, pid, "time", 10 + n, "min", note=f"{name} {n}")
    stick = root / "many.bundle"
    docs = write_bundle(stick, sources)
    return Scene(victim.home, stick, docs)


def fresh_victim(scene: Scene, where: Path) -> Path:
    shutil.copytree(scene.victim, where, ignore=shutil.ignore_patterns("lock", "*.lock"))
    return where


def held(home: Path, scene: Scene) -> dict[str, str]:
    """For each document of the bundle: 'all' of its changes are known, 'none' (not held), or 'part'.
    Read from the store alone: opening a workspace would complete an interrupted import."""
    repo = Repository(home, bytes(32))
    out = {}
    for doc_id, hashes in scene.docs.items():
        if not repo.exists(doc_id):
            out[doc_id] = "none"
            continue
        known = set(repo.open(doc_id).known)
        out[doc_id] = "all" if hashes <= known else ("none" if not hashes & known else "part")
    return out


def assert_all_or_nothing(home: Path, scene: Scene) -> str:
    states = set(held(home, scene).values())
    assert states in ({"all"}, {"none"}), f"a partial import: {held(home, scene)}"
    return states.pop()


IMPORTER = textwrap.dedent(
    """
    import sys
    import time

    from reliance.cli import main
    from reliance.sync import auth, bundle

    home, stick, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    real_store = auth.store_batch

    def slow_store(repo, checked):
        # Widen the window between documents, so that random kills often land in the middle.
        print("storing", flush=True)
        time.sleep(pause)
        return real_store(repo, checked)

    bundle.store_batch = slow_store
    print("ready", flush=True)
    sys.exit(main(["--home", home, "bundle", "import", stick]))
    """
)


def test_an_import_killed_at_random_moments_is_all_or_nothing_after_the_next_open(
    scene: Scene, tmp_path: Path
) -> None:
    script = tmp_path / "importer.py"
    script.write_text(IMPORTER, "utf-8")
    rng = random.Random(20260714)
    outcomes: dict[str, int] = {"before": 0, "completed at open": 0, "finished": 0}
    for rounds in range(12):
        home = fresh_victim(scene, tmp_path / f"victim{rounds}")
        proc = subprocess.Popen(
            [sys.executable, str(script), str(home), str(scene.stick), "0.01"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        if rounds % 2:
            time.sleep(rng.uniform(0.0, 0.8))  # anywhere: opening, reading, checking, storing, done
        else:
            # While it stores: as it starts on one of the first half of the documents (each then waits 10 ms
            # before it is stored, the rest at least as long again).
            for _ in range(rng.randint(1, len(scene.docs) // 2)):
                assert proc.stdout.readline() == "storing\n", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        said = proc.stdout.read()
        proc.stdout.close()
        proc.stderr.close()
        interrupted = (home / JOURNAL_FILE).exists()

        code, _, err = run_cli(home, "item", "list", "--json")  # the next open, by any command

        assert code == 0, err
        state = assert_all_or_nothing(home, scene)
        assert not (home / JOURNAL_FILE).exists()
        if interrupted:
            assert state == "all"
            assert "an interrupted bundle import" in err and "was completed" in err, err
            outcomes["completed at open"] += 1
        else:
            assert err == ""
            if "imported" in said:  # it said so: it was done
                assert state == "all"
            outcomes["finished" if state == "all" else "before"] += 1
    assert outcomes["completed at open"] >= 1, outcomes


class Die(BaseException):
    """Stands for SIGKILL in-process: nothing after it runs (not even `except Exception`)."""


def test_a_crash_between_documents_is_completed_at_the_next_open_and_said_so(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = fresh_victim(scene, tmp_path / "victim")
    real_store = auth.store_batch
    stored: list[str] = []

    def store_then_die(repo: object, checked: auth.CheckedBatch) -> auth.BatchOutcome:
        if len(stored) == 5:
            raise Die
        stored.append(checked.doc_id)
        return real_store(repo, checked)  # type: ignore[arg-type]

    monkeypatch.setattr(bundle, "store_batch", store_then_die)
    with pytest.raises(Die):
        main(["--home", str(home), "bundle", "import", str(scene.stick)])
    monkeypatch.undo()
    assert (home / JOURNAL_FILE).exists()
    assert sorted(held(home, scene).values()).count("all") == 5

    code, out, err = run_cli(home, "whoami")

    assert code == 0, err
    assert assert_all_or_nothing(home, scene) == "all"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "was completed" in lines[0] and str(scene.stick) in lines[0], err
    code, out, err = run_cli(home, "bundle", "import", str(scene.stick))
    assert code == 0 and "imported 0 new changes" in out and err == "", (out, err)


def test_a_store_failure_midway_says_how_far_it_went_and_the_next_open_finishes(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = fresh_victim(scene, tmp_path / "victim")
    real_store = auth.store_batch
    calls: list[str] = []

    def failing_store(repo: object, checked: auth.CheckedBatch) -> auth.BatchOutcome:
        calls.append(checked.doc_id)
        if len(calls) == 4:
            raise StoreError(f"cannot write document {checked.doc_id}: No space left on device")
        return real_store(repo, checked)  # type: ignore[arg-type]

    monkeypatch.setattr(bundle, "store_batch", failing_store)
    code = main(["--home", str(home), "bundle", "import", str(scene.stick)])
    _, err = capsys.readouterr()
    monkeypatch.undo()

    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    total = len(scene.docs)  # every document of the bundle is new to the victim
    assert f"stopped after 3 of {total} documents" in lines[0] and "No space left" in lines[0], err
    assert "nothing imported" not in err
    assert sorted(held(home, scene).values()).count("all") == 3

    code, _, err = run_cli(home, "item", "list", "--json")
    assert code == 0 and "was completed" in err, err
    assert assert_all_or_nothing(home, scene) == "all"


def test_a_refused_bundle_writes_nothing_and_says_so(
    scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = fresh_victim(scene, tmp_path / "victim")
    # Mallory holds a copy of a project (anyone may) and writes into its ledger by hand; her bundle
    # also carries all the valid documents, listed first.
    mallory = Workspace.create(tmp_path / "mallory", "Mallory")
    assert main(["--home", str(mallory.home), "bundle", "import", str(scene.stick)]) == 0
    mallory = Workspace.open(mallory.home)
    pid = next(d for d in scene.docs if d.startswith("pj"))
    hand_made_entry(mallory, pid, 10_000)
    stick = tmp_path / "mallory.bundle"
    data = msgpack.unpackb(scene.stick.read_bytes(), raw=False)
    export_bundle(mallory.repo, tmp_path / "one.bundle", [pid], mallory.peer_id)
    data["docs"] += msgpack.unpackb((tmp_path / "one.bundle").read_bytes(), raw=False)["docs"]
    stick.write_bytes(msgpack.packb(data, use_bin_type=True))
    capsys.readouterr()

    code = main(["--home", str(home), "bundle", "import", str(stick)])

    _, err = capsys.readouterr()
    assert code != 0 and "nothing imported" in err and "is not a member" in err, err
    assert set(held(home, scene).values()) == {"none"}
    assert not (home / JOURNAL_FILE).exists()


def test_messages_follow_the_configured_language(scene: Scene, tmp_path: Path) -> None:
    home = fresh_victim(scene, tmp_path / "victim")
    assert run_cli(home, "config", "set", "lang", "fr").code == 0
    journal = {
        "format": "reliance-bundle-journal/1",
        "source": "clé.bundle",
        "started": "2026-07-01T10:00:00+00:00",
        "docs": [],
    }
    (home / JOURNAL_FILE).write_bytes(msgpack.packb(journal, use_bin_type=True))
    code, out, err = run_cli(home, "item", "list", "--json")
    assert code == 0 and json.loads(out) == []
    assert "import de paquet interrompu (clé.bundle" in err and "a été terminé" in err, err
    (home / JOURNAL_FILE).write_bytes(b"not a journal")
    code, _, err = run_cli(home, "whoami")
    assert code == 0 and "illisible" in err and not (home / JOURNAL_FILE).exists(), err
