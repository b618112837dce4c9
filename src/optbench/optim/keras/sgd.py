"""Keras 3 SGD (keras/src/optimizers/sgd.py).

    no momentum:  w ← w - lr·g
    momentum:     m ← μ·m - lr·g;   w ← w + m
    nesterov:     m ← μ·m - lr·g;   w ← w + μ·m - lr·g

Unlike torch.optim.SGD, the learning rate sits *inside* the velocity (m starts at 0, not at g).
Defaults: lr=0.01, momentum=0. Keras casts μ to the variable's dtype through float32.

For dense float32 CPU tensors a step is one native kernel call (native/updates.cpp: Keras'
decay and this rule in one pass over each tensor; on the seed MLP, AMD EPYC: plain 49 → 20 µs,
momentum 79 → 28 µs, nesterov 100 → 28 µs; optim/native_update.py); everything else, float64
included, runs `update` below.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import Gathered, KerasOptimizer, keras_constant
from optbench.optim.native_update import NativeUpdate, kernel


class KerasSGD(NativeUpdate, KerasOptimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay
        )

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if group["momentum"] != 0:
            state["momentum"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        if not self.native_fits(group, params):
            return None
        with_momentum = {"momentum" in self.state[p] for p in params}  # created at the start
        names = ("momentum",) * with_momentum.pop() if len(with_momentum) == 1 else None
        return names if names is not None and self.buffers_fit(params, names) else None

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        _, decay = self.native_prologue(fused, group)
        kernel("keras_sgd_update")(
            fused.params,
            fused.grads,
            fused.buffers.get("momentum", []),
            group["lr"],
            keras_constant(group["momentum"]),
            group["nesterov"],
            decay,
        )

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, mu = group["lr"], keras_constant(group["momentum"])
        step = grad * lr
        if "momentum" not in state:
            p.sub_(step)
            return
        m = state["momentum"]
        m.mul_(mu).sub_(step)
        if group["nesterov"]:
            p.add_(m, alpha=mu).sub_(step)
        else:
            p.add_(m)
