"""Overfitting: the model fits its training set far better than it generalises.

Two rules, either one raises `val.overfitting`; both name the best epoch (lowest validation
loss), the one to keep:

- rising validation loss: Prechelt's UP_k stopping criterion ("Early Stopping — But When?",
  1998): the validation loss rose in k successive epochs (k = 3), ending 5% above its best,
  while the training loss fell;
- the generalization gap, judged with the task's metric (accuracy for classification, R² for
  regression, the per-token loss for a language model): for GAP_EPOCHS epochs the training
  metric led the validation metric by the task's gap threshold (10 accuracy points, 0.2 of
  R², 0.5 nats) or more, while the training loss still reached new lows and the validation
  loss stopped improving. A model at 100% train against 73% validation accuracy
  whose validation loss only wobbles around its best is caught here, not by UP_k.
"""

from __future__ import annotations

import itertools
import math

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import pct, sig, trail
from optbench.diagnose.task import Task
from optbench.engine import TrialContext

OVERFIT_EPOCHS = 3  # Prechelt's k: successive epochs of rising validation loss
# ... ending at least 5% above the best validation loss, so a flat noisy plateau is not
# mistaken for a rise.
OVERFIT_MIN_RISE = 0.05
# The gap must hold this many epochs in a row (a trend, not one noisy epoch) ...
GAP_EPOCHS = 3
# ... during which the validation loss did not beat its earlier best by 1% (it stopped
# improving) while the training loss did beat its own by 1% (the model still fits the
# training set ever better). Healthy runs of tests/diagnose improve their validation loss by
# more than 1% every few epochs until their training accuracy nears 100%.
IMPROVE_REL = 0.01


class OverfittingMonitor(Monitor):
    """val.overfitting, from a rising validation loss or a wide generalization gap."""

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        records = self.history.records
        task = self.history.task
        message = _rising(records) or _gap(records, task)
        if message is None:
            return []
        best = min(records, key=lambda r: r.val_loss)
        metric = (
            f", {_name(task)} {_metric(best, task, 'val')}"
            if task is not None and task.metric != "loss"
            else ""
        )
        best_text = f" Best epoch: {best.epoch} (validation loss {sig(best.val_loss, 4)}{metric})."
        return self.finding(ctx, "val.overfitting", message + best_text, record.epoch)


def _rising(records: list[EpochRecord]) -> str | None:
    """UP_k: validation loss up k epochs in a row, ≥ 5% above its best, training loss down."""
    window = records[-OVERFIT_EPOCHS - 1 :]
    if len(window) <= OVERFIT_EPOCHS or not _finite(window, None):
        return None
    pairs = list(itertools.pairwise(window))
    rising = all(b.val_loss > a.val_loss for a, b in pairs)
    falling = all(b.train_loss < a.train_loss for a, b in pairs)
    best = min(r.val_loss for r in records)
    if not (rising and falling) or window[-1].val_loss < (1 + OVERFIT_MIN_RISE) * best:
        return None
    return (
        f"Validation loss rose for {OVERFIT_EPOCHS} epochs "
        f"({trail(r.val_loss for r in window)}) while training loss fell "
        f"({trail(r.train_loss for r in window)})."
    )


def _gap(records: list[EpochRecord], task: Task | None) -> str | None:
    """The training metric ahead of the validation metric by the task's gap threshold for
    GAP_EPOCHS epochs, training loss still improving, validation loss no longer improving."""
    if task is None or len(records) <= GAP_EPOCHS:
        return None
    recent, earlier = records[-GAP_EPOCHS:], records[:-GAP_EPOCHS]
    if not _finite(records, task):
        return None
    gaps = [_gap_of(r, task) for r in recent]
    if min(gaps) < task.gap_threshold:
        return None
    if not _improved(recent, earlier, "train_loss") or _improved(recent, earlier, "val_loss"):
        return None
    last = recent[-1]
    best_val = min(earlier, key=lambda r: r.val_loss)
    low, before = min(r.train_loss for r in recent), min(r.train_loss for r in earlier)
    return (
        f"Training {_name(task)} {_metric(last, task, 'train')} against validation "
        f"{_metric(last, task, 'val')} (a gap of {_gap_text(gaps, task)} for the last "
        f"{GAP_EPOCHS} epochs) while the training loss reached a new low ({sig(low, 4)}, from "
        f"{sig(before, 4)}) and the validation loss has not improved since epoch "
        f"{best_val.epoch} ({sig(best_val.val_loss, 4)}; since: "
        f"{trail(r.val_loss for r in recent)}): the model memorises the training set."
    )


def _improved(recent: list[EpochRecord], earlier: list[EpochRecord], field: str) -> bool:
    """The best of `recent` beats the best of `earlier` by IMPROVE_REL."""
    before = min(getattr(r, field) for r in earlier)
    return min(getattr(r, field) for r in recent) < (1 - IMPROVE_REL) * before


def _gap_of(record: EpochRecord, task: Task) -> float:
    train, val = task.metric_of(record, "train"), task.metric_of(record, "val")
    return task.gap(train=train, val=val)


def _gap_text(gaps: list[float], task: Task) -> str:
    low, high = min(gaps), max(gaps)
    if task.metric == "accuracy":
        return f"{sig(100 * low)}–{sig(100 * high)} points"
    if task.metric == "r2":
        return f"{sig(low)}–{sig(high)} of R²"
    ratios = f"{sig(math.exp(low))}–{sig(math.exp(high))}"
    return f"{sig(low)}–{sig(high)} nats per token (validation perplexity ×{ratios})"


def _name(task: Task | None) -> str:
    return {"accuracy": "accuracy", "r2": "R²", "loss": "loss"}[task.metric] if task else "loss"


def _metric(record: EpochRecord, task: Task, split: str) -> str:
    value = task.metric_of(record, split)
    return (
        pct(value) if task.metric == "accuracy" else sig(value, 4 if task.metric == "loss" else 3)
    )


def _finite(records: list[EpochRecord], task: Task | None) -> bool:
    """Losses (and the task's metric on both splits) finite in every epoch."""
    return all(
        math.isfinite(v)
        for r in records
        for v in (
            r.train_loss,
            r.val_loss,
            *((task.metric_of(r, "train"), task.metric_of(r, "val")) if task else ()),
        )
    )
