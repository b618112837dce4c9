"""A pool worker killed mid-study: its trials are recorded as failed, the rest finish.

With as many groups as workers the driver trains the largest group itself and one pool
worker trains the other; this kills that worker (SIGKILL, as the OOM killer would) while the
driver's own trials train.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

from quiet_progress import QuietProgress

import optbench
from optbench.store import Store


class KillTheWorker(QuietProgress):
    """Progress listener: SIGKILLs the pool worker at the first epoch that lands."""

    def __init__(self) -> None:
        self.killed: int | None = None

    def epoch_done(self, spec, record) -> None:
        if self.killed is None:
            children = [p for p in multiprocessing.active_children() if p.pid]
            if children:
                self.killed = children[0].pid
                os.kill(self.killed, signal.SIGKILL)


def test_a_killed_worker_fails_its_trials_and_the_study_goes_on(tmp_path):
    study = {
        "name": "lost",
        "dataset": "digits",
        "optimizers": ["adam", "sgd:lr=0.05", "rmsprop"],
        "epochs": 3,
        "batch_size": 16,
        "seeds": [0, 1],
        "workers": 2,
    }
    killer = KillTheWorker()
    outcome = optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path, progress=killer)
    assert killer.killed is not None
    assert (outcome.finished, outcome.failed) == (3, 3)  # one group of three each
    store = Store(tmp_path / "s" / "study.sqlite")
    try:
        trials = {t["id"]: t for t in store.trials()}
        failed = [t for t in trials.values() if t["status"] == "failed"]
        finished = [t for t in trials.values() if t["status"] == "finished"]
        assert {t["seed"] for t in failed} != {t["seed"] for t in finished}  # whole groups
        assert all("BrokenProcessPool" in t["error"] for t in failed)
        assert all(len(store.epochs(t["id"])) == 3 for t in finished)
    finally:
        store.close()
    assert (tmp_path / "s" / "report.md").is_file()
