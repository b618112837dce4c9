"""Keras 3 Nadam (keras/src/optimizers/nadam.py), Dozat 2016 with the momentum schedule.

    μ_t = β₁·(1 - ½·0.96ᵗ);   μ_{t+1} = β₁·(1 - ½·0.96ᵗ⁺¹);   Π_t = μ₁·…·μ_t
    m ← m + (g - m)·(1-β₁);   v ← v + (g² - v)·(1-β₂)
    m̂ = μ_{t+1}·m / (1 - Π_t·μ_{t+1}) + (1-μ_t)·g / (1 - Π_t)
    v̂ = v / (1-β₂ᵗ)
    w ← w - lr·m̂ / (√v̂ + ε)

Keras 3 raises 0.96 to the step t itself. Keras 2, TF's optimizer_v2 docs and torch.optim.NAdam
use 0.96^(0.004·t) (torch: `momentum_decay=0.004`), a far slower warm-up of μ; this class follows
the Keras 3 source. Defaults: lr=0.001, betas=(0.9, 0.999), eps=1e-7 (torch: lr=0.002, eps=1e-8).

Keras casts β₁, β₂ and 0.96 to the variable's dtype through float32 in the update, but keeps
the running product Π with β₁ and 0.96 as Python floats (tests/optim/keras3 checks both).

For dense float32 CPU tensors a step is one native kernel call (native/updates.cpp: Keras'
decay and this rule in one pass over each tensor, the step's constants computed here as
`update` computes them; 226 → 62 µs on the seed MLP, AMD EPYC; optim/native_update.py);
everything else, float64 included, runs `update` below.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import Gathered, KerasOptimizer, keras_constant
from optbench.optim.native_update import NativeUpdate, kernel


class KerasNadam(NativeUpdate, KerasOptimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["u_product"] = 1.0  # Π_0, a scalar (Keras keeps one per optimizer)
        state["momentum"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["velocity"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        names = ("momentum", "velocity")
        if not (self.native_fits(group, params) and self.buffers_fit(params, names)):
            return None
        products = {self.state[p]["u_product"] for p in params}
        return names if len(products) == 1 else None  # one set of constants for the kernel

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        t, decay = self.native_prologue(fused, group)
        (b1, b2), first = group["betas"], fused.states[0]
        u_product = first["u_product"] * b1 * (1.0 - 0.5 * 0.96**t)  # as `update`
        for state in fused.states:
            state["u_product"] = u_product
        b1, b2, decay_base = keras_constant(b1), keras_constant(b2), keras_constant(0.96)
        u_t = b1 * (1.0 - 0.5 * decay_base**t)
        u_next = b1 * (1.0 - 0.5 * decay_base ** (t + 1))
        kernel("keras_nadam_update")(
            fused.params,
            fused.grads,
            fused.buffers["momentum"],
            fused.buffers["velocity"],
            group["lr"],
            b1,
            b2,
            group["eps"],
            decay,
            u_next / (1 - u_product * u_next),
            (1 - u_t) / (1 - u_product),
            1 - b2**t,
        )

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        (b1, b2), t = group["betas"], state["step"]
        u_product = state["u_product"] * b1 * (1.0 - 0.5 * 0.96**t)
        state["u_product"] = u_product
        b1, b2, decay = keras_constant(b1), keras_constant(b2), keras_constant(0.96)
        u_t = b1 * (1.0 - 0.5 * decay**t)
        u_next = b1 * (1.0 - 0.5 * decay ** (t + 1))
        m, v = state["momentum"], state["velocity"]
        m.lerp_(grad, 1 - b1)  # m + (g - m)·(1-β₁), Keras' form
        v.lerp_(grad.square(), 1 - b2)
        m_hat = (m * (u_next / (1 - u_product * u_next))).add_(
            grad, alpha=(1 - u_t) / (1 - u_product)
        )
        denominator = (v / (1 - b2**t)).sqrt_().add_(group["eps"])  # √v̂ + ε
        p.addcdiv_(m_hat, denominator, value=-group["lr"])
