"""torch.optim.Adamax, stepped by a native kernel (native/updates.cpp) where it applies.

    g ← g + wd·w;  m ← m + (1-β₁)(g - m);  u ← max(β₂·u, |g| + ε);  w ← w - lr/(1-β₁ᵗ)·m/u

One pass over each tensor instead of eight operations: the seed MLP's step went from 145 µs
(torch's class) to 45 µs (AMD EPYC, one thread; benchmarks/results/optimizer_steps.md). Same
state and state dict as torch's class; dense float32 CPU tensors only, and none of maximize,
capturable, differentiable or foreach=True (optim/native_update.py). Everything else, float64
included, runs torch's own step — the reference tests/optim/test_optim_native.py compares
against.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.native_update import Gathered, NativeTorchStep, kernel, scalar_dtype


class Adamax(NativeTorchStep, torch.optim.Adamax):
    """torch.optim.Adamax with the same state, hyperparameters and results (to round-off)."""

    buffers = ("exp_avg", "exp_inf")

    def init_state(self, p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = torch.tensor(0.0, dtype=scalar_dtype())
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_inf"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def native_step(self, group: dict[str, Any], gathered: Gathered, step: float) -> None:
        beta1, beta2 = group["betas"]
        clr = group["lr"] / (1 - beta1**step)  # as torch: the step count read as a float
        kernel("adamax_update")(
            gathered.params,
            gathered.grads,
            gathered.buffers["exp_avg"],
            gathered.buffers["exp_inf"],
            gathered.buffers["step"],
            step,
            beta1,
            beta2,
            group["eps"],
            group["weight_decay"],
            clr,
        )
