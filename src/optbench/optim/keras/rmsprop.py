"""Keras 3 RMSprop (keras/src/optimizers/rmsprop.py). Keras' `rho` is called `alpha` here.

    v ← α·v + (1-α)·g²
    centered:  a ← α·a + (1-α)·g;   d = v - a² + ε      else  d = v + ε
    Δ = lr·g / √d                                       (ε inside the root; torch adds it outside)
    momentum > 0:  b ← μ·b + Δ;  w ← w - b             else  w ← w - Δ

Defaults: lr=0.001, alpha(rho)=0.9, eps=1e-7, momentum=0, centered=False.

Plain RMSprop (not centered, no momentum) keeps u = (v + ε)/(1-α) instead of v
(`scaled_velocity`). Then u ← α·u + ε + g² and Δ = lr/√(1-α) · g/√u: one lerp_ pass and
torch's fused Adagrad kernel (u += g², w -= lr'·g/√u) instead of five passes over each
tensor. Equal to Keras' rule up to round-off (tests/optim/test_optim_keras.py checks the
fused and per-tensor paths, and float64 goldens).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import Gathered, KerasOptimizer, adagrad_fusable


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
        if _plain(group):
            start = group["eps"] / (1 - group["alpha"])
            state["scaled_velocity"] = torch.full_like(
                p, start, memory_format=torch.preserve_format
            )
            return
        state["velocity"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["momentum"] > 0:
            state["momentum"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["centered"]:
            state["average_gradient"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        return ("scaled_velocity",) if _plain(group) and adagrad_fusable(params) else None

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        rho = group["alpha"]
        towards = torch.tensor(group["eps"] / (1 - rho), dtype=fused.params[0].dtype)
        for u in fused.buffers["scaled_velocity"]:
            u.lerp_(towards, 1 - rho)  # u ← α·u + ε
        self.adagrad_update(fused, group, "scaled_velocity", group["lr"] / math.sqrt(1 - rho))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # earlier versions kept v itself for plain RMSprop
            for p in group["params"] if _plain(group) else ():
                state = self.state.get(p, {})
                if "velocity" in state:
                    v = state.pop("velocity")
                    state["scaled_velocity"] = v.add_(group["eps"]).div_(1 - group["alpha"])

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho, eps = group["alpha"], group["eps"]
        if "scaled_velocity" in state:  # plain RMSprop off the CPU: the fused rule, unfused
            u = state["scaled_velocity"]
            u.mul_(rho).add_(eps).addcmul_(grad, grad)
            p.addcdiv_(grad, u.sqrt(), value=-group["lr"] / math.sqrt(1 - rho))
            return
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
        else:
            p.addcdiv_(grad, denominator.sqrt_(), value=-group["lr"])


def _plain(group: dict[str, Any]) -> bool:
    return not group["centered"] and group["momentum"] <= 0
