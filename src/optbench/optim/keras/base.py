"""What every Keras 3 optimizer does around its own update rule.

Keras' `BaseOptimizer.apply` first applies weight decay to every variable,
`var ← var - var·wd·lr` (decoupled, scaled by the learning rate), then calls the optimizer's
`update_step(grad, var, lr)` with the 1-based step `t`. Subclasses implement `update`.

Keras casts some of its Python-float constants to the variable's dtype with `ops.cast`, which
goes through float32 first (`ops.cast(0.9, "float64")` is 0.8999999761581421): β in the bias
corrections, SGD's momentum, the weight decay, Adagrad's initial accumulator, Nadam's β and
0.96. Others it uses as Python floats (1-β, ρ, ε). The ports round exactly the same ones
(`keras_constant`), which matters in float64, where they match real Keras 3 to 1e-12
(tests/optim/test_optim_keras3_goldens.py). Float64 always takes the plain per-tensor rule;
the fused kernels, for float32 and lower, agree with it up to round-off. Remaining
difference: `t` is counted per parameter (like torch.optim), not once per optimizer, so it
only differs when some parameter has no gradient at a step.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from optbench.optim.hparam import raise_value_error
from optbench.optim.native_update import Gathered, closure_loss, reuse_or_gather
from optbench.optim.torch_private import fused_adagrad


class KerasOptimizer(torch.optim.Optimizer):
    """Base class: Keras-style weight decay, then `update(p, grad, state, group)` per tensor.

    A subclass with a fused update (one kernel over every tensor of a group) names the state
    buffers it reads in `fused_buffers` and implements `fused_update`; `step` then gathers a
    group's tensors once (`Gathered`) and reuses them while they stay the same objects.
    """

    def __init__(self, params: Any, **defaults: Any) -> None:
        super().__init__(params, raise_value_error(defaults))

    def init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Create the per-parameter buffers (called once, at the first step)."""

    def update(self, p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    def fused_buffers(self, group: dict[str, Any], params: list[Tensor]) -> tuple[str, ...] | None:
        """The state buffers a fused update of `params` reads, or None: no fused update."""
        return None

    def fused_update(self, fused: Gathered, group: dict[str, Any]) -> None:
        """One step for every tensor of `fused` (its state steps all equal), as `step_group`."""
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = closure_loss(closure)
        for index, group in enumerate(self.param_groups):
            fused = reuse_or_gather(self, index, group["params"], self._gather, group)
            # `native` (NativeUpdate's) may have been switched off since the tensors were gathered
            if fused is not None and fused.steps_agree() and getattr(self, "native", True):
                self.fused_update(fused, group)
            else:
                self.step_group(self._with_grads(group), group)
        return loss

    def step_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        """One step for the parameters of `group` that have gradients (state initialised)."""
        for p in params:
            state = self.state[p]
            state["step"] += 1
            self._decay(p, group)
            self.update(p, p.grad, state, group)

    def _with_grads(self, group: dict[str, Any]) -> list[Tensor]:
        """The group's parameters that have a gradient, their state initialised."""
        params = [p for p in group["params"] if p.grad is not None]
        if any(p.grad.is_sparse for p in params):
            raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
        for p in params:
            if not self.state[p]:
                self.state[p]["step"] = 0
                self.init_state(p, self.state[p], group)
        return params

    def _gather(self, group: dict[str, Any]) -> Gathered | None:
        """The group's tensors for the fused update, if one applies to the whole group now."""
        params = self._with_grads(group)
        names = self.fused_buffers(group, params) if params else None
        if names is None or len(params) != len(group["params"]):
            return None
        fused = Gathered.gather(params, self.state, names)
        return fused if fused.steps_agree() else None  # edited by hand: per tensor copes

    def adagrad_update(self, fused: Gathered, group: dict[str, Any], key: str, lr: float) -> None:
        """Keras' decay, then torch's fused Adagrad kernel with ε = 0: state[key] += g²,
        w -= lr·g/√state[key]. Adagrad and RMSprop keep a state for which this is their rule
        (ε, and RMSprop's scaling, live in the state); `adagrad_fusable` says when it runs."""
        for state in fused.states:
            state["step"] += 1
        for p in fused.params:
            self._decay(p, group)
        # Keras' decay is the decoupled one, applied above; the kernel's is off.
        fused_adagrad(fused.params, fused.grads, fused.buffers[key], lr=lr)

    @staticmethod
    def _decay(p: Tensor, group: dict[str, Any]) -> None:
        """Keras' `var - var·wd·lr`, written in place as var·(1 - wd·lr) (no temporary)."""
        wd = keras_constant(group["weight_decay"])
        if wd:
            p.mul_(1 - wd * group["lr"])

    def native_prologue(self, fused: Gathered, group: dict[str, Any]) -> tuple[int, float]:
        """What the base class does before a native kernel's rule (optim/native_update.py):
        count the step, and give it with the factor of Keras' decay, w·(1 - wd·lr) (1.0:
        none), which the kernel applies to each weight before the rule."""
        t = fused.states[0]["step"] + 1  # all equal (Gathered)
        for state in fused.states:
            state["step"] = t
        wd = keras_constant(group["weight_decay"])
        return t, (1 - wd * group["lr"] if wd else 1.0)


def keras_constant(value: float) -> float:
    """A Python float as Keras' `ops.cast` gives it to a variable: rounded to float32 first."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def fusable(params: list[Tensor]) -> bool:
    """torch's fused kernels take dense floating tensors of one dtype on one CPU/CUDA device;
    float64 (the reference arithmetic, matched to Keras 3) always takes the plain rule."""
    first = params[0]
    return first.device.type in ("cpu", "cuda") and all(
        p.device == first.device
        and p.dtype == first.dtype
        and p.dtype.is_floating_point
        and p.dtype != torch.float64
        and p.grad is not None
        and p.grad.dtype == p.dtype
        and not p.grad.is_sparse
        for p in params
    )


def adagrad_fusable(params: list[Tensor]) -> bool:
    """torch's fused Adagrad kernel exists for CPU tensors only."""
    return bool(params) and params[0].device.type == "cpu" and fusable(params)
