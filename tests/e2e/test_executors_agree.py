"""The process pool gives exactly the metrics of the in-process executor (CPU, one thread)."""

import optbench
from optbench.store import Store

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


def _epochs(folder):
    store = Store(folder / "study.sqlite")
    try:
        return {(r["trial_id"], r["epoch"]): tuple(r[m] for m in METRICS) for r in store.epochs()}
    finally:
        store.close()


def test_pool_equals_local(tmp_path):
    raw = {
        "name": "agree",
        "dataset": "digits",
        "optimizers": ["adam", "sgd:lr=0.05", "lars"],
        "epochs": 2,
        "batch_size": 32,
        "seeds": [0, 1],
    }
    local = optbench.run_study({**raw, "workers": 1}, tmp_path / "local", cache_dir=tmp_path)
    pool = optbench.run_study({**raw, "workers": 2}, tmp_path / "pool", cache_dir=tmp_path)
    assert local.finished == pool.finished == 6
    a, b = _epochs(tmp_path / "local"), _epochs(tmp_path / "pool")
    assert len(a) == 12 and a == b
