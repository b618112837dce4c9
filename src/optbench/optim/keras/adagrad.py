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

from optbench.optim.keras.base import KerasOptimizer, fusable


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
        start = group["initial_accumulator_value"] + group["eps"]
        state["accumulator_plus_eps"] = torch.full_like(
            p, start, memory_format=torch.preserve_format
        )

    def step_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        for p in params:
            _from_older_checkpoint(self.state[p], group)
        # torch's fused Adagrad kernel exists for CPU tensors only.
        if not (params and params[0].device.type == "cpu" and fusable(params)):
            super().step_group(params, group)
            return
        for p in params:
            self.state[p]["step"] += 1
            self._decay(p, group)
        # The kernel reads the step only for lr_decay, which Keras does not have.
        step = torch.full((), float(self.state[params[0]]["step"]))
        torch._fused_adagrad_(
            params,
            [p.grad for p in params],
            [self.state[p]["accumulator_plus_eps"] for p in params],
            [step] * len(params),
            lr=group["lr"],
            lr_decay=0.0,
            weight_decay=0.0,  # Keras' decay is the decoupled one, applied above
            eps=0.0,  # ε is in the state
            maximize=False,
        )

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        s = state["accumulator_plus_eps"]
        s.addcmul_(grad, grad)
        p.addcdiv_(grad, s.sqrt(), value=-group["lr"])


def _from_older_checkpoint(state: dict[str, Any], group: dict[str, Any]) -> None:
    """Checkpoints of earlier optbench versions hold s itself, as `accumulator`."""
    if "accumulator" in state:
        state["accumulator_plus_eps"] = state.pop("accumulator").add_(group["eps"])
