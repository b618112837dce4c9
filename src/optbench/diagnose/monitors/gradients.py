"""Exploding and vanishing gradients, per layer, from sampled steps.

Every GRAD_SAMPLE_EVERY steps the monitor takes, for each weight matrix/kernel, the ratio
‖grad‖ / ‖weight‖ — the relative change one plain SGD step with lr = 1 would make, which
compares layers of any size. At epoch end it looks at the median over the epoch's samples:
- exploding: some layer's ratio is above EXPLODING_RATIO;
- vanishing: the smallest layer ratio is below VANISHING_SPREAD × the largest (the first
  layers get almost nothing while the last one learns), or every ratio is below
  VANISHING_ABS.
Either is reported only while it matters: the loss stalled, or is still worse than chance.
"""

from __future__ import annotations

import math
import statistics

import torch
from torch import nn

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.engine import TrialContext

# A sample every 50 steps: the norms of every weight gradient cost about one optimizer step.
GRAD_SAMPLE_EVERY = 50
# Exploding: ‖g‖/‖w‖ > 10, so one SGD step at lr=0.1 would change the layer by its whole size.
# Healthy setups in tests/diagnose stay at or below 1.2 (over 12 epochs); 0–255 inputs and a
# 5-layer net with 8× initial weights go above 10.
EXPLODING_RATIO = 10.0
# Vanishing: a layer's ratio 1e-4 × the largest layer's (healthy 1–3 layer MLPs: > 1e-2; a
# 10-layer sigmoid stack: ~1e-6; Glorot & Bengio, 2010, show the per-layer decay).
VANISHING_SPREAD = 1e-4
# ... or all gradients tiny relative to their weights (the whole network gets nothing).
VANISHING_ABS = 1e-7


class GradientMonitor(Monitor):
    """grad.exploding / grad.vanishing from sampled per-layer ‖grad‖/‖weight‖ ratios."""

    sample_every = GRAD_SAMPLE_EVERY

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.names: list[str] = []
        self.samples: list[list[float]] = []  # this epoch: one list of layer ratios per sample

    def on_after_backward(
        self, ctx: TrialContext, loss: torch.Tensor, outputs: torch.Tensor
    ) -> list[Finding]:
        weights = _weights(ctx.model)
        if not weights:
            return []
        self.names = [name for name, _ in weights]
        grads = torch.stack([torch.linalg.vector_norm(p.grad) for _, p in weights])
        norms = torch.stack([torch.linalg.vector_norm(p.detach()) for _, p in weights])
        self.samples.append((grads / norms.clamp_min(1e-12)).tolist())
        return []

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        samples, self.samples = self.samples, []
        if not samples or not self.history.in_trouble():
            return []
        ratios = [statistics.median(layer) for layer in zip(*samples, strict=True)]
        if any(not math.isfinite(r) for r in ratios):
            return []  # non-finite gradients are the NaN monitor's
        top = max(range(len(ratios)), key=ratios.__getitem__)
        low = min(range(len(ratios)), key=ratios.__getitem__)
        if ratios[top] > EXPLODING_RATIO:
            message = (
                f"Gradients are exploding: ‖grad‖/‖weight‖ of {self.names[top]} is "
                f"{ratios[top]:.3g} (median over the epoch's samples; healthy runs stay near or "
                f"below 1), and {self.history.trouble()}."
            )
            return self.finding(ctx, "grad.exploding", message, record.epoch)
        spread = ratios[low] / ratios[top] if ratios[top] > 0 else 0.0
        if (len(ratios) > 1 and spread < VANISHING_SPREAD) or ratios[top] < VANISHING_ABS:
            message = (
                f"Gradients are vanishing: ‖grad‖/‖weight‖ is {ratios[low]:.2g} for "
                f"{self.names[low]} but {ratios[top]:.2g} for {self.names[top]}, and "
                f"{self.history.trouble()}."
            )
            return self.finding(ctx, "grad.vanishing", message, record.epoch)
        return []


def _weights(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Weight matrices and kernels with a gradient (biases and norm scales left out)."""
    return [
        (name, p) for name, p in model.named_parameters() if p.dim() >= 2 and p.grad is not None
    ]
