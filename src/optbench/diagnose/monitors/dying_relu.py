"""Dying ReLU: units that output zero for every example of the probe batch.

A ReLU unit whose pre-activation is negative for every input gets no gradient and never
recovers (Lu et al., 2019, "Dying ReLU and Initialization"). Checked once per epoch with
forward hooks on the fixed probe batch (a training batch), for nn.ReLU modules.
"""

from __future__ import annotations

import torch
from torch import nn

from optbench.diagnose.monitors.layer_share import LayerShareMonitor

# Reported when at least half of a layer's units are dead *and* the loss is stuck or worse than
# chance (History.in_trouble). Healthy ReLU
# MLPs in tests/diagnose have at most 28% dead units on the probe batch (over 12 epochs); some
# dead units are normal and harmless, so the share alone is never reported.
DEAD_SHARE = 0.5


class DyingReluMonitor(LayerShareMonitor):
    """act.dying_relu: share of never-active units per ReLU layer on the probe batch."""

    code = "act.dying_relu"
    kinds = (nn.ReLU, nn.ReLU6)
    threshold = DEAD_SHARE

    def share(self, module: nn.Module, out: torch.Tensor) -> float:
        return float((out.flatten(1) > 0).any(0).logical_not().float().mean())

    def says(self, examples: int, layers: str) -> str:
        return f"Dead ReLU units (never active on {examples} training examples): {layers}"
