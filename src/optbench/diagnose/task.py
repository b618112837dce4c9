"""The task a trial learns, as the monitors judge it: chance level and the metric that counts.

"At chance", "worse than chance" and "the generalization gap" mean different things on
different tasks: ln C and 1/C for C-class classification, ln 2 and 1/2 for a binary task, the
target variance for regression, ln V for next-token prediction. A Task holds those numbers so
that no monitor hard-codes one task. It is built from the loss registry
(`optbench.models.LOSSES`): a loss's `expected_initial` gives the chance-level loss and its
`expects` (what it wants of the model's output) tells a loss on classes from a loss on values.

Today every registered loss trains on class labels and reports accuracy (its `correct`), so
the metric is accuracy for all of them. A loss whose `expects` is "regression" on real-valued
targets, or a next-token loss, is where issue 18's tasks plug in: `task_for` then returns the
loss itself as the metric (lower is better), and the rules below follow it unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from optbench.models import LOSSES

TaskKind = Literal["classification", "binary", "regression", "language_model"]

# "At chance": accuracy at most 1/C + max(0.05, 0.5/C). The 0.05 covers sampling noise (three
# binomial standard deviations of a 10%-accurate guess on 360 validation examples is 0.047);
# 0.5/C covers a mildly imbalanced majority class (on 2 classes: up to 75%).
CHANCE_ABS_MARGIN = 0.05
CHANCE_REL_MARGIN = 0.5
# The generalization gap that counts as overfitting, in the metric's own units: 10 accuracy
# points between the training and validation splits. The gap alone does not decide: healthy
# setups of tests/diagnose reach up to 13 points for an epoch (digits, whose 360 test digits
# come from other writers: a 1-layer sigmoid MLP at 82% train vs 69% validation while both
# still rise) and 9 points after 20 epochs; the overfitting monitor also asks that the gap
# hold 3 epochs while the validation loss stops improving. A model that memorised 300
# Fashion-MNIST images shows 14-18 points; the example 27 (100% vs 73%).
GAP_ACCURACY = 0.10
# ... and for a loss used as the metric (regression, language modelling): validation loss
# twice the training loss.
GAP_LOSS_RATIO = 2.0


@dataclass(frozen=True)
class Task:
    """What learning means for one trial: chance levels and the metric findings judge by.

    `metric`: "accuracy" (higher is better) or "loss" (lower is better). `chance_loss`: the
    loss of a model that has learned nothing (None when the loss does not say).
    `chance_metric`: the metric of such a model (1/C for accuracy).
    """

    kind: TaskKind
    classes: int
    chance_loss: float | None
    metric: Literal["accuracy", "loss"]
    chance_metric: float | None

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"

    @property
    def chance_ceiling(self) -> float:
        """The best metric still counted as guessing (sampling noise and mild imbalance)."""
        if self.metric != "accuracy" or self.chance_metric is None:
            return float("nan")
        margin = max(CHANCE_ABS_MARGIN, CHANCE_REL_MARGIN / self.classes)
        return self.chance_metric + margin

    def at_chance(self, value: float) -> bool:
        """`value` of the metric is no better than guessing (NaN is not: it is a failure)."""
        if self.metric == "accuracy":
            return value <= self.chance_ceiling
        return self.chance_metric is not None and value >= self.chance_metric

    def gap(self, *, train: float, val: float) -> float:
        """How much better the training split scores than the validation split, in units
        where `gap_threshold` is the line: accuracy points, or validation/train loss ratio - 1."""
        if self.metric == "accuracy":
            return train - val
        return val / train - 1 if train > 0 else float("inf")

    @property
    def gap_threshold(self) -> float:
        return GAP_ACCURACY if self.metric == "accuracy" else GAP_LOSS_RATIO - 1

    def metric_of(self, acc: float, loss: float) -> float:
        """The task's metric from an epoch's accuracy and loss on one split."""
        return acc if self.metric == "accuracy" else loss


def task_for(loss: str, num_classes: int, task: str = "classification") -> Task:
    """The task of a trial trained with optbench loss `loss` on `num_classes` classes (or a
    vocabulary of that size), for the study's `task` (models/task.py).

    >>> task_for("cross_entropy", 10).chance_metric
    0.1
    >>> task_for("bce", 2).kind
    'binary'
    >>> round(task_for("cross_entropy", 100, "language_model").chance_loss, 3)
    4.605
    """
    if task == "regression":  # judged by its loss; the chance loss needs the targets' spread
        return Task("regression", 0, None, "loss", None)
    if task == "language_model":  # a uniform guess over the vocabulary: ln V per token
        chance = math.log(max(num_classes, 1))
        return Task("language_model", num_classes, chance, "loss", chance)
    info = LOSSES.get(loss) if loss in LOSSES else None
    chance_loss = None
    if info is not None and info.expected_initial is not None:
        chance_loss = info.expected_initial(num_classes)
    kind: TaskKind = "binary" if num_classes == 2 else "classification"
    return Task(kind, num_classes, chance_loss, "accuracy", 1 / max(num_classes, 1))
