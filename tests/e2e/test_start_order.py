"""What a study does before its pool's workers start delays every worker: matplotlib's import
(~0.4 s, for the report) waits until they are forked and training. A study that forks no
worker imports it beside the data instead, where it costs no time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN_AND_REPORT = """
import json, sys
from pathlib import Path
import optbench
import optbench.executors.pool as pool

folder, seen, workers = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
seen.write_text("null")
initialise = pool._init_worker

def watched(*args):  # runs first thing in each forked worker
    seen.write_text(json.dumps("matplotlib.pyplot" in sys.modules))
    initialise(*args)

class Probe:  # told about the study after its data is read, before any trial starts
    def study_started(self, total, skipped, epochs):
        self.at_start = "matplotlib.pyplot" in sys.modules
    def trial_started(self, spec): pass
    def epoch_done(self, spec, record): pass
    def trial_done(self, spec, result): pass
    def finding(self, finding): pass
    def note(self, text): pass

pool._init_worker = watched
probe = Probe()
study = {"name": "order", "dataset": "digits", "optimizers": ["adam", "sgd", "rmsprop"],
         "epochs": 2, "workers": workers}
outcome = optbench.run_study(study, folder / "s", cache_dir=folder, progress=probe)
print(json.dumps({
    "finished": outcome.finished,
    "in_worker": json.loads(seen.read_text()),
    "before_trials": probe.at_start,
    "in_driver": "matplotlib.pyplot" in sys.modules,
}))
"""


def _run(tmp_path: Path, workers: int) -> dict[str, object]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_AND_REPORT,
            str(tmp_path),
            str(tmp_path / "seen.json"),
            str(workers),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["finished"] == 3
    assert state["in_driver"] is True  # imported for the report either way
    assert (tmp_path / "s" / "figures" / "curves-all.png").is_file()
    return state


def test_workers_are_forked_before_matplotlib_is_imported(tmp_path: Path) -> None:
    state = _run(tmp_path, workers=2)
    assert state["in_worker"] is False  # the worker started without waiting for it
    assert state["before_trials"] is False


def test_without_forked_workers_it_is_imported_beside_the_data(tmp_path: Path) -> None:
    state = _run(tmp_path, workers=1)
    assert state["in_worker"] is None  # no pool
    assert state["before_trials"] is True
