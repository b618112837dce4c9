"""optbench changes process-wide state to run fast, and puts it back: the cyclic garbage
collector is kept off its start-up and study but left running (or not) and with the caller's
frozen objects as it found it; a study's trials set torch's and numpy's threads to their share,
and the caller's settings come back when the study ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

IMPORT_AND_REPORT = """
import gc, json, sys
full = []
def count_full(phase, info):
    if phase == "stop" and info["generation"] == 2:
        full.append(1)
gc.callbacks.append(count_full)
if sys.argv[1] == "off":
    gc.disable()
if sys.argv[2] == "frozen":
    keep = [[i] for i in range(1000)]
    gc.freeze()
before = gc.get_freeze_count()
import optbench
optbench.run_study  # the API's first use imports torch and the rest (optbench/__init__.py)
assert "torch" in sys.modules
print(json.dumps({
    "enabled": gc.isenabled(),
    "frozen_before": before,
    "frozen_after": gc.get_freeze_count(),
    "full_collections": len(full),
    "young": len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1)),
}))
"""


def _import(collector: str, frozen: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_REPORT, collector, frozen],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_importing_optbench_runs_no_full_collection() -> None:
    # Otherwise importing torch and the rest (on the API's first use) runs about three full
    # collections over up to ~190,000 objects (~0.2 s), and then walks them again in the young
    # generations.
    state = _import("on", "none")
    assert state["enabled"] is True
    assert state["full_collections"] == 0
    assert state["young"] < 20_000  # the import's objects went straight to the oldest one
    assert state["frozen_before"] == state["frozen_after"] == 0


def test_importing_optbench_leaves_the_collector_as_it_was() -> None:
    assert _import("off", "none")["enabled"] is False
    state = _import("on", "frozen")
    assert state["enabled"] is True
    # The caller's frozen objects stay frozen (a few die during the import and leave), and
    # none of optbench's is added.
    assert state["frozen_before"] >= 1000
    assert 0.9 * state["frozen_before"] < state["frozen_after"] <= state["frozen_before"]


def test_a_study_leaves_nothing_frozen(tmp_path: Path) -> None:
    import gc

    import optbench

    assert gc.get_freeze_count() == 0
    study = {"name": "gc", "dataset": "digits", "optimizers": ["adam"], "epochs": 1}
    optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_a_study_leaves_the_thread_settings_as_they_were(tmp_path: Path) -> None:
    # The trial trains in this process on one thread (torch and numpy's BLAS); the caller's
    # settings come back afterwards.
    import torch
    from threadpoolctl import threadpool_info

    import optbench

    def blas() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    original = torch.get_num_threads()
    torch.set_num_threads(3)
    before = blas()
    try:
        study = {"name": "th", "dataset": "digits", "optimizers": ["adam"], "epochs": 1}
        outcome = optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path)
        assert outcome.finished == 1
        assert torch.get_num_threads() == 3
        assert blas() == before
    finally:
        torch.set_num_threads(original)
