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
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliance.app import projects
from reliance.app.workspace import Workspace
from reliance.cli.main import main
from reliance.errors import StoreError
from reliance.limits import MIB
from reliance.model.catalogue import Item, ItemKind
from reliance.replication import auth, bundle
from reliance.replication.bundle import export_bundle
from reliance.replication.bundle_journal import JOURNAL_FILE, JOURNAL_FORMAT, complete_interrupted
from reliance.store.records import change_info
from reliance.store.repository import Repository, change_size
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

    from reliance.cli.main import main
    from reliance.replication import auth, bundle

    home, stick, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    real_store = auth.store_batch

    def slow_store(repo, checked, **options):
        # Widen the window between documents, so that random kills often land in the middle.
        print("storing", flush=True)
        time.sleep(pause)
        return real_store(repo, checked, **options)

    auth.store_batch = slow_store
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

    def store_then_die(repo: object, checked: auth.CheckedBatch, sync: bool = True) -> auth.BatchOutcome:
        if len(stored) == 5:
            raise Die
        stored.append(checked.doc_id)
        return real_store(repo, checked, sync=sync)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "store_batch", store_then_die)
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

    def failing_store(repo: object, checked: auth.CheckedBatch, sync: bool = True) -> auth.BatchOutcome:
        calls.append(checked.doc_id)
        if len(calls) == 4:
            raise StoreError(f"cannot write document {checked.doc_id}: No space left on device")
        return real_store(repo, checked, sync=sync)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "store_batch", failing_store)
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


# -- a damaged or hostile journal ---------------------------------------------------------------------------


def journal_bytes(docs: object, source: str = "stick.bundle") -> bytes:
    journal = {
        "format": JOURNAL_FORMAT,
        "source": source,
        "started": "2026-07-01T10:00:00+00:00",
        "docs": docs,
    }
    packed: bytes = msgpack.packb(journal, use_bin_type=True)
    return packed


def assert_dropped_as_damaged(home: Path) -> str:
    """The next command says, in one warning line, that the journal was unreadable and removed."""
    code, _, err = run_cli(home, "whoami")
    assert code == 0, err
    (line,) = err.splitlines()
    assert line.startswith("reliance: warning: the journal of an interrupted bundle import was unreadable")
    assert not (home / JOURNAL_FILE).exists()
    return line


def test_a_journal_of_empty_maps_is_refused_before_it_costs_memory(home: Path) -> None:
    """1 MiB of empty maps would be some 70 MiB of Python objects: refused while it is still bytes."""
    ws = Workspace.create(home, "Alice")
    (home / JOURNAL_FILE).write_bytes(journal_bytes([{}] * (1 << 20)))
    tracemalloc.start()
    try:
        notices = complete_interrupted(ws.repo)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [n.outcome for n in notices] == ["damaged"]
    assert peak < 8 * MIB, f"reading a 1 MiB journal took {peak >> 20} MiB"
    assert not (home / JOURNAL_FILE).exists()


@pytest.mark.parametrize("over", ["as carried", "inflated"])
def test_a_journal_is_read_within_the_limits_of_the_home(home: Path, tmp_path: Path, over: str) -> None:
    """A change larger than this home takes (its limits were lowered since, or the journal was forged),
    as carried or once inflated: the journal is damaged, and nothing of it is stored."""
    bob = Workspace.create(tmp_path / "bob", "Bob")
    bob.add_item(Item(id="", kind=ItemKind.OFFER, title="vélo", author="", description=token_hex(1500)))
    chunks = [[c.info.chunk, c.signature] for c in bob.repo.open(bob.peer_id).signed_changes()]
    largest = max(len(chunk) for chunk, _ in chunks)
    inflated = max(change_size(change_info(chunk), None) for chunk, _ in chunks)
    assert largest + 100 < inflated  # the big change is carried compressed
    limit = largest // 2 if over == "as carried" else largest + 50
    Workspace.create(home, "Alice")
    (home / "config.json").write_text(json.dumps({"limits": {"max_change_bytes": limit}}))
    (home / JOURNAL_FILE).write_bytes(journal_bytes([[bob.peer_id, chunks]]))
    why = "a bin of" if over == "as carried" else f"inflates beyond {limit} bytes"
    assert why in assert_dropped_as_damaged(home)
    assert not Repository(home, bytes(32)).exists(bob.peer_id)


def test_a_journal_larger_than_a_bundle_is_not_read(home: Path) -> None:
    Workspace.create(home, "Alice")
    (home / "config.json").write_text('{"limits": {"max_bundle_bytes": 4096}}')
    (home / JOURNAL_FILE).write_bytes(journal_bytes([], source="s" * 4000) + b"\x00" * 4096)
    assert "larger than" in assert_dropped_as_damaged(home)


def test_a_journal_naming_a_participant_id_that_fails_its_check_is_damaged_not_retried_for_ever(
    home: Path, tmp_path: Path
) -> None:
    bob = Workspace.create(tmp_path / "bob", "Bob")
    chunks = [[c.info.chunk, c.signature] for c in bob.repo.open(bob.peer_id).signed_changes()]
    typo = bob.peer_id[:-1] + ("a" if bob.peer_id[-1] != "a" else "b")  # its check characters fail
    Workspace.create(home, "Alice")
    (home / JOURNAL_FILE).write_bytes(journal_bytes([[typo, chunks]]))
    assert "peer id check failed" in assert_dropped_as_damaged(home)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 1 << 16), st.integers(0, 255), st.sampled_from("sdi")), max_size=4
    )
)
def test_any_damage_to_a_journal_ends_in_a_notice_and_no_journal(
    journal_home: tuple[Workspace, bytes], edits: list[tuple[int, int, str]]
) -> None:
    """Bytes changed, dropped or added anywhere: the next open completes the import, refuses part of it,
    or says the journal was damaged; never an exception, and never a journal left to be retried for ever."""
    ws, good = journal_home
    data = bytearray(good)
    for where, value, how in edits:
        at = where % len(data)
        if how == "s":
            data[at] = value
        elif how == "d":
            del data[at]
        else:
            data.insert(at, value)
    (ws.home / JOURNAL_FILE).write_bytes(bytes(data))
    notices = complete_interrupted(ws.repo)
    assert [n.outcome for n in notices] in (["completed"], ["incomplete"], ["damaged"])
    assert not (ws.home / JOURNAL_FILE).exists()


@pytest.fixture(scope="module")
def journal_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, bytes]:
    """A home, and the journal of an import of Bob's document and of a project he created into it."""
    root = tmp_path_factory.mktemp("damaged-journal")
    bob = Workspace.create(root / "bob", "Bob")
    bob.add_item(offer("vélo"))
    pid = projects.create_project(bob, "atelier")
    docs = [
        [d, [[c.info.chunk, c.signature] for c in bob.repo.open(d).signed_changes()]]
        for d in (bob.peer_id, pid)
    ]
    return Workspace.create(root / "alice", "Alice"), journal_bytes(docs)
