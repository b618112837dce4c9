"""Overfitting: validation loss rising for several epochs while the training loss falls.

The rule is Prechelt's UP_k stopping criterion ("Early Stopping — But When?", 1998): stop when
the validation error has risen in k successive strips; k = 3 here, with epochs as strips.
The finding names the best epoch (lowest validation loss), the one to keep.
"""

from __future__ import annotations

import itertools
import math

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.engine import TrialContext

OVERFIT_EPOCHS = 3  # Prechelt's k: successive epochs of rising validation loss
# ... ending at least 5% above the best validation loss, so a flat noisy plateau is not
# mistaken for a rise.
OVERFIT_MIN_RISE = 0.05


class OverfittingMonitor(Monitor):
    """val.overfitting, with the best epoch by validation loss."""

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        records = self.history.records
        window = records[-OVERFIT_EPOCHS - 1 :]
        if len(window) <= OVERFIT_EPOCHS:
            return []
        val = [r.val_loss for r in window]
        train = [r.train_loss for r in window]
        if not all(math.isfinite(v) for v in val + train):
            return []
        pairs = list(itertools.pairwise(window))
        rising = all(b.val_loss > a.val_loss for a, b in pairs)
        falling = all(b.train_loss < a.train_loss for a, b in pairs)
        best = min(records, key=lambda r: r.val_loss)
        if not (rising and falling) or val[-1] < (1 + OVERFIT_MIN_RISE) * best.val_loss:
            return []
        message = (
            f"Validation loss rose for {OVERFIT_EPOCHS} epochs ({_trail(val)}) while training "
            f"loss fell ({_trail(train)}). Best epoch: "
            f"{best.epoch} (validation loss {best.val_loss:.4g}, accuracy {best.val_acc:.2%})."
        )
        return self.finding(ctx, "val.overfitting", message, record.epoch)


def _trail(values: list[float]) -> str:
    return ", ".join(f"{v:.4g}" for v in values)
