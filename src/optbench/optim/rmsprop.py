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

from optbench.optim.native_update import Gathered, closure_loss, reuse_or_gather
from optbench.optim.torch_private import count_step, fused_adam, share_step_counts

# What the fused path takes; float64 runs torch's loop (the reference, see the docstring).
KERNEL_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


class RMSprop(torch.optim.RMSprop):
    """torch.optim.RMSprop with the same state, hyperparameters and results (to round-off)."""

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        gathered = [
            reuse_or_gather(self, index, group["params"], self._gather, group)
            if _plain(group)
            else None
            for index, group in enumerate(self.param_groups)
        ]
        if any(fused is None for fused in gathered):
            return super().step(closure)
        loss = closure_loss(closure)
        for fused, group in zip(gathered, self.param_groups, strict=True):
            self._step_fused(fused, group)  # type: ignore[arg-type]
        return loss

    def _gather(self, group: dict[str, Any]) -> Gathered | None:
        """The group's tensors for the fused kernel (their state created as torch does, at
        the first step), if it applies to all of them: one dtype it takes, one device, dense
        gradients, all at the same step."""
        params = group["params"]
        first = params[0] if params else None
        if first is None or not (
            first.device.type in ("cpu", "cuda")
            and first.dtype in KERNEL_DTYPES
            and all(
                p.grad is not None
                and not p.grad.is_sparse
                and p.dtype == first.dtype
                and p.device == first.device
                for p in params
            )
        ):
            return None
        for p in params:
            if not self.state[p]:
                self.state[p]["step"] = torch.zeros((), dtype=torch.float32)
                self.state[p]["square_avg"] = torch.zeros_like(
                    p, memory_format=torch.preserve_format
                )
        fused = Gathered.gather(params, self.state, ("step", "square_avg"))
        if len({float(t) for t in fused.buffers["step"]}) != 1:
            return None
        share_step_counts(fused)
        return fused

    @staticmethod
    def _step_fused(fused: Gathered, group: dict[str, Any]) -> None:
        count_step(fused)
        t = int(fused.buffers["step"][0])
        correction = math.sqrt(1 - group["alpha"] ** t)
        fused_adam(
            fused.params,
            fused.grads,
            fused.grads,  # β₁ = 0: the kernel's average is the gradient, written back unchanged
            fused.buffers["square_avg"],
            t,
            lr=group["lr"] / correction,
            beta1=0.0,
            beta2=group["alpha"],
            eps=group["eps"] / correction,
        )


def _plain(group: dict[str, Any]) -> bool:
    """Plain RMSprop: the rule the fused kernel computes."""
    return (
        group["momentum"] == 0
        and not group["centered"]
        and group["weight_decay"] == 0
        and not group["maximize"]
        and not group["differentiable"]
        and not group["capturable"]
    )
