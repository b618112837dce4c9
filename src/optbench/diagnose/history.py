"""The trial so far, as every monitor needs it: the first loss, the task's chance levels, the
epochs.

One History is shared by the monitors of a trial and is the first callback in their list, so
it has recorded an epoch before any monitor looks at it. Its questions (`stalled`,
`still_high`, `worse_than_chance`) are what "the symptom matters" means: a saturated layer or a
large update is reported only when the loss says the run is in trouble. They are asked of the
task's own measure of how much is left to learn (`left`): the loss as a share of the chance
loss, or 1 - R² for regression (diagnose/task.py).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.numbers import sig
from optbench.diagnose.task import Task, chance_from_batch, task_for
from optbench.engine import Callback, TrialContext
from optbench.models import TASKS

# "Stalled": the latest epoch's mean training loss is not even 1% below the best earlier epoch.
# The slowest healthy runs of tests/diagnose (Keras-default Adagrad and torch-default momentum
# SGD on digits, 45 batches an epoch) still improve by >= 1.7% an epoch over their first four
# epochs; stuck runs (shuffled labels, dead units, frozen weights) by < 0.5%.
STALL_REL = 0.01


class History(Callback):
    """Records the first-batch loss, the task (its chance levels), and every EpochRecord."""

    def __init__(self) -> None:
        self.first_loss = math.nan
        self.expected: float | None = None  # what an untrained model scores (ln C, ln V, …)
        self.chance: float | None = None  # what a model that ignores its inputs scores
        # The task as plain data (monitors are pickled into checkpoints and read back with
        # torch's weights_only unpickler): the loss name, the class count, the task's name and
        # the chance levels measured on the probe batch; `task` derives the rest.
        self.loss: str | None = None
        self.classes = 0
        self.task_name = "classification"
        self.records: list[EpochRecord] = []

    def on_trial_start(self, ctx: TrialContext, first_loss: float) -> list[Finding]:
        self.first_loss = first_loss
        self._know_task(ctx)
        return []

    def _know_task(self, ctx: TrialContext) -> None:
        self.loss, self.classes = ctx.spec.loss, ctx.num_classes
        self.task_name = ctx.spec.task
        chance, initial = trial_chance(ctx)
        task = task_for(
            self.loss, self.classes, self.task_name, chance_loss=chance, initial_loss=initial
        )
        self.chance, self.expected = task.chance_loss, task.initial_loss

    @property
    def task(self) -> Task | None:
        """The trial's task (chance levels, metric), once the trial has started."""
        if self.loss is None:
            return None
        return task_for(
            self.loss,
            self.classes,
            self.task_name,
            chance_loss=self.chance,
            initial_loss=self.expected,
        )

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        if self.loss is None:  # a resumed trial skips on_trial_start
            self._know_task(ctx)
        # The metrics only: the record goes on to carry histograms and a checkpoint, which
        # a history of every epoch has no use for (and would keep alive for the whole run).
        self.records.append(replace(record, histograms={}, findings=[], checkpoint=None))
        return []

    @property
    def epoch(self) -> int:
        """Epochs finished so far (the epoch running now is `epoch + 1`)."""
        return len(self.records)

    @property
    def train_losses(self) -> list[float]:
        return [r.train_loss for r in self.records]

    @property
    def chance_loss(self) -> float:
        """The loss of a model that has learned nothing from its inputs: ln C, the unigram
        entropy, the best constant's loss; the first loss if unknown."""
        return self.chance if self.chance is not None else self.first_loss

    @property
    def reference(self) -> float:
        """The larger of the first loss and the untrained level: what "diverged from" is
        measured on."""
        values = [v for v in (self.first_loss, self.expected) if v is not None and math.isfinite(v)]
        return max(values) if values else math.nan

    def left(self, at: int | None = None) -> float:
        """How much of the chance loss is left at epoch `at` (1-based; default the last):
        the training loss over the chance loss, or 1 - R² on the training split for
        regression (exact over the epoch, where the chance loss is one batch's estimate).
        1 = no better than chance, 0 = perfect; inf for a non-finite loss, NaN when the chance
        loss is unknown (then nothing counts as high)."""
        record = self.records[(at or len(self.records)) - 1]
        if self.task_name == "regression":
            r2 = record.metrics.get("train/r2", math.nan)
            if math.isfinite(r2) or not math.isfinite(record.train_loss):
                return 1 - r2 if math.isfinite(r2) else math.inf
        loss, chance = record.train_loss, self.chance_loss
        if not math.isfinite(loss):
            return math.inf
        return loss / chance if math.isfinite(chance) and chance > 0 else math.nan

    def still_high(self, at: int | None = None) -> bool:
        """The model has learned little by epoch `at` (default the last): more than the task's
        high fraction of the chance loss is left (half of ln C; regression: R² below 0.1)."""
        task = self.task
        fraction = task.high_fraction if task is not None else 0.5
        return self.left(at) > fraction  # inf (a NaN loss) is high; NaN (unknown) is not

    def worse_than_chance(self, at: int | None = None) -> bool:
        """Epoch `at` ended worse than a model that knows nothing: above ln C, R² below 0, a
        language model's loss above the uniform guess ln V (where it started: above the
        unigram entropy it is in every healthy run's first epoch)."""
        if self.task_name == "language_model" and self.expected is not None:
            loss = self.records[(at or len(self.records)) - 1].train_loss
            return not math.isfinite(loss) or loss > self.expected
        return self.left(at) > 1

    def stalled(self, at: int | None = None, window: int = 1) -> bool:
        """At epoch `at` (default: the last) the loss is still high, and the best of the last
        `window` epochs is not STALL_REL better than the best epoch before them."""
        end = at if at is not None else len(self.records)
        losses = self.train_losses[:end]
        if len(losses) <= window or not self.still_high(end):
            return False
        recent, earlier = losses[-window:], losses[:-window]
        if not all(math.isfinite(v) for v in recent):
            return True
        best = min((v for v in earlier if math.isfinite(v)), default=math.inf)
        return min(recent) > (1 - STALL_REL) * best

    def steadily_falling(self, window: int) -> bool:
        """Each of the last `window` epochs ended below the one before: slow, but moving (a
        plateau that is being left, not a stuck run)."""
        losses = self.train_losses[-window - 1 :]
        if len(losses) <= window:
            return False
        return all(b < a for a, b in itertools.pairwise(losses))

    def in_trouble(self, *, finite: bool = False) -> bool:
        """The last epoch stalled or ended worse than chance: symptoms now matter.

        `finite=True`: only while the loss is finite. Probes of a model with NaN weights see
        every unit dead or saturated; the NaN monitor has already said what matters.
        """
        if not self.records:
            return False
        if finite and not math.isfinite(self.records[-1].train_loss):
            return False
        return self.stalled() or self.worse_than_chance()

    def trouble(self) -> str:
        """Why symptoms matter now, for a finding's message."""
        loss = self.records[-1].train_loss if self.records else math.nan
        if self.records and self.worse_than_chance():
            if self.task_name == "regression":
                r2 = self.records[-1].metrics.get("train/r2", math.nan)
                return f"the training R² ({sig(r2)}) is below 0: worse than predicting the mean"
            level = self.expected if self.task_name == "language_model" else self.chance_loss
            return f"the training loss ({sig(loss, 4)}) is worse than chance ({sig(level, 4)})"
        return f"the training loss has stalled at {sig(loss, 4)}"


def trial_chance(ctx: TrialContext) -> tuple[float | None, float | None]:
    """(chance loss, initial loss) of the trial from its probe batch and its loss (None where
    the task's loss says, or where the loss cannot be read)."""
    if ctx.spec.task not in ("regression", "language_model"):
        return None, None
    try:
        info = TASKS.get(ctx.spec.task).loss_info(ctx.spec.loss)
    except Exception:  # a user's loss that cannot be loaded here: judge without it
        return None, None
    return chance_from_batch(ctx.spec.task, ctx.probe[1], ctx.num_classes, info.loss)
