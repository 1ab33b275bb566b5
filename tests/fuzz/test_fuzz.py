"""The bounded fuzz suite: every target of tests/fuzz/targets.py with a fixed seed and a few thousand
inputs (a few seconds each), and every saved reproducer in corpus/ replayed.

A failure that is not a known one (known.py) fails the test, with its input saved for replay with
`python bench/fuzz.py --replay FILE`. Known failures belong to items of the issue being fixed elsewhere:
they are tolerated in the random runs, and their reproducers replay as expected failures until fixed.
`bench/fuzz.py --inputs N` runs the same targets for longer; the `slow` test below does ten times more.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz import engine, known, seeds, targets

CORPUS = Path(__file__).resolve().parent / "corpus"

# Inputs per target in `make test`: a few seconds each on a quiet machine.
BOUNDED = {
    "wire": 6_000,
    "frame": 600,
    "bundle": 1_000,
    "store": 800,
    "apply": 1_000,
    "localapi": 3_000,
    "web": 200,
    "identity": 3_000,
    "link": 300,
    "hello": 3_000,
}
SEED = 0


def fuzz_and_report(name: str, inputs: int, seed: int, saved_to: Path) -> None:
    target = targets.make(name)
    unknown: list[str] = []

    def on_failure(failure: engine.Failure, first: bool) -> None:
        if first and known.match(failure) is None:
            path = engine.save_failure(saved_to, failure)
            unknown.append(f"{failure.signature}: {failure.message[:300]} (input: {path})")

    stats = engine.fuzz(target, inputs=inputs, seed=seed, on_failure=on_failure)
    assert stats.inputs == inputs
    assert not unknown, "\n".join(unknown)


@pytest.mark.parametrize("name", list(BOUNDED))
def test_bounded_fuzz(name: str, tmp_path: Path) -> None:
    fuzz_and_report(name, BOUNDED[name], SEED, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BOUNDED))
def test_longer_fuzz(name: str, tmp_path: Path) -> None:
    fuzz_and_report(name, 10 * BOUNDED[name], SEED + 1, tmp_path)


def corpus_inputs() -> list[Any]:
    """Every saved reproducer; those that take long to replay (their .json says `"slow": true`) are slow."""
    params = []
    for path in sorted(CORPUS.glob("*/*.bin")):
        slow = json.loads(path.with_suffix(".json").read_text()).get("slow", False)
        params.append(
            pytest.param(path, id=f"{path.parent.name}/{path.stem}", marks=[pytest.mark.slow] * slow)
        )
    return params


_loaded: dict[tuple[str, str | None], engine.Target] = {}


def loaded(name: str, seeds_file: str | None = None) -> engine.Target:
    """Target `name` set up with the seeds a reproducer names (None: the current ones)."""
    if (name, seeds_file) not in _loaded:
        target = targets.make(name)
        with seeds.using(seeds_file):
            target.setup(engine.scratch_dir(f"{name}-{seeds_file or 'seeds'}"))
        _loaded[name, seeds_file] = target
    return _loaded[name, seeds_file]


@pytest.mark.parametrize("path", corpus_inputs())
def test_saved_input_replays_cleanly(path: Path) -> None:
    """Each reproducer in corpus/ passes, or fails exactly as the known item it documents."""
    meta = json.loads(path.with_suffix(".json").read_text())
    failure = engine.run_one(loaded(meta["target"], meta.get("seeds")), path.read_bytes())
    if failure is None:
        return
    finding = known.match(failure)
    if finding is not None and meta.get("known") == finding.item:
        pytest.xfail(f"{finding.item}: {finding.note}")
    pytest.fail(f"{failure.signature}: {failure.message}")


def test_every_target_is_in_the_bounded_suite() -> None:
    assert set(BOUNDED) == set(targets.all_names())


def test_the_hostile_hellos_of_the_corpus_are_refused() -> None:
    """corpus/hello: a certificate of another key, a bad signature, oversized, truncated, not bytes, a revoked
    device (made by `python -m tests.fuzz.seeds --hellos`): each refused with its reason, nothing else."""
    from reliance.net.errors import HandshakeFailed

    target = loaded("hello")
    saved = sorted((CORPUS / "hello").glob("*.bin"))
    assert len(saved) >= 7
    for path in saved:
        with pytest.raises(HandshakeFailed, match=r"certificate|revoked"):
            target.read(path.read_bytes())  # type: ignore[attr-defined]
