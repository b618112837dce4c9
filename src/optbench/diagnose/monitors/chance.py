"""The task's metric stuck at the level of guessing, on training and validation data alike:
accuracy at chance (`train.acc_at_chance`, classification and binary tasks), or a model no
better than one that ignores its inputs (`train.at_chance`: R² at 0 — the training mean — for
regression; a language model's loss at the unigram entropy — the token frequencies).

A verdict waits for evidence of a trend, not one epoch: CHANCE_EPOCHS epochs at chance, the
loss stalled over those epochs, and not falling steadily (a deep network often sits at chance
for a few epochs while its loss creeps down, then learns). A run that sits at chance for
CHANCE_MAX_WAIT epochs is reported even if its loss still creeps down. If the run recovers
later, the report revises the verdict (diagnose.cause).
"""

from __future__ import annotations

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import pct, sig
from optbench.diagnose.task import Task
from optbench.engine import TrialContext

# Epochs in a row at chance before a verdict (epoch 1's running mean includes the untrained
# start; two epochs were too few: a 4-layer sigmoid MLP under Adam sits at chance for 4 epochs
# on digits, then learns), over which the loss must have stalled (History.stalled) ...
CHANCE_EPOCHS = 3
# ... and not fallen in every one of them; after this many epochs at chance, regardless.
CHANCE_MAX_WAIT = 6


class ChanceAccuracyMonitor(Monitor):
    """train.acc_at_chance / train.at_chance: train and validation metric at guessing level,
    loss not falling."""

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        task = self.history.task
        if task is None or task.chance_metric is None:
            return []
        streak = _streak(self.history.records, task)
        if streak < CHANCE_EPOCHS or not self.history.stalled(window=CHANCE_EPOCHS):
            return []
        if self.history.steadily_falling(CHANCE_EPOCHS) and streak < CHANCE_MAX_WAIT:
            return []
        head = f"After {record.epoch} epochs ({streak} of them at chance)"
        stalled = f"and the training loss has stalled at {sig(record.train_loss, 4)}."
        if task.metric == "accuracy":
            message = (
                f"{head} accuracy is {pct(record.train_acc)} (train) and {pct(record.val_acc)} "
                f"(validation): no better than guessing among {task.classes} classes "
                f"({pct(task.chance_metric)}), {stalled}"
            )
            return self.finding(ctx, "train.acc_at_chance", message, record.epoch)
        train, val = task.metric_of(record, "train"), task.metric_of(record, "val")
        what = "R²" if task.metric == "r2" else "the per-token loss"
        message = (
            f"{head} {what} is {sig(train, 3)} (train) and {sig(val, 3)} (validation): no "
            f"better than {task.describe_chance()}, {stalled} The model has learned nothing "
            "about its inputs."
        )
        return self.finding(ctx, "train.at_chance", message, record.epoch)


def _streak(records: list[EpochRecord], task: Task) -> int:
    """Epochs in a row, up to the last, with the train and validation metric at chance (NaN
    metrics are not "at chance": a stopped trial, other monitors say why)."""
    count = 0
    for record in reversed(records):
        train, val = task.metric_of(record, "train"), task.metric_of(record, "val")
        if not (task.at_chance(train) and task.at_chance(val)):
            break
        count += 1
    return count
