"""The pool balances by handing replicas to a worker that went idle, and the study's results
are those of a run where nothing moved: every metric of every epoch, findings, final weights.

Two seeds give two replica groups of two: the driver trains one, a pool worker the other.
A progress listener slows the driver's epochs down, so the worker is sure to finish first and
take a replica over.
"""

from __future__ import annotations

import time
from typing import ClassVar

from quiet_progress import QuietProgress

import optbench
from optbench.engine import Handoff
from optbench.executors import pool
from optbench.store import Store

STUDY = {
    "name": "handoff",
    "dataset": "digits",
    "optimizers": ["adam", "sgd:lr=1e-6"],  # the second stalls: it raises findings
    "epochs": 16,
    "batch_size": 32,
    "seeds": [0, 1],
}


class SlowDriver(QuietProgress):
    """Progress listener: until a replica has moved, each epoch of the driver's own group
    (seed 0: the first of two equal groups) costs it `pause` seconds more."""

    def __init__(self, pause: float) -> None:
        self.pause = pause

    def epoch_done(self, spec, record) -> None:
        if spec.seed == 0 and not CountingHandoff.given:
            time.sleep(self.pause)


class CountingHandoff(Handoff):
    given: ClassVar[list[int]] = []  # takes that gave replicas away, across instances

    def take(self, live: int) -> int:
        n = super().take(live)
        if n:
            CountingHandoff.given.append(n)
        return n


def _outcome(folder):
    store = Store(folder / "study.sqlite")
    try:
        trials = {t["id"]: (t["status"], t["final_fingerprint"]) for t in store.trials()}
        epochs = [{k: v for k, v in e.items() if k != "seconds"} for e in store.epochs()]
        findings = sorted((f["trial_id"], f["epoch"], f["code"]) for f in store.findings())
    finally:
        store.close()
    return trials, epochs, findings


def test_an_idle_worker_takes_a_replica_and_nothing_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(pool, "Handoff", CountingHandoff)
    CountingHandoff.given = []
    balanced = optbench.run_study(
        {**STUDY, "workers": 2}, tmp_path / "two", cache_dir=tmp_path, progress=SlowDriver(0.2)
    )
    assert CountingHandoff.given == [1]  # the driver's group kept one replica and gave one
    alone = optbench.run_study({**STUDY, "workers": 1}, tmp_path / "one", cache_dir=tmp_path)
    assert (balanced.finished, balanced.failed) == (alone.finished, alone.failed) == (4, 0)
    moved, still = _outcome(tmp_path / "two"), _outcome(tmp_path / "one")
    assert moved == still
    assert moved[2], "the stalled trials raise findings, so their monitors' moves are tested"
