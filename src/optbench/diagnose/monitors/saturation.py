"""Saturated sigmoid/tanh units: outputs at the flat ends, where the derivative is ~0.

Glorot & Bengio (2010) show sigmoid hidden layers saturating at 0 and learning stalling. Checked
once per epoch with forward hooks on the fixed probe batch, for hidden nn.Sigmoid/nn.Tanh
modules (an output head is left out: confident predictions are its job).
"""

from __future__ import annotations

import torch
from torch import nn

from optbench.diagnose.monitors.layer_share import LayerShareMonitor

# Saturated output: sigmoid below 0.01 or above 0.99 (derivative < 0.0099, under 4% of its
# maximum 0.25); tanh beyond ±0.99 (derivative 1 - a² < 0.02, under 2% of its maximum).
SATURATION_EPS = 0.01
# Reported when at least 60% of a layer's outputs on the probe batch are saturated *and* the
# loss is stuck or worse than chance (History.in_trouble); the healthy sigmoid/tanh MLPs
# of tests/diagnose stay at or below 1% (over 12 epochs), the faulty ones reach 98-100%.
SATURATED_SHARE = 0.6


class SaturationMonitor(LayerShareMonitor):
    """act.saturated: share of saturated sigmoid/tanh outputs per hidden layer."""

    code = "act.saturated"
    kinds = (nn.Sigmoid, nn.Tanh)
    threshold = SATURATED_SHARE

    def share(self, module: nn.Module, out: torch.Tensor) -> float:
        return saturated_share(module, out)

    def says(self, examples: int, layers: str) -> str:
        return (
            f"Saturated units (outputs within {SATURATION_EPS} of their limits on {examples} "
            f"training examples): {layers}"
        )


def saturated_share(module: nn.Module, out: torch.Tensor) -> float:
    """Fraction of the layer's outputs in the flat ends of its curve."""
    if isinstance(module, nn.Sigmoid):
        flat = (out < SATURATION_EPS) | (out > 1 - SATURATION_EPS)
    else:
        flat = out.abs() > 1 - SATURATION_EPS
    return float(flat.float().mean())
