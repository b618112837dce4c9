"""A trial whose weights become NaN: the study records it as stopped and goes on.

Its last epoch has no weight histograms (NaN has no equal-width buckets); writing them used to
raise in the driver and end the whole study with a traceback."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import optbench
from optbench.store import Store


def test_a_nan_trial_is_stopped_and_the_study_finishes(tmp_path: Path) -> None:
    study = {
        "name": "nan",
        "dataset": "digits",
        "optimizers": ["sgd:lr=1e30", "adam"],
        "epochs": 2,
        "batch_size": 32,
        "workers": 1,
    }
    outcome = optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path)
    assert (outcome.total, outcome.finished) == (2, 1)  # a stopped trial is not finished
    store = Store(tmp_path / "s" / "study.sqlite")
    try:
        status = {t["optimizer"][:4]: (t["status"], t["error"]) for t in store.trials()}
    finally:
        store.close()
    assert status["sgd("] == ("stopped", "train.nan_loss")
    assert status["adam"][0] == "finished"
    runs = {p.name[:4]: p for p in (tmp_path / "s" / "tb").iterdir()}
    accumulator = EventAccumulator(str(runs["sgd_"]), size_guidance={"histograms": 0})
    accumulator.Reload()
    assert accumulator.Tags()["scalars"]  # its epoch is there, without NaN histograms
    assert (tmp_path / "s" / "report.md").is_file()
