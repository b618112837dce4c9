"""Exploding and vanishing gradients, per layer and across depth, from sampled steps.

Every GRAD_SAMPLE_EVERY steps the monitor takes, for each weight matrix/kernel in the order
the model defines them (input side first), its gradient norm ‖g‖ and the ratio ‖g‖/‖w‖ — the
relative change one plain SGD step with lr = 1 would make, which compares layers of any size.
At epoch end it reads the median of each over the epoch's samples:

- across depth: backpropagation multiplies the gradient by each layer's Jacobian on its way
  to the input, so in a deep stack of saturating units (each sigmoid passes back at most a
  quarter of it) ‖g‖ shrinks geometrically from the last layer to the first. Vanishing: ‖g‖
  fell DEPTH_FACTOR-fold or more from the last weight layer to the first, shrinking at most
  steps on the way; exploding: it grew that much;
- per layer: exploding when some ratio is above EXPLODING_RATIO; vanishing when the smallest
  ratio is VANISHING_SPREAD of the largest, when every ratio is below VANISHING_ABS, or when
  no gradient reaches any weight at all.

Either is reported only while it matters: the loss stalled, or is still worse than chance.
Separately, `grad.missing`: a parameter that requires a gradient but received none on any
sampled step so far while others did, is cut off from the loss (a stray `.detach()`, a
`torch.no_grad()` block, a layer forward() never uses). That is a bug whatever the loss
does, so it is reported at once.
"""

from __future__ import annotations

import itertools
import math
import statistics

import torch
from torch import nn

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import sig
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
# Across depth: ‖g‖ of the first weight layer 100× below (vanishing) or above (exploding) the
# last one's, with at least 3 weight layers. In the healthy setups of tests/diagnose (epoch
# medians) ‖g‖ shrinks from the last layer to the first by at most 14× (two Glorot sigmoid
# layers; six ReLU layers: 10×) and grows by at most 5×; four Glorot sigmoid layers under SGD
# shrink it ~230× with the loss at chance (the case of issue 19), four PyTorch-initialised ones
# ~1500×.
DEPTH_FACTOR = 100.0
DEPTH_MIN_LAYERS = 3
# ... shrinking (growing) on at least this share of the steps between consecutive layers: a
# trend across depth, not one odd layer.
DEPTH_CONSISTENCY = 2 / 3
# grad.missing needs a parameter without a gradient on every sampled step of the trial so far,
# and at least this many samples (so one odd step says nothing).
MISSING_MIN_SAMPLES = 2


class GradientMonitor(Monitor):
    """grad.exploding / grad.vanishing from sampled per-layer ‖grad‖ and ‖grad‖/‖weight‖."""

    sample_every = GRAD_SAMPLE_EVERY

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.names: list[str] = []
        self.samples: list[list[float]] = []  # this epoch: one list of layer ratios per sample
        self.norms: list[list[float]] = []  # this epoch: one list of layer ‖g‖ per sample
        self.sampled = 0  # samples so far in the trial
        self.gradless: dict[str, int] = {}  # parameter → samples so far without a gradient

    def on_after_backward(
        self, ctx: TrialContext, loss: torch.Tensor, outputs: torch.Tensor
    ) -> list[Finding]:
        weights = _weights(ctx.model)
        if not weights:
            return []
        self.sampled += 1
        for name, p in ctx.model.named_parameters():
            if p.requires_grad and p.grad is None:
                self.gradless[name] = self.gradless.get(name, 0) + 1
        self.names = [name for name, _ in weights]
        grads = torch.stack([torch.linalg.vector_norm(p.grad) for _, p in weights])
        norms = torch.stack([torch.linalg.vector_norm(p.detach()) for _, p in weights])
        both = torch.stack([grads / norms.clamp_min(1e-12), grads]).tolist()  # one host sync
        self.samples.append(both[0])
        self.norms.append(both[1])
        return []

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        samples, self.samples = self.samples, []
        norms, self.norms = self.norms, []
        never = [name for name, count in self.gradless.items() if count == self.sampled]
        if self.sampled >= MISSING_MIN_SAMPLES and never:
            message = _missing(never, self.sampled)
            return self.finding(ctx, "grad.missing", message, record.epoch)
        if not samples or not self.history.in_trouble():
            return []
        ratios = [statistics.median(layer) for layer in zip(*samples, strict=True)]
        grads = [statistics.median(layer) for layer in zip(*norms, strict=True)]
        if not all(math.isfinite(v) for v in ratios + grads):
            return []  # non-finite gradients are the NaN monitor's
        for rule in (_exploding, _vanishing):
            message = rule(self.names, ratios, grads)
            if message is not None:
                code = "grad.exploding" if rule is _exploding else "grad.vanishing"
                text = f"{message}, and {self.history.trouble()}."
                return self.finding(ctx, code, text, record.epoch)
        return []


