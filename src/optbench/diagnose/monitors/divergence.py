"""A loss that blows up (diverged) or swings up and down (oscillating): lr too high.

Divergence is watched on sampled steps (a cheap scalar every DIVERGENCE_SAMPLE_EVERY steps)
so it is caught inside the first epoch, before the loss overflows to NaN; oscillation needs
epoch means, which average out batch noise.
"""

from __future__ import annotations

import itertools
import math

import torch

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import pct, sig, trail
from optbench.engine import TrialContext

DIVERGENCE_SAMPLE_EVERY = 10  # one float(loss) per 10 steps
# Diverged: a sampled batch loss above 3 ×, or an epoch's mean loss above 2 ×, the larger of
# the first loss and ln C. An untrained model's loss is the worst a healthy run sees: no
# healthy setup in tests/diagnose has a sampled batch loss above 1.1 × it after step 0, and
# epoch means fall from the first epoch on. A batch is noisier than an epoch mean, hence 3.
DIVERGED_FACTOR = 3.0
EPOCH_DIVERGED_FACTOR = 2.0
# A regression batch's loss swings with the targets it happens to hold (squared errors of a
# few extreme targets): over every batch of the 7 healthy diabetes setups, a batch of 32
# reaches 2.5 × the reference (the sampled ones stay below 1), too close to 3. So a sampled
# regression batch must exceed 10 × the reference. Regression runs that diverge: SGD at lr =
# 0.3 has a batch at 21 × its first loss in epoch 1 (the suite's setup is caught by its epoch
# mean, 4.2 × the reference), at lr = 1 the loss overflows to NaN within 10 steps (the NaN
# monitor's). Epoch means average the swings out and keep the factor above.
REGRESSION_DIVERGED_FACTOR = 10.0
# Oscillating: in the last OSC_WINDOW epoch means, at least OSC_RISES rises of more than
# OSC_REL each (healthy epoch means fall monotonically early in training), while the loss is
# still above OSC_MIN_FRACTION of chance (near a perfect fit tiny relative wiggles are noise).
# Measured on tests/diagnose: tanh-adam-lr0.1 swings between 5 % and 10 % of chance
# (0.116 -> 0.211 -> 0.169 -> 0.219 against ln 10 = 2.30), while every healthy classification
# run whose loss gets below 10 % of chance (down to 3.4 %) still falls at every epoch.
OSC_WINDOW = 4
OSC_RISES = 2
OSC_REL = 0.05
OSC_MIN_FRACTION = 0.05


class DivergenceMonitor(Monitor):
    """train.diverged from sampled and epoch losses; train.oscillating from epoch means."""

    sample_every = DIVERGENCE_SAMPLE_EVERY

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.peak = -math.inf  # the largest finite sampled loss so far

    def on_step_end(self, ctx: TrialContext, loss: torch.Tensor) -> list[Finding]:
        value = float(loss.detach())
        factor = (
            REGRESSION_DIVERGED_FACTOR
            if self.history.task_name == "regression"
            else (DIVERGED_FACTOR)
        )
        limit = factor * self.history.reference
        if math.isfinite(value):
            self.peak = max(self.peak, value)
            if value <= limit:
                return []
            detail = f"a batch loss of {sig(value, 4)} at step {ctx.step}"
        elif self.peak > self.history.reference:
            detail = f"the loss grew to {sig(self.peak, 4)} and then overflowed to {value}"
        else:
            return []  # NaN out of nowhere: the NaN monitor's, not a divergence
        return self.finding(ctx, "train.diverged", self._message(detail))

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        loss = record.train_loss
        if math.isfinite(loss) and loss > EPOCH_DIVERGED_FACTOR * self.history.reference:
            detail = f"an epoch mean of {sig(loss, 4)}"
            return self.finding(ctx, "train.diverged", self._message(detail), record.epoch)
        return self._oscillating(ctx, record)

    def _message(self, detail: str) -> str:
        return (
            f"Training diverged: {detail}, against {sig(self.history.first_loss, 4)} before "
            f"training (chance level {sig(self.history.chance_loss, 4)})."
        )

    def _oscillating(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        losses = self.history.train_losses[-OSC_WINDOW:]
        if len(losses) < OSC_WINDOW or not all(math.isfinite(v) for v in losses):
            return []
        if self.history.left() < OSC_MIN_FRACTION:  # near a perfect fit: wiggles are noise
            return []
        rises = sum(b > (1 + OSC_REL) * a for a, b in itertools.pairwise(losses))
        if rises < OSC_RISES:
            return []
        message = (
            f"Training loss is oscillating over the last {OSC_WINDOW} epochs "
            f"({trail(losses)}): {rises} rises of more than {pct(OSC_REL)}."
        )
        return self.finding(ctx, "train.oscillating", message, record.epoch)
