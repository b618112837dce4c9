"""Keras 3 Adagrad (keras/src/optimizers/adagrad.py).

    s ← s + g²                (s starts at initial_accumulator_value = 0.1)
    w ← w - lr·g / √(s + ε)   (ε inside the root; torch adds 1e-10 outside and starts s at 0)

Defaults: lr=0.001, initial_accumulator_value=0.1, eps=1e-7.

The state kept is s + ε (`accumulator_plus_eps`), not s: it grows by g² just as s does, and
the step is then lr·g/√(state), which is torch's fused Adagrad kernel with ε = 0 (one pass
over each tensor instead of four). Equal to Keras' rule up to round-off
(tests/optim/test_optim_keras.py checks the fused and per-tensor paths, and float64 goldens).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from optbench.optim.keras.base import Gathered, KerasOptimizer, adagrad_fusable, keras_constant


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
        # Keras' Constant initializer casts the value through float32.
        start = keras_constant(group["initial_accumulator_value"]) + group["eps"]
        state["accumulator_plus_eps"] = torch.full_like(
            p, start, memory_format=torch.preserve_format
        )

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        return ("accumulator_plus_eps",) if adagrad_fusable(params) else None

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        self.adagrad_update(fused, group, "accumulator_plus_eps", group["lr"])

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # earlier versions kept s itself, as `accumulator`
            for p in group["params"]:
                state = self.state.get(p, {})
                if "accumulator" in state:
                    state["accumulator_plus_eps"] = state.pop("accumulator").add_(group["eps"])

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        s = state["accumulator_plus_eps"]
        s.addcmul_(grad, grad)
        p.addcdiv_(grad, s.sqrt(), value=-group["lr"])
