"""A training loss that does not move (frozen) or does not go down (not decreasing).

Judged on epoch means, which average out batch noise: a frozen run's epoch means agree to a
fraction of a percent; a healthy one's fall by several percent an epoch early on. Both are
reported only while the loss is still high (History.still_high): a converged model's loss
also stops moving. "Not decreasing" waits for a trend: a loss that fell in every epoch of
the window is slow, not stuck, until it has crept like that for twice the window.
"""

from __future__ import annotations

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import sig, trail
from optbench.engine import TrialContext

# Frozen: two consecutive epoch means within 0.01% of each other. Any learning moves the loss
# by more (healthy setups: > 1% an epoch; even an unlearnable task such as shuffled labels
# moves it by ~0.05%); weights that do not move (lr ≈ 1e-7) leave it unchanged to ~1e-7.
FROZEN_REL = 1e-4
# Not decreasing: the best loss of the last 3 epochs is not 1% (History.STALL_REL) below the
# best before them. Three epochs, not one: a slow healthy run late in training can improve by
# under 1% in one epoch, but not by under 1% in three.
NOT_DECREASING_EPOCHS = 3


class LossTrendMonitor(Monitor):
    """train.loss_frozen, or else train.not_decreasing, from the epoch means."""

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        losses = self.history.train_losses
        if len(losses) < 2 or not self.history.still_high():
            return []
        previous, last = losses[-2], losses[-1]
        chance = sig(self.history.chance_loss, 4)
        if abs(last - previous) <= FROZEN_REL * abs(previous):
            message = (
                f"Training loss is frozen at {sig(last, 5)} (epoch {record.epoch - 1}: "
                f"{sig(previous, 5)}; chance level {chance}): the weights are not moving."
            )
            return self.finding(ctx, "train.loss_frozen", message, record.epoch)
        if self._not_decreasing():
            shown = trail(losses[-NOT_DECREASING_EPOCHS - 1 :])
            message = (
                f"Training loss has not improved by 1% in {NOT_DECREASING_EPOCHS} epochs "
                f"({shown}) and is still high (chance level {chance})."
            )
            return self.finding(ctx, "train.not_decreasing", message, record.epoch)
        return []

    def _not_decreasing(self) -> bool:
        window = NOT_DECREASING_EPOCHS
        if not self.history.stalled(window=window):
            return False
        creeping = self.history.steadily_falling(window)
        return not creeping or self.history.stalled(window=2 * window)
