import sqlite3

import pytest

from optbench.core.errors import StoreError
from optbench.core.specs import (
    DatasetSpec,
    EpochRecord,
    Finding,
    ModelSpec,
    OptimizerSpec,
    TrialResult,
    TrialSpec,
    TrialStarted,
)
from optbench.store import Store


def _spec(seed=0):
    return TrialSpec(DatasetSpec("digits"), ModelSpec(), OptimizerSpec("adam"), seed, 3, 64)


def _record(trial_id, epoch):
    return EpochRecord(trial_id, epoch, 1.0 / epoch, 0.5, 1.1, 0.4, 0.1, 1e-3, 2.0)


def test_one_row_per_epoch_and_restart_clears(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    spec = _spec()
    store.add_trial(spec, 0)
    store.add_trial(spec, 0)  # idempotent
    store.start_trial(TrialStarted(spec.id, "abc", 2.3, {"threads": 1}))
    for epoch in (1, 2):
        store.add_epoch(_record(spec.id, epoch))
    with pytest.raises(sqlite3.IntegrityError):
        store.add_epoch(_record(spec.id, 2))  # never two rows for one epoch
    store.start_trial(TrialStarted(spec.id, "abc", 2.3, {"threads": 1}))  # a restart
    assert store.epochs(spec.id) == []
    store.add_epoch(_record(spec.id, 1))
    store.add_finding(Finding("x.y", "warning", "m", "f", spec.id, 1))
    store.finish_trial(TrialResult(spec.id, "finished", "def"))
    (trial,) = store.trials()
    assert trial["status"] == "finished" and trial["init_fingerprint"] == "abc"
    assert trial["env"] == {"threads": 1} and trial["spec"]["seed"] == 0
    assert store.finished_ids() == {spec.id}
    assert [f["code"] for f in store.findings()] == ["x.y"]
    store.close()


def test_wal_mode_and_reopen(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    spec = _spec()
    store.add_trial(spec, 0)
    store.close()
    again = Store(path)
    assert [t["id"] for t in again.trials()] == [spec.id]
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_not_a_store(tmp_path):
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable optbench store"):
        Store(path)
