"""LARS: layer-wise adaptive rate scaling (You, Gitman & Ginsburg 2017, arXiv:1708.03888).

Algorithm 1 of the paper, per weight tensor w with gradient g (γ = lr, β = weight_decay,
η = trust_coefficient, μ = momentum):

    λ = η·‖w‖ / (‖g‖ + β·‖w‖ + ε)          (λ = 1 when ‖w‖ = 0 or ‖g‖ = 0)
    v ← μ·v + γ·λ·(g + β·w)
    w ← w - v

Biases and normalisation parameters (`p.ndim <= 1`) are left out of the adaptation and of the
weight decay, as in the common implementations (they take v ← μ·v + γ·g). The learning rate sits
inside the velocity, as in the paper (torch.optim.SGD keeps it outside).

Defaults: momentum=0.9 and trust_coefficient=0.001 are the paper's; lr=1.0 and eps=1e-8 follow
timm's `Lars` (the paper tunes a base LR per batch size with warm-up and polynomial decay);
weight_decay=0.0 like every other optimizer here (the paper trains with 5e-4, set it explicitly).
State: one momentum buffer per parameter (4 bytes/param in float32) and a step counter.

For dense float32 CPU tensors a group's step is one native kernel call (native/updates.cpp:
the two norms in one pass, summed in double in a fixed order, then the update in a second;
171 → 49 µs on the seed MLP, AMD EPYC; optim/native_update.py); everything else, float64
included, runs `_update` below. The norms are the only arithmetic the kernel does otherwise
than the rule (float32 torch.linalg.vector_norm there), so the two agree to round-off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from optbench.optim.hparam import raise_value_error
from optbench.optim.native_update import (
    Gathered,
    NativeUpdate,
    closure_loss,
    kernel,
    reuse_or_gather,
)


class LARS(NativeUpdate, torch.optim.Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        trust_coefficient: float = 0.001,
        eps: float = 1e-8,
    ) -> None:
        defaults = raise_value_error(
            {
                "lr": lr,
                "momentum": momentum,
                "weight_decay": weight_decay,
                "trust_coefficient": trust_coefficient,
                "eps": eps,
            }
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = closure_loss(closure)
        for index, group in enumerate(self.param_groups):
            params = [p for p in group["params"] if p.grad is not None]
            gathered = self._native_tensors(index, group, params) if params else None
            if gathered is not None:
                self._native_update(gathered, group)
                continue
            for p in params:
                self._update(p, p.grad, self.state[p], group)
        return loss

    def _native_tensors(
        self, index: int, group: dict[str, Any], params: list[Tensor]
    ) -> Gathered | None:
        """The group's tensors for the native kernel (reused while they are the same objects),
        or None: the plain rule."""
        if not self.native:
            return None
        return reuse_or_gather(self, index, params, self._gather, group, params)

    def _gather(self, group: dict[str, Any], params: list[Tensor]) -> Gathered | None:
        if not self.native_fits(group, params):
            return None
        for p in params:
            if not self.state[p]:
                self._init_state(p, self.state[p], group)
        buffers = {"momentum_buffer" in self.state[p] for p in params}  # made at the start
        names = ("momentum_buffer",) * buffers.pop() if len(buffers) == 1 else None
        if names is None or not self.buffers_fit(params, names):
            return None
        return Gathered.gather(params, self.state, names)

    def _native_update(self, gathered: Gathered, group: dict[str, Any]) -> None:
        for state in gathered.states:
            state["step"] += 1
        kernel("lars_update")(
            gathered.params,
            gathered.grads,
            gathered.buffers.get("momentum_buffer", []),
            group["lr"],
            group["momentum"],
            group["weight_decay"],
            group["trust_coefficient"],
            group["eps"],
        )

    def _update(
        self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if grad.is_sparse:
            raise RuntimeError("LARS does not support sparse gradients")
        if not state:
            self._init_state(p, state, group)
        state["step"] += 1
        # weights get the trust ratio and weight decay; biases and norms (ndim ≤ 1) plain SGD
        step = self._scaled(p, grad, group) if p.ndim > 1 else grad * group["lr"]
        if "momentum_buffer" in state:
            step = state["momentum_buffer"].mul_(group["momentum"]).add_(step)
        p.sub_(step)

    @staticmethod
    def _init_state(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        if group["momentum"] != 0:
            state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    @staticmethod
    def _scaled(p: Tensor, grad: Tensor, group: dict[str, Any]) -> Tensor:
        """lr·λ·(g + β·w), with λ computed on-device (no host sync for the zero-norm check)."""
        wd, eta, eps = group["weight_decay"], group["trust_coefficient"], group["eps"]
        w_norm, g_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(grad)
        ratio = eta * w_norm / (g_norm + wd * w_norm + eps)
        ratio = torch.where((w_norm > 0) & (g_norm > 0), ratio, torch.ones_like(ratio))
        step = grad.add(p, alpha=wd) if wd else grad.clone()
        return step.mul_(ratio * group["lr"])
