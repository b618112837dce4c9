"""torch.optim.Adadelta, stepped by a native kernel (native/updates.cpp) where it applies.

    g ← g + wd·w;  v ← ρ·v + (1-ρ)·g²;  Δ = √(u + ε)/√(v + ε)·g;  u ← ρ·u + (1-ρ)·Δ²;  w ← w - lr·Δ

One pass over each tensor instead of ten operations: the seed MLP's step went from 300 µs
(torch's class) to 71 µs (AMD EPYC, one thread; benchmarks/results/optimizer_steps.md; two
square roots and a division per element are most of it). Same state and state dict as torch's
class; dense float32 CPU tensors only, and none of maximize, capturable, differentiable or
foreach=True (optim/native_update.py). Everything else, float64 included, runs torch's own
step — the reference tests/optim/test_optim_native.py compares against.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.native_update import Gathered, NativeTorchStep, kernel, scalar_dtype


class Adadelta(NativeTorchStep, torch.optim.Adadelta):
    """torch.optim.Adadelta with the same state, hyperparameters and results (to round-off)."""

    buffers = ("square_avg", "acc_delta")

    def init_state(self, p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = torch.zeros((), dtype=scalar_dtype())
        state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def native_step(self, group: dict[str, Any], gathered: Gathered, step: float) -> None:
        kernel("adadelta_update")(
            gathered.params,
            gathered.grads,
            gathered.buffers["square_avg"],
            gathered.buffers["acc_delta"],
            gathered.buffers["step"],
            step,
            group["lr"],
            group["rho"],
            group["eps"],
            group["weight_decay"],
        )
