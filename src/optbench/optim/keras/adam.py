"""Keras 3 Adam (keras/src/optimizers/adam.py).

    m ← m + (g - m)·(1-β₁);   v ← v + (g² - v)·(1-β₂);   (amsgrad: v̂ ← max(v̂, v), use v̂)
    α_t = lr·√(1-β₂ᵗ) / (1-β₁ᵗ)
    w ← w - α_t·m / (√v + ε)

ε is added to √v *after* the bias correction was folded into the step size, so it acts like
ε·√(1-β₂ᵗ) in torch's form. Defaults: lr=0.001, betas=(0.9, 0.999), eps=1e-7. In the bias
corrections Keras casts β to the variable's dtype through float32; in the averages it uses
1-β as a Python float.

That also means the rule is torch's AdamW with ε/√(1-β₂ᵗ) in place of ε (and Keras' decay,
w·(1 - lr·wd) before the update, is AdamW's): so a step runs as torch's fused AdamW kernel,
one pass over each tensor instead of six, ~4× faster on the seed MLP, equal up to round-off
(tests/optim/test_optim_keras.py checks both paths). Other devices or mixed parameters take
the plain per-tensor path.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import Gathered, KerasOptimizer, fusable, keras_constant
from optbench.optim.torch_private import fused_adamw


class KerasAdam(KerasOptimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, amsgrad=amsgrad, weight_decay=weight_decay
        )

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["momentum"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["velocity"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["amsgrad"]:
            state["velocity_hat"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        if not fusable(params):
            return None
        return (
            ("momentum", "velocity", "velocity_hat")
            if group["amsgrad"]
            else ("momentum", "velocity")
        )

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        t = fused.states[0]["step"] + 1
        for state in fused.states:
            state["step"] = t
        # The kernel takes one β for the averages and for the bias corrections. Keras uses 1-β
        # as a Python float in the averages but β cast through float32 in the corrections
        # (which moves 1-β₂ᵗ by ~1e-5 early on): so the kernel gets the exact β, and the step
        # size the ratio of Keras' corrections to the kernel's (the decay divided back out,
        # since the kernel scales it by the step size too).
        b1, b2 = group["betas"]
        kernel = math.sqrt(1 - b2**t) / (1 - b1**t)
        ratio = _keras_correction(group["betas"], t) / kernel
        fused_adamw(
            fused.params,
            fused.grads,
            fused.buffers["momentum"],
            fused.buffers["velocity"],
            fused.buffers.get("velocity_hat", []),
            t,
            lr=group["lr"] * ratio,
            beta1=b1,
            beta2=b2,
            weight_decay=keras_constant(group["weight_decay"]) / ratio,
            eps=group["eps"] / math.sqrt(1 - b2**t),
            amsgrad=group["amsgrad"],
        )

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        (b1, b2), t = group["betas"], state["step"]
        m, v = state["momentum"], state["velocity"]
        m.lerp_(grad, 1 - b1)  # m + (g - m)·(1-β₁), Keras' form
        v.lerp_(grad.square(), 1 - b2)
        if "velocity_hat" in state:
            torch.maximum(state["velocity_hat"], v, out=state["velocity_hat"])
            v = state["velocity_hat"]
        alpha = group["lr"] * _keras_correction((b1, b2), t)
        p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-alpha)


def _keras_correction(betas: tuple[float, float], t: int) -> float:
    """√(1-β₂ᵗ)/(1-β₁ᵗ) with β cast through float32, as Keras computes the step size."""
    r1, r2 = (keras_constant(b) for b in betas)
    return math.sqrt(1 - r2**t) / (1 - r1**t)
