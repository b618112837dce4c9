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
