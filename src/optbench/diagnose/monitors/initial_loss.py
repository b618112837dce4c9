"""The loss before any training, compared with the loss of a model that knows nothing.

An untrained classifier predicts every class about equally, so its cross-entropy is near ln C
(Karpathy, "A Recipe for Training Neural Networks", 2019: "verify loss @ init"; CS231n notes,
"look for correct loss at chance performance"). Far above: huge initial logits (unscaled
inputs, too-large init). Far below: the model was already trained, as when one model object is
trained through several optimizers in a row.
"""

from __future__ import annotations

import math

import torch

from optbench.core.specs import Finding
from optbench.diagnose.data_check import UNSCALED_INPUT_MAX
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import sig
from optbench.diagnose.task import Task
from optbench.engine import TrialContext

# Too high: above 1.5 × ln C. A fresh PyTorch- or Glorot-initialised MLP on scaled inputs has
# logits with a standard deviation below ~1, i.e. a loss within ~0.5 of ln C (every healthy
# setup of tests/diagnose stays below 1.2 × ln C); 0–255 inputs give 10–100 × ln C.
INIT_HIGH_RATIO = 1.5
# Too low: below 0.7 × ln C. A model that has learned nothing cannot beat chance on a batch by
# that much (on 10 classes: 1.61 vs 2.30; on 2: 0.49 vs 0.69, i.e. 61% mean probability on the
# right class). The healthy setups of tests/diagnose start at 0.98–1.09 × ln C; models reused
# after 3 epochs of Adam start at 0.17 (Fashion-MNIST), 0.43 (digits) and 0.65 (the harder
# t-shirt/shirt pair, which half of ln C missed).
INIT_LOW_RATIO = 0.7
# Below this many probe examples a lucky batch could look "too low"; say nothing.
MIN_EXAMPLES = 8


class InitialLossMonitor(Monitor):
    """init.loss_too_high / init.loss_too_low from the first batch's loss before training."""

    def on_trial_start(self, ctx: TrialContext, first_loss: float) -> list[Finding]:
        task = self.history.task  # the History ran first: it knows the chance levels
        if task is None:
            return []
        judged = judge_initial_loss(first_loss, ctx.spec.loss, task, *ctx.probe)
        if judged is None:
            return []
        code, message = judged
        return self.finding(ctx, code, message, epoch=0)


def judge_initial_loss(
    first_loss: float, loss: str, task: Task, x: torch.Tensor, y: torch.Tensor
) -> tuple[str, str] | None:
    """(code, message) when the untrained model's loss on the batch (x, y) is far above what
    an untrained model scores (`task.initial_loss`) or far below what a model that ignores its
    inputs scores (`task.chance_loss`); None when it is near, or when the task does not know
    those levels. Shared by the monitor and by `optbench doctor` (setup_check.check_trial)."""
    if not math.isfinite(first_loss) or len(y) < MIN_EXAMPLES:
        return None
    base = f"Before training, the model's loss on the first batch is {sig(first_loss, 4)}"
    initial, chance = task.initial_loss, task.chance_loss
    if initial is not None and initial > 0 and first_loss > INIT_HIGH_RATIO * initial:
        ratio = first_loss / initial
        message = (
            f"{base}; {_untrained(task, loss, initial)}: {sig(ratio)}× too high "
            f"({_huge(task)}). {_inputs(x)}"
        )
        return "init.loss_too_high", message
    if chance is not None and chance > 0 and first_loss < INIT_LOW_RATIO * chance:
        message = (
            f"{base}; {_ignorant(task, loss, chance)}: {sig(first_loss / chance)}× of it. The "
            "model starts out already trained — its weights were carried over from an earlier "
            "run?"
        )
        return "init.loss_too_low", message
    return None


def _untrained(task: Task, loss: str, level: float) -> str:
    """What an untrained model scores, in words."""
    if task.kind == "regression":
        return (
            f"an untrained model's outputs are near 0, and outputs of 0 score {sig(level, 4)} "
            f"({loss})"
        )
    if task.kind == "language_model":
        return f"a uniform guess over {task.classes} tokens has {sig(level, 4)} (ln V)"
    return f"a model guessing uniformly over {task.classes} classes has {sig(level, 4)} ({loss})"


def _ignorant(task: Task, loss: str, level: float) -> str:
    """What the best model that ignores its inputs scores, in words."""
    if task.kind == "regression":
        return (
            f"predicting the batch's mean or median for every example scores {sig(level, 4)} "
            f"({loss})"
        )
    if task.kind == "language_model":
        return (
            f"predicting each token by its frequency alone scores {sig(level, 4)} (the unigram "
            "entropy)"
        )
    return _untrained(task, loss, level)


def _huge(task: Task) -> str:
    return "huge initial outputs" if task.kind == "regression" else "huge initial logits"


def _inputs(x: torch.Tensor) -> str:
    """Whether the inputs explain large outputs: their range on the first batch (token ids of
    a language model are not values: they say nothing here)."""
    if not x.is_floating_point():
        return "The initial weights or the architecture make the logits large."
    low, high = float(x.min()), float(x.max())
    if max(abs(low), abs(high)) > UNSCALED_INPUT_MAX:
        return f"This batch's inputs span [{sig(low)}, {sig(high)}]: unscaled inputs."
    return (
        f"This batch's inputs span [{sig(low)}, {sig(high)}], so they are scaled: the initial "
        "weights or the architecture (depth, saturated units) make the outputs large."
    )
