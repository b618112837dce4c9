"""Fair by construction: same seed → same start and same batches, whatever the optimizer."""

import math

from optbench.core.specs import (
    EpochRecord,
    ModelSpec,
    OptimizerSpec,
    TrialResult,
    TrialSpec,
    TrialStarted,
)
from optbench.engine import TrainOptions, train_trial


def _trial(digits_spec, optimizer, seed=0, epochs=2):
    return TrialSpec(
        digits_spec, ModelSpec(hidden=(32,)), OptimizerSpec(optimizer), seed, epochs, 64
    )


def _run(spec, data):
    events = list(train_trial(spec, data, TrainOptions(histogram_freq=1)))
    started = events[0]
    records = [e for e in events if isinstance(e, EpochRecord)]
    assert isinstance(started, TrialStarted) and isinstance(events[-1], TrialResult)
    return started, records, events[-1]


def test_same_seed_identical_start_across_optimizers(digits_spec, digits):
    runs = [_run(_trial(digits_spec, name), digits) for name in ("adam", "sgd", "rmsprop")]
    prints = {started.init_fingerprint for started, _, _ in runs}
    losses = {started.first_batch_loss for started, _, _ in runs}
    assert len(prints) == 1 and len(losses) == 1
    finals = {result.final_fingerprint for _, _, result in runs}
    assert len(finals) == 3  # ...and the optimizers then really did different things


def test_different_seeds_start_differently(digits_spec, digits):
    a, _, _ = _run(_trial(digits_spec, "adam", seed=0, epochs=1), digits)
    b, _, _ = _run(_trial(digits_spec, "adam", seed=1, epochs=1), digits)
    assert a.init_fingerprint != b.init_fingerprint


def test_deterministic_on_cpu(digits_spec, digits):
    spec = _trial(digits_spec, "adam")
    _, first, r1 = _run(spec, digits)
    _, second, r2 = _run(spec, digits)
    assert r1.final_fingerprint == r2.final_fingerprint
    for a, b in zip(first, second, strict=True):
        assert (a.train_loss, a.train_acc, a.val_loss, a.val_acc) == (
            b.train_loss,
            b.train_acc,
            b.val_loss,
            b.val_acc,
        )


def test_epoch_records_are_complete(digits_spec, digits):
    _, records, result = _run(_trial(digits_spec, "adam", epochs=3), digits)
    assert [r.epoch for r in records] == [1, 2, 3]
    assert result.status == "finished"
    for r in records:
        assert 0 <= r.train_acc <= 1 and 0 <= r.val_acc <= 1
        assert r.train_loss > 0 and r.val_loss > 0 and r.seconds > 0
        assert math.isfinite(r.grad_norm) and r.grad_norm > 0
        assert r.lr == 0.001
        assert {"weights/net.1.weight", "grads/net.1.weight"} <= set(r.histograms)
    assert records[-1].val_acc > 0.5  # chance is 0.1: ~70 Adam steps already learn digits
    assert records[-1].train_loss < records[0].train_loss


def test_divergence_stops_the_trial_with_a_finding(digits_spec, digits):
    spec = TrialSpec(
        digits_spec, ModelSpec(hidden=(32,)), OptimizerSpec("sgd", {"lr": 1e38}), 0, 5, 64
    )
    _, records, result = _run(spec, digits)
    assert result.status == "stopped"
    assert len(records) < 5
    findings = [f for r in records for f in r.findings] + result.findings
    assert [f.code for f in findings] == ["train.nan_loss"]
    assert findings[0].epoch == records[-1].epoch  # streamed with the epoch it happened in
