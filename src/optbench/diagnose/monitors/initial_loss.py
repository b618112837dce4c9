"""The loss before any training, compared with the loss of a model that knows nothing.

An untrained classifier predicts every class about equally, so its cross-entropy is near ln C
(Karpathy, "A Recipe for Training Neural Networks", 2019: "verify loss @ init"; CS231n notes,
"look for correct loss at chance performance"). Far above: huge initial logits (unscaled
inputs, too-large init). Far below: the model was already trained, as when one model object is
trained through several optimizers in a row.
"""

from __future__ import annotations

import math

from optbench.core.specs import Finding
from optbench.diagnose.data_check import UNSCALED_INPUT_MAX
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import sig
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
        expected = self.history.expected
        if expected is None or not math.isfinite(first_loss) or len(ctx.probe[1]) < MIN_EXAMPLES:
            return []
        ratio = first_loss / expected
        base = (
            f"Before training, the model's loss on the first batch is {sig(first_loss, 4)}; a "
            f"model guessing uniformly over {ctx.num_classes} classes has {sig(expected, 4)} "
            f"({ctx.spec.loss})"
        )
        if ratio > INIT_HIGH_RATIO:
            message = f"{base}: {sig(ratio)}× too high (huge initial logits). {_inputs(ctx)}"
            return self.finding(ctx, "init.loss_too_high", message, epoch=0)
        if ratio < INIT_LOW_RATIO:
            message = (
                f"{base}: {sig(ratio)}× of it. The model starts out already trained — its "
                "weights were carried over from an earlier run?"
            )
            return self.finding(ctx, "init.loss_too_low", message, epoch=0)
        return []


def _inputs(ctx: TrialContext) -> str:
    """Whether the inputs explain large logits: their range on the first batch."""
    x = ctx.probe[0]
    low, high = float(x.min()), float(x.max())
    if max(abs(low), abs(high)) > UNSCALED_INPUT_MAX:
        return f"This batch's inputs span [{sig(low)}, {sig(high)}]: unscaled inputs."
    return (
        f"This batch's inputs span [{sig(low)}, {sig(high)}], so they are scaled: the initial "
        "weights or the architecture (depth, saturated units) make the logits large."
    )
