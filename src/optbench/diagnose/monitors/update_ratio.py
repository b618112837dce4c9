"""Update-to-weight ratio: how much one optimizer step changes each layer, relative to it.

CS231n ("Neural Networks Part 3: Learning and Evaluation", Karpathy) gives ~1e-3 as a healthy
ratio ‖Δw‖/‖w‖ per step: much higher and the learning rate is probably too high, much lower
and it is too low. Measured on sampled steps (weights copied before the step, compared after);
reported only when persistent (two epochs running) and when the loss shows the consequence.
"""

from __future__ import annotations

import statistics

import torch

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import sig
from optbench.engine import TrialContext

UPDATE_SAMPLE_EVERY = 50  # one copy of the weights per 50 steps
# Too high: 0.1, 100× the rule of thumb (a step moves a layer by a tenth of its size). Healthy
# setups of tests/diagnose have epoch medians from 2e-4 to 0.13 (torch Adagrad at lr=0.01 in
# its first epoch: above 0.1, but not for two epochs and not while the loss is in trouble).
UPDATE_RATIO_HIGH = 0.1
# Too low: 1e-6, 1000× below the rule of thumb (Keras-default Adagrad, the slowest healthy
# setup in tests/diagnose, stays above 1.5e-4; SGD at lr=1e-7 gives ~1e-7).
UPDATE_RATIO_LOW = 1e-6
PERSIST_EPOCHS = 2  # epochs in a row the median ratio must be out of range


class UpdateRatioMonitor(Monitor):
    """opt.update_ratio_high / opt.update_ratio_low from sampled ‖Δw‖/‖w‖ per layer."""

    sample_every = UPDATE_SAMPLE_EVERY

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.before: list[torch.Tensor] = []
        self.samples: list[float] = []  # this epoch: the largest layer ratio of each sample
        self.epoch_ratios: list[float] = []  # per finished epoch: median of `samples`

    def on_after_backward(
        self, ctx: TrialContext, loss: torch.Tensor, outputs: torch.Tensor
    ) -> list[Finding]:
        self.before = [p.detach().clone() for p in _weights(ctx)]
        return []

    def on_step_end(self, ctx: TrialContext, loss: torch.Tensor) -> list[Finding]:
        weights = _weights(ctx)
        if not self.before or len(weights) != len(self.before):
            return []
        pairs = zip(weights, self.before, strict=True)
        deltas = torch.stack([torch.linalg.vector_norm(p.detach() - b) for p, b in pairs])
        norms = torch.stack([torch.linalg.vector_norm(b) for b in self.before])
        self.samples.append(float((deltas / norms.clamp_min(1e-12)).max()))
        self.before = []
        return []

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        if self.samples:
            self.epoch_ratios.append(statistics.median(self.samples))
        self.samples = []
        recent = self.epoch_ratios[-PERSIST_EPOCHS:]
        if len(recent) < PERSIST_EPOCHS or not self.history.in_trouble():
            return []
        if all(r > UPDATE_RATIO_HIGH for r in recent):
            message = (
                f"Each step changes the most-updated layer by {_shown(recent)} of its size "
                f"(median per epoch; healthy ≈ 1e-3) while {self.history.trouble()}: the "
                "learning rate is too high."
            )
            return self.finding(ctx, "opt.update_ratio_high", message, record.epoch)
        if all(r < UPDATE_RATIO_LOW for r in recent):
            return self._too_low(ctx, record, recent)
        return []

    def _too_low(
        self, ctx: TrialContext, record: EpochRecord, recent: list[float]
    ) -> list[Finding]:
        """opt.update_ratio_low; it blames the learning rate only when no earlier finding of
        the trial explains why the weights stopped moving (dead units, a blow-up)."""
        if max(recent) == 0:
            what = "Optimizer steps do not change the weights at all (‖Δw‖ is exactly 0)"
        else:
            what = (
                f"Each step changes even the most-updated layer by only {_shown(recent)} of "
                "its size (median per epoch; healthy ≈ 1e-3)"
            )
        cause = self.cause(ctx, "opt.update_ratio_low")
        verdict = (
            f"the weights stopped moving because of `{cause.code}`, not because the "
            "learning rate is small"
            if cause is not None
            else "the learning rate is too low"
        )
        message = f"{what} while {self.history.trouble()}: {verdict}."
        return self.finding(ctx, "opt.update_ratio_low", message, record.epoch)


def _shown(ratios: list[float]) -> str:
    """Per-epoch ratios with significant digits (an exact 0 stays 0)."""
    return " then ".join(sig(r) for r in ratios)


def _weights(ctx: TrialContext) -> list[torch.Tensor]:
    return [p for p in ctx.model.parameters() if p.dim() >= 2 and p.requires_grad]
