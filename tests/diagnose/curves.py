"""Feed made-up epoch curves through the real monitors (no training): the rules in isolation.

`feed(train_loss, train_acc, val_loss, val_acc)` builds one trial's monitors, runs their
start-of-trial and end-of-epoch rules over the given curves, and returns every finding.
Regression and language-model trials: `task=`, the probe batch's targets (`probe_y`, from
which the chance levels are measured) and each epoch's other metrics (`metrics`, e.g.
`{"train/r2": 0.5, "val/r2": 0.4}`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from optbench.core.specs import (
    DatasetSpec,
    EpochRecord,
    Finding,
    ModelSpec,
    OptimizerSpec,
    TrialSpec,
)
from optbench.diagnose import build_monitors
from optbench.engine import Callback, TrialContext

LN10 = math.log(10)


def context(
    classes: int = 10,
    loss: str = "cross_entropy",
    task: str = "classification",
    probe_y: torch.Tensor | None = None,
) -> TrialContext:
    """A trial context with a tiny model: the epoch rules only read the records."""
    spec = TrialSpec(
        DatasetSpec("digits"), ModelSpec(hidden=(4,)), OptimizerSpec("sgd"), 0, 99, 32,
        loss=loss, task=task,
    )  # fmt: skip
    model = nn.Linear(2, max(classes, 1))
    y = torch.zeros(32, dtype=torch.long) if probe_y is None else probe_y
    probe = (torch.zeros(len(y), 2), y)
    return TrialContext(spec, model, torch.optim.SGD(model.parameters()), classes, probe)


def feed(
    train_loss: Sequence[float],
    train_acc: Sequence[float],
    val_loss: Sequence[float],
    val_acc: Sequence[float],
    *,
    first: float = LN10,
    classes: int = 10,
    loss: str = "cross_entropy",
    monitors: list[Callback] | None = None,
    task: str = "classification",
    probe_y: torch.Tensor | None = None,
    metrics: Sequence[dict[str, float]] | None = None,
) -> list[Finding]:
    """Every finding the monitors raise over these curves (one value per epoch)."""
    ctx = context(classes, loss, task, probe_y)
    monitors = build_monitors(()) if monitors is None else monitors
    findings = [f for cb in monitors for f in cb.on_trial_start(ctx, first)]
    ctx.findings += findings
    rows = zip(train_loss, train_acc, val_loss, val_acc, strict=True)
    for epoch, (tl, ta, vl, va) in enumerate(rows, start=1):
        extra = dict(metrics[epoch - 1]) if metrics is not None else {}
        record = EpochRecord(ctx.spec.id, epoch, tl, ta, vl, va, 1.0, 0.01, 1.0, metrics=extra)
        for cb in monitors:
            found = cb.on_epoch_end(ctx, record)
            ctx.findings += found
            findings += found
    return findings


def codes(findings: Sequence[Finding]) -> list[str]:
    return [f.code for f in findings]
