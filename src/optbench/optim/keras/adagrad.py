"""Keras 3 Adagrad (keras/src/optimizers/adagrad.py).

    s ← s + g²                (s starts at initial_accumulator_value = 0.1)
    w ← w - lr·g / √(s + ε)   (ε inside the root; torch adds 1e-10 outside and starts s at 0)

Defaults: lr=0.001, initial_accumulator_value=0.1, eps=1e-7.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import KerasOptimizer


class KerasAdagrad(KerasOptimizer):
    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        initial_accumulator_value: float = 0.1,
        eps: float = 1e-7,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            weight_decay=weight_decay,
        )

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["accumulator"] = torch.full_like(
            p, group["initial_accumulator_value"], memory_format=torch.preserve_format
        )

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        s = state["accumulator"]
        s.addcmul_(grad, grad)
        p.addcdiv_(grad, (s + group["eps"]).sqrt_(), value=-group["lr"])
