"""A trial resumed from a checkpoint ends exactly where an uninterrupted run ends."""

import pytest

from optbench.core.specs import EpochRecord, ModelSpec, OptimizerSpec, TrialResult, TrialSpec
from optbench.engine import TrainOptions, train_trial
from optbench.optim import OPTIMIZERS

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


def _records(events):
    return [e for e in events if isinstance(e, EpochRecord)]


@pytest.mark.parametrize("profile", ["torch", "keras"])
@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_resume_equals_uninterrupted(digits_spec, digits, name, profile):
    spec = TrialSpec(
        digits_spec,
        ModelSpec(hidden=(16,)),
        OptimizerSpec(name, {}, profile),
        seed=3,
        epochs=3,
        batch_size=128,
    )
    options = TrainOptions(histogram_freq=0)
    whole = list(train_trial(spec, digits, options))
    first = _records(whole)[0]
    assert first.checkpoint is not None
    resumed = list(train_trial(spec, digits, options, resume=first.checkpoint))
    assert resumed[0].resumed_from == 1
    expected = [tuple(getattr(r, m) for m in METRICS) for r in _records(whole)[1:]]
    got = [tuple(getattr(r, m) for m in METRICS) for r in _records(resumed)]
    assert [r.epoch for r in _records(resumed)] == [2, 3]
    assert got == expected
    final_whole, final_resumed = whole[-1], resumed[-1]
    assert isinstance(final_resumed, TrialResult)
    assert final_resumed.final_fingerprint == final_whole.final_fingerprint


def test_damaged_checkpoint_is_a_clear_error(digits_spec, digits):
    from optbench.core.errors import StoreError

    spec = TrialSpec(digits_spec, ModelSpec(hidden=(16,)), OptimizerSpec("adam"), 0, 2, 128)
    with pytest.raises(StoreError, match="damaged or not an optbench checkpoint"):
        list(train_trial(spec, digits, resume=b"not a checkpoint"))


def test_damaged_checkpoint_file_restarts_its_trial(tmp_path):
    import optbench

    raw = {
        "name": "d",
        "dataset": "digits",
        "optimizers": ["adam"],
        "epochs": 2,
        "batch_size": 128,
        "workers": 1,
    }
    out = tmp_path / "s"
    first = optbench.run_study(raw, out, cache_dir=tmp_path)
    (checkpoint,) = (out / "checkpoints").glob("*.pt")
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])  # as after a power loss
    # Pretend the trial was interrupted after epoch 1: status back to running.
    import sqlite3

    with sqlite3.connect(out / "study.sqlite") as db:
        db.execute("UPDATE trials SET status = 'running'")
        db.execute("DELETE FROM epochs WHERE epoch = 2")
    again = optbench.run_study(raw, out, cache_dir=tmp_path)
    assert again.finished == 1 and first.finished == 1
    assert checkpoint.with_suffix(".damaged").exists()
    rows = sqlite3.connect(out / "study.sqlite").execute("SELECT epoch FROM epochs").fetchall()
    assert sorted(rows) == [(1,), (2,)]
