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
from optbench.diagnose.task import task_for
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
        judged = judge_initial_loss(first_loss, ctx.spec.loss, ctx.num_classes, *ctx.probe)
        if judged is None:
            return []
        code, message = judged
        return self.finding(ctx, code, message, epoch=0)


def judge_initial_loss(
    first_loss: float, loss: str, num_classes: int, x: torch.Tensor, y: torch.Tensor
) -> tuple[str, str] | None:
    """(code, message) when the untrained model's loss on the batch (x, y) is far from the
    loss at chance; None when it is near, or when the loss does not know its chance value.
    Shared by the monitor and by `optbench doctor` (setup_check.check_trial)."""
    expected = task_for(loss, num_classes).chance_loss
    if expected is None or not math.isfinite(first_loss) or len(y) < MIN_EXAMPLES:
        return None
    ratio = first_loss / expected
    base = (
        f"Before training, the model's loss on the first batch is {sig(first_loss, 4)}; a "
        f"model guessing uniformly over {num_classes} classes has {sig(expected, 4)} ({loss})"
    )
    if ratio > INIT_HIGH_RATIO:
        message = f"{base}: {sig(ratio)}× too high (huge initial logits). {_inputs(x)}"
        return "init.loss_too_high", message
    if ratio < INIT_LOW_RATIO:
        message = (
            f"{base}: {sig(ratio)}× of it. The model starts out already trained — its weights "
            "were carried over from an earlier run?"
        )
        return "init.loss_too_low", message
    return None


def _inputs(x: torch.Tensor) -> str:
    """Whether the inputs explain large logits: their range on the first batch."""
    low, high = float(x.min()), float(x.max())
    if max(abs(low), abs(high)) > UNSCALED_INPUT_MAX:
        return f"This batch's inputs span [{sig(low)}, {sig(high)}]: unscaled inputs."
    return (
        f"This batch's inputs span [{sig(low)}, {sig(high)}], so they are scaled: the initial "
        "weights or the architecture (depth, saturated units) make the logits large."
    )
