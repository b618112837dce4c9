"""Keras 3 SGD (keras/src/optimizers/sgd.py).

    no momentum:  w ← w - lr·g
    momentum:     m ← μ·m - lr·g;   w ← w + m
    nesterov:     m ← μ·m - lr·g;   w ← w + μ·m - lr·g

Unlike torch.optim.SGD, the learning rate sits *inside* the velocity (m starts at 0, not at g).
Defaults: lr=0.01, momentum=0. Keras casts μ to the variable's dtype through float32.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import KerasOptimizer, keras_constant


class KerasSGD(KerasOptimizer):
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
