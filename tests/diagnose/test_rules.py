"""The epoch-level rules on synthetic trajectories: quiet on healthy curves, loud on broken ones.

Drives the monitors' on_epoch_end directly with made-up EpochRecords, so hypothesis can try
many curves in milliseconds.
"""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from optbench.core.specs import (
    DatasetSpec,
    EpochRecord,
    Finding,
    ModelSpec,
    OptimizerSpec,
    TrialSpec,
)
from optbench.diagnose import CODES, build_monitors
from optbench.engine import TrialContext

LN10 = math.log(10)


def _run(
    train: list[float],
    val: list[float] | None = None,
    acc: list[float] | None = None,
    first: float = LN10,
    stop_on: tuple[str, ...] = (),
) -> tuple[list[Finding], TrialContext]:
    spec = TrialSpec(DatasetSpec("digits"), ModelSpec(hidden=(4,)), OptimizerSpec("sgd"), 0, 99, 32)
    model = nn.Linear(2, 10)
    ctx = TrialContext(
        spec, model, torch.optim.SGD(model.parameters()), 10, (torch.zeros(32, 2), torch.zeros(32))
    )
    monitors = build_monitors(stop_on)
    findings = [f for cb in monitors for f in cb.on_trial_start(ctx, first)]
    val = val or train
    acc = acc or [0.9] * len(train)
    for epoch, (t, v, a) in enumerate(zip(train, val, acc, strict=True), start=1):
        record = EpochRecord(spec.id, epoch, t, a, v, a, 1.0, 0.01, 1.0)
        findings += [f for cb in monitors for f in cb.on_epoch_end(ctx, record)]
    return findings, ctx


def _falling(start: float, drops: list[float]) -> list[float]:
    losses = [start]
    for drop in drops:
        losses.append(losses[-1] * (1 - drop))
    return losses


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.3, 2.2),
    st.lists(st.floats(0.02, 0.6), min_size=1, max_size=15),
    st.lists(st.floats(0.0, 0.5), min_size=16, max_size=16),
)
def test_a_steadily_falling_loss_raises_nothing(start, drops, val_drops) -> None:
    train = _falling(start, drops)
    val = _falling(start * 1.1, val_drops[: len(train) - 1])
    acc = [min(0.99, 0.5 + 0.03 * i) for i in range(len(train))]
    findings, ctx = _run(train, val, acc)
    assert findings == [] and ctx.stop_reason is None


@settings(max_examples=100, deadline=None)
@given(st.floats(1.2, 5.0), st.integers(2, 6))
def test_a_constant_high_loss_is_frozen_at_epoch_2(loss, epochs) -> None:
    findings, _ = _run([loss] * epochs, acc=[0.1] * epochs)
    frozen = [f for f in findings if f.code == "train.loss_frozen"]
    assert len(frozen) == 1 and frozen[0].epoch == 2


@settings(max_examples=100, deadline=None)
@given(st.floats(0.005, 0.3), st.integers(4, 10))
def test_a_converged_low_loss_is_not_frozen_or_stuck(loss, epochs) -> None:
    findings, _ = _run([loss] * epochs, acc=[0.99] * epochs)
    assert findings == []


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.floats(0.06, 0.5))
def test_overfitting_names_the_best_epoch(best, rise) -> None:
    val = _falling(1.5, [0.1] * (best - 1))
    val += [val[-1] * (1 + rise / 3) ** k for k in range(1, 4)]
    train = _falling(1.6, [0.1] * (len(val) - 1))
    findings, _ = _run(train, val)
    (finding,) = [f for f in findings if f.code == "val.overfitting"]
    assert finding.epoch == best + 3 and f"Best epoch: {best} " in finding.message


def test_rising_validation_loss_below_5_percent_is_noise() -> None:
    val = [1.0, 0.9, 0.91, 0.92, 0.93]  # three rises, 3.3% above the best
    findings, _ = _run(_falling(1.2, [0.1] * 4), val)
    assert findings == []


def test_findings_follow_the_catalogue_and_the_stop_policy() -> None:
    findings, ctx = _run([3.0, 3.0], acc=[0.5, 0.5], first=0.5, stop_on=("loss_frozen",))
    assert [f.code for f in findings] == ["init.loss_too_low", "train.loss_frozen"]
    for f in findings:
        assert (f.severity, f.fix) == (CODES.get(f.code).severity, CODES.get(f.code).fix)
    assert findings[0].epoch == 0 and ctx.stop_reason == "train.loss_frozen"


def test_an_oscillating_loss_is_reported_with_its_trail() -> None:
    findings, _ = _run([1.0, 0.8, 0.95, 0.7, 0.9], acc=[0.7] * 5)
    (osc,) = [f for f in findings if f.code == "train.oscillating"]
    assert osc.epoch == 5 and "0.95" in osc.message


def test_an_epoch_mean_twice_the_start_has_diverged() -> None:
    findings, _ = _run([5.0, 2.0], acc=[0.1, 0.5])
    assert [f.code for f in findings if f.code == "train.diverged"] == ["train.diverged"]
