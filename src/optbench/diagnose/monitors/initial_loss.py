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
from optbench.diagnose.monitor import Monitor
from optbench.engine import TrialContext

# Too high: above 1.5 × ln C. A fresh PyTorch- or Glorot-initialised MLP on scaled inputs has
# logits with a standard deviation below ~1, i.e. a loss within ~0.5 of ln C (every healthy
# setup of tests/diagnose stays below 1.2 × ln C); 0–255 inputs give 10–100 × ln C.
INIT_HIGH_RATIO = 1.5
# Too low: below half of ln C. A model that has learned nothing cannot beat chance on a batch by
# that much (on 10 classes: 1.15 vs 2.30, i.e. ~32% mean probability on the right class).
INIT_LOW_RATIO = 0.5
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
            f"Before training, the model's loss on the first batch is {first_loss:.4g}; a model "
            f"guessing uniformly over {ctx.num_classes} classes has {expected:.4g} "
            f"({ctx.spec.loss})"
        )
        if ratio > INIT_HIGH_RATIO:
            message = f"{base}: {ratio:.1f}× too high (huge initial logits)."
            return self.finding(ctx, "init.loss_too_high", message, epoch=0)
        if ratio < INIT_LOW_RATIO:
            message = (
                f"{base}: {ratio:.2f}× of it. The model starts out already trained — its "
                "weights were carried over from an earlier run?"
            )
            return self.finding(ctx, "init.loss_too_low", message, epoch=0)
        return []
