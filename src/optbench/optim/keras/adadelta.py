"""Keras 3 Adadelta (keras/src/optimizers/adadelta.py), Zeiler 2012 with a learning rate.

    E[g²] ← ρ·E[g²] + (1-ρ)·g²
    Δ = -√(E[Δ²] + ε) / √(E[g²] + ε) · g
    E[Δ²] ← ρ·E[Δ²] + (1-ρ)·Δ²
    w ← w + lr·Δ

Same rule as torch.optim.Adadelta; the defaults differ: lr=0.001, rho=0.95, eps=1e-7
(torch: lr=1.0, rho=0.9, eps=1e-6).

For dense float32 CPU tensors a step is one native kernel call (native/updates.cpp: Keras'
decay and this rule in one pass over each tensor, 284 → 68 µs on the seed MLP, AMD EPYC;
optim/native_update.py); everything else, float64 included, runs `update` below.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import Gathered, KerasOptimizer
from optbench.optim.native_update import NativeUpdate, kernel


class KerasAdadelta(NativeUpdate, KerasOptimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        rho: float = 0.95,
        eps: float = 1e-7,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["accumulated_grad"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["accumulated_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        names = ("accumulated_grad", "accumulated_delta")
        fits = self.native_fits(group, params) and self.buffers_fit(params, names)
        return names if fits else None

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        _, decay = self.native_prologue(fused, group)
        kernel("keras_adadelta_update")(
            fused.params,
            fused.grads,
            fused.buffers["accumulated_grad"],
            fused.buffers["accumulated_delta"],
            group["lr"],
            group["rho"],
            group["eps"],
            decay,
        )

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        acc_g, acc_d = state["accumulated_grad"], state["accumulated_delta"]
        acc_g.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        delta = (acc_d + eps).sqrt_().mul_(grad).div_((acc_g + eps).sqrt_()).neg_()
        acc_d.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=group["lr"])
