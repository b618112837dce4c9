"""The task a trial learns, as the monitors judge it: chance levels and the metric that counts.

"At chance", "worse than chance" and "the generalization gap" mean different things on
different tasks, so no monitor hard-codes one. A Task holds, for its trial:

  task             metric (better)      chance loss: a model that ignores    initial loss: an
                                        its inputs                           untrained model
  classification   accuracy (higher)    ln C (balanced classes)              ln C
  binary           accuracy (higher)    ln 2                                 ln 2
  regression       R² (higher)          the best constant prediction's loss  the loss of output 0
  language_model   per-token loss       the unigram entropy of the targets   ln V
                   (lower)

Why these bars:
- Regression: a model that learned nothing about its inputs predicts one value for every
  example; the best such value is the targets' mean for MSE (its loss is the targets'
  variance), their median for MAE (the mean absolute deviation from the median); for Huber
  and your own losses the better of mean and median. R² = 1 - SSE/SST compares with the mean
  exactly, so "no better than the mean" is R² ≤ 0, on any loss. An untrained network outputs
  values near 0, so its loss is near the loss of output 0 (variance + mean² for MSE), which
  is far above the chance loss when the targets are not centred: that is the targets' scale,
  not a broken model, and the initial-loss check compares with it.
- Language modelling: an untrained model spreads its probability evenly, ln V per token, but
  any model that learns anything at all learns the token frequencies first (within an epoch
  on the suite's text: 4.45 → 2.97 nats, the unigram entropy of the Python sources, which is
  0.66 ln V). A model that never gets below that has learned nothing about context — the
  fairer bar for "at chance". ln V stays the bar for the untrained start (the initial-loss
  check) and for "worse than chance" (worse than a uniform guess: the loss went up).

The data-dependent numbers (regression's constant and zero-output losses, the unigram
entropy) come from the trial's probe batch (`chance_from_batch`): the same batch the first
loss is measured on, so the initial-loss check compares like with like.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import torch

from optbench.core.specs import EpochRecord
from optbench.models import LOSSES

TaskKind = Literal["classification", "binary", "regression", "language_model"]
MetricName = Literal["accuracy", "r2", "loss"]
Epoch = EpochRecord | Mapping[str, float]

# "At chance": accuracy at most 1/C + max(0.05, 0.5/C). The 0.05 covers sampling noise (three
# binomial standard deviations of a 10%-accurate guess on 360 validation examples is 0.047);
# 0.5/C covers a mildly imbalanced majority class (on 2 classes: up to 75%).
CHANCE_ABS_MARGIN = 0.05
CHANCE_REL_MARGIN = 0.5
# Regression at chance: R² at most 0.05, on the training and the validation split. A 64-unit
# MLP on shuffled diabetes targets stays within -0.19..0.04 on both for 10 epochs under SGD
# (lr 0.01) and within -0.1..0.05 for 12 under Adam (a 256×256 net memorises its way to a
# training R² of 0.28 by epoch 12, which the data check names); the healthy setups of
# tests/diagnose are at 0.12 or more on validation from epoch 1.
R2_CHANCE_MARGIN = 0.05
# Language model at chance: the per-token loss no more than 10% below the unigram entropy.
# The unigram entropy comes from the probe batch (32 × 32 characters), whose estimate varies
# with the batch: over 200 random batches of the suite's text, 2.64–3.18 nats (5–95%:
# 2.74–3.07) around the whole training text's 2.97. A model with shuffled targets sits at
# 2.97 (train) and 3.01 (validation); healthy ones are 2–40% below 2.97 on validation after
# one epoch and 8–47% below on training after two (the slowest, a 2-layer transformer under
# Adam at 1e-3, is inside the margin for two epochs while its loss falls ~8% an epoch: the
# verdict also needs a stalled loss).
LM_CHANCE_MARGIN = 0.10
# The generalization gap that counts as overfitting, in the metric's own units: 10 accuracy
# points between the training and validation splits. The gap alone does not decide: healthy
# setups of tests/diagnose reach up to 13 points for an epoch (digits, whose 360 test digits
# come from other writers: a 1-layer sigmoid MLP at 82% train vs 69% validation while both
# still rise) and 9 points after 20 epochs; the overfitting monitor also asks that the gap
# hold 3 epochs while the validation loss stops improving. A model that memorised 300
# Fashion-MNIST images shows 14-18 points; the example 27 (100% vs 73%).
GAP_ACCURACY = 0.10
# ... 0.2 of R² (the training split explains 20% more of its variance than the validation
# split does of its own): the healthy diabetes setups stay within 0.06 over 3 epochs in a row
# (0.1 for a single epoch), a 256×256 net on 60 training patients is at 0.32 by epoch 3 and
# 0.74 later;
GAP_R2 = 0.2
# ... and 0.5 nats per token between validation and training loss (validation perplexity
# 1.65× the training one): healthy language models of the suite stay below 0.15 (below 0.1
# over 3 epochs in a row); a GRU on 48 sequences passes 0.5 at epoch 7 and reaches 1.5.
GAP_NATS = 0.5
# "Still high", as a share of the chance loss (History.still_high): the model has learned
# little, so a plateau there is a stuck run, not convergence. Classification: half of ln C.
# Regression and language models plateau far above 0 when they have converged (the noise in
# the targets, the entropy of text): the healthy diabetes setups end at 0.42-0.53 of the
# variance (R² ≈ 0.5), the healthy character models at 0.4-0.6 of the unigram entropy (0.8
# for the slow 2-layer transformer after 4 epochs, still falling). There "still high" is
# within 10% of chance (R² below 0.1); stuck runs of the suite sit at 0.998-1.55.
HIGH_FRACTION = {"classification": 0.5, "binary": 0.5, "regression": 0.9, "language_model": 0.9}


@dataclass(frozen=True)
class Task:
    """What learning means for one trial: chance levels and the metric findings judge by.

    `metric`: "accuracy" or "r2" (higher is better) or "loss" (lower is better).
    `chance_loss`: the loss of the best model that ignores its inputs (None when unknown).
    `chance_metric`: that model's metric (1/C, R² = 0, the chance loss).
    `initial_loss`: what an untrained model scores (ln C, ln V, the loss of output 0).
    """

    kind: TaskKind
    classes: int
    chance_loss: float | None
    metric: MetricName
    chance_metric: float | None
    initial_loss: float | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.metric != "loss"

    @property
    def high_fraction(self) -> float:
        return HIGH_FRACTION[self.kind]

    @property
    def chance_ceiling(self) -> float:
        """The best metric still counted as guessing (sampling noise and mild imbalance): the
        highest accuracy or R², or the lowest loss."""
        if self.chance_metric is None:
            return float("nan")
        if self.metric == "accuracy":
            return self.chance_metric + max(CHANCE_ABS_MARGIN, CHANCE_REL_MARGIN / self.classes)
        if self.metric == "r2":
            return self.chance_metric + R2_CHANCE_MARGIN
        return (1 - LM_CHANCE_MARGIN) * self.chance_metric

    def at_chance(self, value: float) -> bool:
        """`value` of the metric is no better than guessing (NaN is not: it is a failure)."""
        if self.higher_is_better:
            return value <= self.chance_ceiling
        return value >= self.chance_ceiling

    def gap(self, *, train: float, val: float) -> float:
        """How much better the training split scores than the validation split, in units
        where `gap_threshold` is the line: accuracy points, R², or nats per token."""
        return train - val if self.higher_is_better else val - train

    @property
    def gap_threshold(self) -> float:
        return {"accuracy": GAP_ACCURACY, "r2": GAP_R2, "loss": GAP_NATS}[self.metric]

    def metric_of(self, epoch: Epoch, split: str) -> float:
        """The task's metric on `split` ("train" or "val") of an epoch: an EpochRecord, or a
        stored epoch row keyed by metric tag (`val/acc`, `val/r2`, `val/loss`)."""
        tag = {"accuracy": "acc", "r2": "r2", "loss": "loss"}[self.metric]
        if isinstance(epoch, EpochRecord):
            if tag in ("acc", "loss"):
                return float(getattr(epoch, f"{split}_{tag}"))
            return float(epoch.metrics.get(f"{split}/{tag}", math.nan))
        value = epoch.get(f"{split}/{tag}")
        return math.nan if value is None else float(value)

    def describe_chance(self) -> str:
        """What chance is on this task, for a message."""
        if self.kind == "regression":
            return "predicting the training mean (R² = 0)"
        if self.kind == "language_model":
            return (
                f"predicting each token by its frequency alone ({_sig(self.chance_loss)} nats, "
                "the unigram entropy)"
            )
        return f"guessing among {self.classes} classes"


def task_for(
    loss: str,
    num_classes: int,
    task: str = "classification",
    *,
    chance_loss: float | None = None,
    initial_loss: float | None = None,
) -> Task:
    """The task of a trial trained with optbench loss `loss` on `num_classes` classes (or a
    vocabulary of that size), for the study's `task` (models/task.py). `chance_loss` and
    `initial_loss`: what the trial's data says (`chance_from_batch`); without them a
    regression task knows no chance loss and a language model uses ln V for both.

    >>> task_for("cross_entropy", 10).chance_metric
    0.1
    >>> task_for("bce", 2).kind
    'binary'
    >>> round(task_for("cross_entropy", 100, "language_model").chance_loss, 3)
    4.605
    >>> task_for("mse", 0, "regression", chance_loss=0.9).metric
    'r2'
    """
    if task == "regression":
        return Task("regression", 0, chance_loss, "r2", 0.0, initial_loss)
    if task == "language_model":
        uniform = math.log(max(num_classes, 1))
        chance = uniform if chance_loss is None else chance_loss
        return Task("language_model", num_classes, chance, "loss", chance, uniform)
    info = LOSSES.get(loss) if loss in LOSSES else None
    expected = None
    if info is not None and info.expected_initial is not None:
        expected = info.expected_initial(num_classes)
    kind: TaskKind = "binary" if num_classes == 2 else "classification"
    return Task(kind, num_classes, expected, "accuracy", 1 / max(num_classes, 1), expected)


LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def chance_from_batch(
    task: str, y: torch.Tensor, num_classes: int, loss: LossFn | None = None
) -> tuple[float | None, float | None]:
    """(chance loss, initial loss) of `task` on a batch of targets `y`, where the data decides
    them (None, None for classification, whose levels come from the loss).

    Regression: the better of predicting the batch's mean and its median, and predicting 0,
    scored by `loss` (outputs [B, D] against targets shaped like them). Language model: the
    entropy of the batch's target tokens (the unigram entropy), and ln V.

    >>> y = torch.tensor([1.0, 2.0, 3.0, 6.0])
    >>> chance_from_batch("regression", y, 0, torch.nn.functional.mse_loss)
    (3.5, 12.5)
    """
    if task == "regression" and loss is not None and y.numel():
        targets = y.detach().float().reshape(len(y), -1)
        with torch.no_grad():
            scores = [
                float(loss(c.expand_as(targets), targets))
                for c in (targets.mean(0), targets.median(0).values)
            ]
            zero = float(loss(torch.zeros_like(targets), targets))
        finite = [s for s in scores if math.isfinite(s)]
        return (min(finite) if finite else None), (zero if math.isfinite(zero) else None)
    if task == "language_model" and y.numel():
        counts = torch.bincount(y.detach().flatten().cpu(), minlength=max(num_classes, 1))
        shares = counts[counts > 0].double() / counts.sum()
        return float(-(shares * shares.log()).sum()), math.log(max(num_classes, 1))
    return None, None


def _sig(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"
