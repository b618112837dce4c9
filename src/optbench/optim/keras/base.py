"""What every Keras 3 optimizer does around its own update rule.

Keras' `BaseOptimizer.apply` first applies weight decay to every variable,
`var ← var - var·wd·lr` (decoupled, scaled by the learning rate), then calls the optimizer's
`update_step(grad, var, lr)` with the 1-based step `t`. Subclasses implement `update`.

Differences from Keras, all below float32 round-off: scalar coefficients (β^t, the Nadam
schedule) are computed in Python float64, and `t` is counted per parameter (like torch.optim),
not once per optimizer, so it only differs when some parameter has no gradient at a step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from optbench.optim.hparam import raise_value_error


class KerasOptimizer(torch.optim.Optimizer):
    """Base class: Keras-style weight decay, then `update(p, grad, state, group)` per tensor."""

    def __init__(self, params: Any, **defaults: Any) -> None:
        super().__init__(params, raise_value_error(defaults))

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Create the per-parameter buffers (called once, at the first step)."""

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if any(p.grad.is_sparse for p in params):
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            for p in params:
                if not self.state[p]:
                    self.state[p]["step"] = 0
                    self.init_state(p, self.state[p], group)
            self.step_group(params, group)
        return loss

    def step_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        """One step for the parameters of `group` that have gradients (state initialised)."""
        for p in params:
            state = self.state[p]
            state["step"] += 1
            self._decay(p, group)
            self.update(p, p.grad, state, group)

    def fused_adagrad_step(
        self, params: list[Tensor], group: dict[str, Any], key: str, lr: float
    ) -> None:
        """Keras' decay, then torch's fused Adagrad kernel with ε = 0: state[key] += g²,
        w -= lr·g/√state[key]. Adagrad and RMSprop keep a state for which this is their rule
        (ε, and RMSprop's scaling, live in the state); `adagrad_fusable` says when it runs."""
        for p in params:
            self.state[p]["step"] += 1
            self._decay(p, group)
        # The kernel reads the step only for lr_decay, which is 0 here.
        step = torch.full((), float(self.state[params[0]]["step"]))
        torch._fused_adagrad_(
            params,
            [p.grad for p in params],
            [self.state[p][key] for p in params],
            [step] * len(params),
            lr=lr,
            lr_decay=0.0,
            weight_decay=0.0,  # Keras' decay is the decoupled one, applied above
            eps=0.0,
            maximize=False,
        )

    @staticmethod
    def _decay(p: Tensor, group: dict[str, Any]) -> None:
        """Keras' `var - var·wd·lr`, written in place as var·(1 - wd·lr) (no temporary)."""
        wd = group["weight_decay"]
        if wd:
            p.mul_(1 - wd * group["lr"])


def fusable(params: list[Tensor]) -> bool:
    """torch's fused kernels take dense floating tensors of one dtype on one CPU/CUDA device."""
    first = params[0]
    return first.device.type in ("cpu", "cuda") and all(
        p.device == first.device
        and p.dtype == first.dtype
        and p.dtype.is_floating_point
        and p.grad is not None
        and p.grad.dtype == p.dtype
        and not p.grad.is_sparse
        for p in params
    )


def adagrad_fusable(params: list[Tensor]) -> bool:
    """torch's fused Adagrad kernel exists for CPU tensors only."""
    return bool(params) and params[0].device.type == "cpu" and fusable(params)
