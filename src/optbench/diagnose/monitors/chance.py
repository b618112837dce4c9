"""Accuracy stuck at the level of guessing, on training and validation data alike."""

from __future__ import annotations

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.engine import TrialContext

# "At chance": accuracy at most 1/C + max(0.05, 0.5/C). The 0.05 covers sampling noise (three
# binomial standard deviations of a 10%-accurate guess on 360 validation examples is 0.047);
# 0.5/C covers a mildly imbalanced majority class (on 2 classes: up to 75%).
CHANCE_ABS_MARGIN = 0.05
CHANCE_REL_MARGIN = 0.5
# ... for this many consecutive epochs (epoch 1's running mean includes the untrained start),
# while the loss has stalled (History.stalled): a slow but learning run (Keras-default Adagrad
# on 45 batches an epoch) may sit at chance accuracy for two epochs while its loss falls 3%
# an epoch.
CHANCE_EPOCHS = 2


class ChanceAccuracyMonitor(Monitor):
    """train.acc_at_chance: train and validation accuracy at guessing level, loss not falling."""

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        if ctx.spec.task not in ("classification", "binary"):  # no accuracy to be at chance
            return []
        records = self.history.records[-CHANCE_EPOCHS:]
        ceiling = chance_ceiling(ctx.num_classes)
        if len(records) < CHANCE_EPOCHS or not all(_at_chance(r, ceiling) for r in records):
            return []
        if not self.history.stalled():
            return []
        message = (
            f"After {record.epoch} epochs accuracy is {record.train_acc:.1%} (train) and "
            f"{record.val_acc:.1%} (validation): no better than guessing among "
            f"{ctx.num_classes} classes ({1 / ctx.num_classes:.1%})."
        )
        return self.finding(ctx, "train.acc_at_chance", message, record.epoch)


def chance_ceiling(num_classes: int) -> float:
    """The highest accuracy still counted as guessing."""
    return 1 / num_classes + max(CHANCE_ABS_MARGIN, CHANCE_REL_MARGIN / num_classes)


def _at_chance(record: EpochRecord, ceiling: float) -> bool:
    # NaN accuracies (a stopped trial) are not "at chance": other monitors say why.
    return record.train_acc <= ceiling and record.val_acc <= ceiling
