"""The trial so far, as every monitor needs it: the first loss, its expected value, the epochs.

One History is shared by the monitors of a trial and is the first callback in their list, so
it has recorded an epoch before any monitor looks at it. Its questions (`stalled`,
`still_high`, `worse_than_chance`) are what "the symptom matters" means: a saturated layer or a
large update is reported only when the loss says the run is in trouble.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.numbers import sig
from optbench.diagnose.task import Task, task_for
from optbench.engine import Callback, TrialContext

# "Stalled": the latest epoch's mean training loss is not even 1% below the best earlier epoch.
# The slowest healthy runs of tests/diagnose (Keras-default Adagrad and torch-default momentum
# SGD on digits, 45 batches an epoch) still improve by >= 1.7% an epoch over their first four
# epochs; stuck runs (shuffled labels, dead units, frozen weights) by < 0.5%.
STALL_REL = 0.01
# "Still high": above half the chance-level loss (ln C for cross-entropy), i.e. the model has
# learned little. Below that a plateau is convergence, not a problem.
HIGH_FRACTION = 0.5


class History(Callback):
    """Records the first-batch loss, the task (its chance levels), and every EpochRecord."""

    def __init__(self) -> None:
        self.first_loss = math.nan
        self.expected: float | None = None  # chance-level loss (ln C), when the loss knows it
        # The task as plain data (monitors are pickled into checkpoints and read back with
        # torch's weights_only unpickler): the loss name and the class count; `task` derives
        # the rest.
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
        self.expected = task_for(self.loss, self.classes, self.task_name).chance_loss

    @property
    def task(self) -> Task | None:
        """The trial's task (chance levels, metric), once the trial has started."""
        return None if self.loss is None else task_for(self.loss, self.classes, self.task_name)

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
        """The loss a model that has learned nothing has: ln C, or the first loss if unknown."""
        if self.expected is not None:
            return self.expected
        return self.first_loss

    @property
    def reference(self) -> float:
        """The larger of the first loss and the chance loss: what "diverged from" is measured on."""
        values = [v for v in (self.first_loss, self.expected) if v is not None and math.isfinite(v)]
        return max(values) if values else math.nan

    def still_high(self, loss: float) -> bool:
        """The model has learned little: `loss` above HIGH_FRACTION of the chance-level loss."""
        return not math.isfinite(loss) or loss > HIGH_FRACTION * self.chance_loss

    def worse_than_chance(self, loss: float) -> bool:
        """`loss` above the chance-level loss: worse than predicting every class equally."""
        return not math.isfinite(loss) or loss > self.chance_loss

    def stalled(self, at: int | None = None, window: int = 1) -> bool:
        """At epoch `at` (default: the last) the loss is still high, and the best of the last
        `window` epochs is not STALL_REL better than the best epoch before them."""
        losses = self.train_losses[: at if at is not None else None]
        if len(losses) <= window or not self.still_high(losses[-1]):
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
        loss = self.records[-1].train_loss
        if finite and not math.isfinite(loss):
            return False
        return self.stalled() or self.worse_than_chance(loss)

    def trouble(self) -> str:
        """Why symptoms matter now, for a finding's message."""
        loss = self.records[-1].train_loss if self.records else math.nan
        if self.worse_than_chance(loss):
            return (
                f"the training loss ({sig(loss, 4)}) is worse than chance "
                f"({sig(self.chance_loss, 4)})"
            )
        return f"the training loss has stalled at {sig(loss, 4)}"
