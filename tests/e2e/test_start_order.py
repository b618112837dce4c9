"""What a study does before its pool's workers start delays every worker: matplotlib's import
(~0.4 s, for the report) waits until they are forked and training."""

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

folder, seen = Path(sys.argv[1]), Path(sys.argv[2])
initialise = pool._init_worker

def watched(*args):  # runs first thing in each forked worker
    seen.write_text(json.dumps("matplotlib.pyplot" in sys.modules))
    initialise(*args)

pool._init_worker = watched
study = {"name": "order", "dataset": "digits", "optimizers": ["adam", "sgd", "rmsprop"],
         "epochs": 2, "workers": 2}
outcome = optbench.run_study(study, folder / "s", cache_dir=folder)
print(json.dumps({
    "finished": outcome.finished,
    "in_worker": json.loads(seen.read_text()),
    "in_driver": "matplotlib.pyplot" in sys.modules,
}))
"""


def test_workers_are_forked_before_matplotlib_is_imported(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT, str(tmp_path), str(tmp_path / "seen.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["finished"] == 3
    assert state["in_worker"] is False  # the worker started without waiting for it
    assert state["in_driver"] is True  # and the driver imported it for the report
    assert (tmp_path / "s" / "figures" / "curves-all.png").is_file()
