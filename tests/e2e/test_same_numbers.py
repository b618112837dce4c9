"""Same study, same numbers: a trial's digest (its per-epoch metrics and final weights) is
the same whatever the schedule — alone or grouped, one process or a pool that hands replicas
over between epochs, another process keeping a core busy — on the seed's shape and real data
(784-128-10, Fashion-MNIST rows, keras-profile Adam, Adagrad and RMSprop)."""

import sqlite3
import subprocess
import sys

import pytest

import optbench

pytestmark = pytest.mark.slow

OPTIMIZERS = ["adam", "adagrad", "rmsprop"]


def _raw(fashion_spec, optimizers=OPTIMIZERS, **extra):
    dataset = {
        "name": "fashion-mnist",
        "train_size": fashion_spec.train_size,
        "test_size": fashion_spec.test_size,
    }
    return {
        "name": "same",
        "dataset": dataset,
        "optimizers": optimizers,
        "profile": "keras",
        "epochs": 2,
        "batch_size": 64,
        **extra,
    }


def _digests(folder) -> dict[str, tuple[str, str]]:
    db = sqlite3.connect(folder / "study.sqlite")
    rows = db.execute("SELECT label, digest, env FROM trials").fetchall()
    assert all(digest for _, digest, _ in rows)
    return {label: digest for label, digest, _ in rows}


def _run(tmp_path, name, raw):
    outcome = optbench.run_study(raw, tmp_path / name, cache_dir=tmp_path / "cache")
    assert outcome.failed == 0
    return _digests(tmp_path / name)


def test_schedules_do_not_change_any_digest(fashion_spec, tmp_path):
    runs = {
        "one process, one group": _run(tmp_path, "w1", _raw(fashion_spec, workers=1)),
        "pool of 2, hand-offs": _run(tmp_path, "w2", _raw(fashion_spec, workers=2)),
        "pool of 3": _run(tmp_path, "w3", _raw(fashion_spec, workers=3)),
        "no groups": _run(tmp_path, "ns", _raw(fashion_spec, stack=False)),
        "again": _run(tmp_path, "again", _raw(fashion_spec)),
    }
    alone = {}
    for name in OPTIMIZERS:  # each trial as a study of its own
        alone |= _run(tmp_path, f"alone-{name}", _raw(fashion_spec, [name]))
    runs["each alone"] = alone
    first = next(iter(runs.values()))
    assert len(first) == 3
    for schedule, digests in runs.items():
        assert digests == first, schedule


def test_a_busy_core_changes_no_digest(fashion_spec, tmp_path):
    quiet = _run(tmp_path, "quiet", _raw(fashion_spec))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = _run(tmp_path, "busy", _raw(fashion_spec))
    finally:
        busy.kill()
        busy.wait()
    assert loaded == quiet
