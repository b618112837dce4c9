"""torch.optim.NAdam, stepped by a native kernel (native/updates.cpp) where it applies.

    μ_t = β₁·(1 - ½·0.96^(ψ·t));  Π_t = μ₁⋯μ_t  (ψ = momentum_decay = 0.004)
    g ← g + wd·w  (decoupled_weight_decay: w ← w·(1 - lr·wd) instead)
    m ← m + (1-β₁)(g - m);  v ← β₂·v + (1-β₂)·g²;  d = √(v/(1-β₂ᵗ)) + ε
    w ← w - lr·(1-μ_t)/(1-Π_t)·g/d - lr·μ_{t+1}/(1-Π_t·μ_{t+1})·m/d

One pass over each tensor instead of eleven operations: the seed MLP's step went from 268 µs
(torch's class) to 82 µs (AMD EPYC, one thread; benchmarks/results/optimizer_steps.md). Same
state and state dict as torch's class, Π included (a 0-d tensor of torch's scalar dtype,
multiplied by μ_t in that dtype, as torch's `mu_product *= mu` rounds it); dense float32 CPU
tensors only, and none of maximize, capturable, differentiable or foreach=True
(optim/native_update.py). Everything else, float64 included, runs torch's own step — the
reference tests/optim/test_optim_native.py compares against.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.native_update import (
    Gathered,
    NativeTorchStep,
    float32,
    kernel,
    scalar_dtype,
)


class NAdam(NativeTorchStep, torch.optim.NAdam):
    """torch.optim.NAdam with the same state, hyperparameters and results (to round-off)."""

    buffers = ("exp_avg", "exp_avg_sq")
    scalars = ("mu_product",)

    def init_state(self, p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = torch.tensor(0.0, dtype=scalar_dtype())
        state["mu_product"] = torch.tensor(1.0, dtype=scalar_dtype())
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def native_step(self, group: dict[str, Any], gathered: Gathered, step: float) -> None:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        products = gathered.buffers["mu_product"]  # all equal (NativeTorchStep checks)
        old = float(products[0])
        # torch's `mu_product *= mu`: in the tensor's dtype (float32 rounds μ_t first)
        product = old * mu if products[0].dtype == torch.float64 else float32(old * float32(mu))
        decoupled = group["decoupled_weight_decay"] and wd != 0
        kernel("nadam_update")(
            gathered.params,
            gathered.grads,
            gathered.buffers["exp_avg"],
            gathered.buffers["exp_avg_sq"],
            gathered.buffers["step"],
            products,
            step,
            old,
            product,
            beta1,
            beta2,
            group["eps"],
            0.0 if decoupled else wd,
            1 - lr * wd if decoupled else 1.0,
            1 - beta2**step,
            -lr * (1.0 - mu) / (1.0 - product),
            (-lr * mu_next) / (1.0 - product * mu_next),
        )
