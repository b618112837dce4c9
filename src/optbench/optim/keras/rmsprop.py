"""Keras 3 RMSprop (keras/src/optimizers/rmsprop.py). Keras' `rho` is called `alpha` here.

    v ← α·v + (1-α)·g²
    centered:  a ← α·a + (1-α)·g;   d = v - a² + ε      else  d = v + ε
    Δ = lr·g / √d                                       (ε inside the root; torch adds it outside)
    momentum > 0:  b ← μ·b + Δ;  w ← w - b             else  w ← w - Δ

Defaults: lr=0.001, alpha(rho)=0.9, eps=1e-7, momentum=0, centered=False.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import KerasOptimizer


class KerasRMSprop(KerasOptimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        alpha: float = 0.9,
        eps: float = 1e-7,
        momentum: float = 0.0,
        centered: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            alpha=alpha,
            eps=eps,
            momentum=momentum,
            centered=centered,
            weight_decay=weight_decay,
        )

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["velocity"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["momentum"] > 0:
            state["momentum"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["centered"]:
            state["average_gradient"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho, eps = group["alpha"], group["eps"]
        v = state["velocity"]
        v.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        if "average_gradient" in state:
            a = state["average_gradient"]
            a.mul_(rho).add_(grad, alpha=1 - rho)
            denominator = torch.addcmul(v, a, a, value=-1).add_(eps)
        else:
            denominator = v + eps
        if "momentum" in state:
            b = state["momentum"]
            b.mul_(group["momentum"]).add_((grad * group["lr"]).div_(denominator.sqrt_()))
            p.sub_(b)
        else:  # w - lr·g/√(v+ε) in one pass (two fewer passes over the tensor than Keras' form)
            p.addcdiv_(grad, denominator.sqrt_(), value=-group["lr"])