def _missing(names: list[str], samples: int) -> str:
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return (
        f"{len(names)} parameter(s) require a gradient but received none on any of the "
        f"{samples} sampled steps so far, while the other weights did: {shown}. They are cut "
        "off from the loss (a `.detach()`, a `torch.no_grad()` block, or a layer forward() "
        "never uses), so they never learn."
    )


def _exploding(names: list[str], ratios: list[float], grads: list[float]) -> str | None:
    top = max(range(len(ratios)), key=ratios.__getitem__)
    if ratios[top] > EXPLODING_RATIO:
        return (
            f"Gradients are exploding: ‖grad‖/‖weight‖ of {names[top]} is {sig(ratios[top])} "
            "(median over the epoch's samples; healthy runs stay near or below 1)"
        )
    if _depth_trend(grads) == "grows":
        return "Gradients explode with depth: " + _depth_story(names, grads)
    return None


def _vanishing(names: list[str], ratios: list[float], grads: list[float]) -> str | None:
    if max(grads) == 0:
        layers = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
        return (
            f"No gradient reaches any weight: ‖grad‖ is exactly 0 for every weight layer "
            f"({len(names)}: {layers}), so nothing can learn"
        )
    if _depth_trend(grads) == "shrinks":
        return "Gradients vanish with depth: " + _depth_story(names, grads)
    low = min(range(len(ratios)), key=ratios.__getitem__)
    top = max(range(len(ratios)), key=ratios.__getitem__)
    if low != top and ratios[low] < VANISHING_SPREAD * ratios[top]:
        low_text = sig(ratios[low]) if ratios[low] > 0 else "exactly 0"
        return (
            f"Gradients are vanishing: ‖grad‖/‖weight‖ is {low_text} for {names[low]} but "
            f"{sig(ratios[top])} for {names[top]}"
        )
    if ratios[top] < VANISHING_ABS:
        return (
            f"Gradients are vanishing: ‖grad‖/‖weight‖ is at most {sig(ratios[top])} (for "
            f"{names[top]}), far below what any step can use"
        )
    return None


def _depth_trend(grads: list[float]) -> str | None:
    """ "shrinks" / "grows" when ‖g‖ changes DEPTH_FACTOR-fold from the last weight layer to the
    first, consistently across the layers in between; None otherwise."""
    if len(grads) < DEPTH_MIN_LAYERS or grads[-1] <= 0:
        return None
    steps = list(itertools.pairwise(grads))  # (layer l, layer l+1), input side first
    shrinking = sum(a < b for a, b in steps) / len(steps)
    if grads[0] <= grads[-1] / DEPTH_FACTOR and shrinking >= DEPTH_CONSISTENCY:
        return "shrinks"
    if grads[0] >= grads[-1] * DEPTH_FACTOR and 1 - shrinking >= DEPTH_CONSISTENCY:
        return "grows"
    return None


def _depth_story(names: list[str], grads: list[float]) -> str:
    """‖g‖ from the last weight layer to the first, with the factor per layer."""
    factor = grads[-1] / grads[0] if grads[0] > 0 else math.inf
    per_layer = factor ** (1 / (len(grads) - 1)) if math.isfinite(factor) else math.inf
    if factor < 1:
        factor, per_layer = 1 / factor, 1 / per_layer
        change = "grows"
    else:
        change = "shrinks"
    trail = " → ".join(sig(g) for g in reversed(grads))
    return (
        f"‖grad‖ {change} {sig(factor)}× from {names[-1]} (the last weight layer, "
        f"{sig(grads[-1])}) to {names[0]} (the first, {sig(grads[0])}), about "
        f"{sig(per_layer)}× per layer over {len(grads)} layers ({trail}; medians over the "
        "epoch's samples)"
    )


def _weights(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Weight matrices and kernels with a gradient (biases and norm scales left out)."""
    return [
        (name, p) for name, p in model.named_parameters() if p.dim() >= 2 and p.grad is not None
    ]
