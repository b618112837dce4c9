"""The process pool gives exactly the metrics of the in-process executor (CPU, one thread),
with workers forked from the driver (the default there) or spawned."""

from dataclasses import replace

import pytest

import optbench
from optbench.engine import TrainOptions
from optbench.executors import RunRequest, pool
from optbench.plan import expand, parse_study
from optbench.store import Store

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


def _epochs(folder):
    store = Store(folder / "study.sqlite")
    try:
        return {(r["trial_id"], r["epoch"]): tuple(r[m] for m in METRICS) for r in store.epochs()}
    finally:
        store.close()


RAW = {
    "name": "agree",
    "dataset": "digits",
    "optimizers": ["adam", "sgd:lr=0.05", "lars"],
    "epochs": 2,
    "batch_size": 32,
    "seeds": [0, 1],
}


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_equals_local(tmp_path, monkeypatch, method):
    monkeypatch.setattr(pool, "start_method", lambda request: method)
    local = optbench.run_study({**RAW, "workers": 1}, tmp_path / "local", cache_dir=tmp_path)
    pooled = optbench.run_study({**RAW, "workers": 2}, tmp_path / "pool", cache_dir=tmp_path)
    assert local.finished == pooled.finished == 6
    a, b = _epochs(tmp_path / "local"), _epochs(tmp_path / "pool")
    assert len(a) == 12 and a == b


def _request(tmp_path, threads: int, device: str = "cpu") -> RunRequest:
    trials = [replace(t, device=device) for t in expand(parse_study(RAW))]
    return RunRequest(trials, TrainOptions(threads=threads), tmp_path)


def test_workers_fork_only_where_that_is_safe(tmp_path):
    # A forked child may not enter an OpenMP parallel region nor use CUDA: one-thread CPU
    # trials fork (no re-import, the data shared), everything else spawns.
    assert pool.start_method(_request(tmp_path, threads=1)) == "fork"
    assert pool.start_method(_request(tmp_path, threads=2)) == "spawn"
    assert pool.start_method(_request(tmp_path, threads=1, device="cuda")) == "spawn"
