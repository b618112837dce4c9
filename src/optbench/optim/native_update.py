"""Native update kernels (native/updates.cpp): who may take them, and on which tensors.

torch has fused kernels for Adam, AdamW, SGD and Adagrad only; every other built-in rule ran
as 6-12 small ATen operations per tensor. Their kernels step a whole parameter group in one
call, one pass over each tensor, in the arithmetic the Python rule writes (the classes compute
the step's scalar constants in Python, as their rules do, and pass them in). Measured on the
seed MLP's four tensors (AMD EPYC, one thread; benchmarks/results/optimizer_steps.md): torch
profile adadelta, nadam, adamax and lars, keras profile sgd (with and without momentum),
adadelta, nadam and adamax went from 49-300 µs a step to 20-82 µs, 2.5-4.2× faster, as fast
as the fused kernels' optimizers (Adam: 77 µs).

An optimizer with a kernel mixes in `NativeUpdate`: its `native` flag says whether it may run
compiled code at all (`build_optimizer(..., native=...)` sets it from the study's `native`
option; True by default), and `native_runs()` whether a kernel steps its parameters now. It
takes the kernel only for dense, contiguous float32 CPU tensors and the options the kernel
implements, where the library is loaded; anything else takes the plain rule, the reference
the kernels are tested against (tests/optim/test_optim_native.py). Whether a trial's updates
ran native or plain is part of its numerics configuration (`update_path`, engine/env.py).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from optbench import native as native_code


class NativeUpdate:
    """Mixin for an optimizer with a native update kernel (a torch.optim.Optimizer)."""

    native: bool = True  # may it run compiled code (build_optimizer sets it per trial)

    def native_options(self, group: dict[str, Any]) -> bool:
        """Whether the kernel implements `group`'s options."""
        return True

    def native_runs(self) -> bool:
        """Whether a native kernel steps (some of) this optimizer's parameters as they are."""
        groups = self.param_groups  # type: ignore[attr-defined]
        return (
            self.native
            and any(self.native_options(g) and float32_cpu(g["params"], False) for g in groups)
            and kernels_loaded()  # last: loading builds the library on a machine's first use
        )

    def native_fits(self, group: dict[str, Any], params: Sequence[Tensor]) -> bool:
        """Whether the kernel may step `params` (with their gradients) of `group` now."""
        return (
            self.native
            and self.native_options(group)
            and float32_cpu(params)
            and kernels_loaded()  # last: loading builds the library on a machine's first use
        )

    def buffers_fit(self, params: Sequence[Tensor], names: Sequence[str]) -> bool:
        """Whether each parameter's state holds `names` as tensors the kernel takes (a loaded
        state dict could hold anything)."""
        states = [self.state[p] for p in params]  # type: ignore[attr-defined]
        return all(
            _like(s.get(name), p) for p, s in zip(params, states, strict=True) for name in names
        )

    def __getstate__(self) -> dict[str, Any]:
        # torch.optim pickles (and deep-copies) only its own three attributes; keep the flag.
        return {**super().__getstate__(), "native": self.native}  # type: ignore[misc]


def kernels_loaded() -> bool:
    return native_code.status().loaded


def kernel(name: str) -> Callable[..., Any]:
    """`torch.ops.optbench.<name>` (call only where `kernels_loaded()`)."""
    return getattr(torch.ops.optbench, name)


def update_path(optimizer: torch.optim.Optimizer) -> str:
    """ "native" when a native update kernel steps this optimizer, else "plain" (the trial's
    numerics configuration records it: the two differ in float32 round-off)."""
    runs = isinstance(optimizer, NativeUpdate) and optimizer.native_runs()
    return "native" if runs else "plain"


def float32_cpu(params: Sequence[Tensor], grads: bool = True) -> bool:
    """Dense, contiguous float32 CPU tensors, with gradients like them when `grads`."""
    for p in params:
        if p.dtype != torch.float32 or p.device.type != "cpu" or not p.is_contiguous():
            return False
        if p.is_sparse or (grads and not _grad_like(p, p.grad)):
            return False
    return bool(params)


def _like(t: object, p: Tensor) -> bool:
    return (
        isinstance(t, Tensor)
        and t.dtype == p.dtype
        and t.device == p.device
        and t.shape == p.shape
        and t.is_contiguous()
    )


def _grad_like(p: Tensor, grad: Tensor | None) -> bool:
    return (
        grad is not None
        and not grad.is_sparse
        and grad.dtype == p.dtype
        and grad.device == p.device
        and grad.shape == p.shape
        and grad.is_contiguous()
    )


def scalar_dtype() -> torch.dtype:
    """The dtype torch.optim gives its 0-d state (step, NAdam's Π) outside fused kernels."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def float32(value: float) -> float:
    """A Python float rounded to float32, as a float32 tensor stores it."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


@dataclass
class Gathered:
    """A group's tensors for its kernel, gathered once and reused while they are the same
    objects (the native group step writes gradients in place; gathering and checking them
    cost about as much as a small kernel call). A new .grad, a loaded state dict or a
    replaced buffer gather anew."""

    params: list[Tensor]
    grads: list[Tensor]
    states: list[dict[str, Any]]
    buffers: dict[str, list[Tensor]]  # state name -> that entry of every parameter
    state: Any  # the optimizer's state mapping they were taken from
    # the "step" tensors' one base, once torch_private.share_step_counts made it
    counter: Tensor | None = None

    @staticmethod
    def gather(params: list[Tensor], state: Any, names: Sequence[str]) -> Gathered:
        states = [state[p] for p in params]
        buffers = {name: [s[name] for s in states] for name in names}
        grads = [p.grad for p in params]
        return Gathered(list(params), grads, states, buffers, state)  # type: ignore[arg-type]

    def holds(self, params: list[Tensor], state: Any) -> bool:
        """Still the same parameters, gradients, state mapping and buffers."""
        if state is not self.state or len(params) != len(self.params):
            return False
        for p, mine, grad in zip(params, self.params, self.grads, strict=True):
            if p is not mine or p.grad is not grad:
                return False
        for name, tensors in self.buffers.items():
            for s, tensor in zip(self.states, tensors, strict=True):
                if s.get(name) is not tensor:
                    return False
        return True

    def steps_agree(self) -> bool:
        """Every tensor is at the same step (unless a state was edited by hand)."""
        first = self.states[0]["step"]
        return all(s["step"] == first for s in self.states)


def closure_loss(closure: Callable[[], float] | None) -> float | None:
    """What an optimizer's `step(closure)` does first: the closure's loss, with grad on."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def reuse_or_gather(
    optimizer: Any,
    index: int,
    params: list[Tensor],
    gather: Callable[..., Gathered | None],
    *args: Any,
) -> Gathered | None:
    """Param group `index`'s tensors as last gathered while they still hold `params`, else
    `gather(*args)`'s (None: no kernel applies now). Kept in the optimizer's `__dict__`, not set in
    `__init__`: torch.optim pickles and restores only its own attributes. Every optimizer with
    a fused or native kernel steps through here (the Keras ports, LARS, torch-profile Adadelta,
    NAdam, Adamax): gathering and checking the tensors at every step cost ~12 µs of a ~64 µs
    Keras Adam step on the seed MLP. Measured gain: 0.66 s on the README command
    (benchmarks/results/tricks.md)."""
    cache: dict[int, Gathered] = optimizer.__dict__.setdefault("_gathered", {})
    gathered = cache.get(index)
    if gathered is not None and gathered.holds(params, optimizer.state):
        return gathered
    cache.pop(index, None)
    gathered = gather(*args)
    if gathered is not None:
        cache[index] = gathered
    return gathered


class NativeTorchStep(NativeUpdate):
    """A torch.optim class (mixed in before it) stepped by a native kernel where one applies to
    every param group, else by torch's own `step`. The state, its layout and the state dict
    are torch's: a checkpoint loads into torch's class and back (optim/adadelta.py, nadam.py,
    adamax.py). Subclasses name the state buffers their kernel reads (`buffers`), create state
    as torch does (`init_state`) and make the call (`native_step`)."""

    buffers: tuple[str, ...] = ()  # the state's tensors shaped like the parameter
    scalars: tuple[str, ...] = ()  # and its 0-d tensors besides "step" (NAdam's mu_product)

    def init_state(self, p: Tensor, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def native_step(self, group: dict[str, Any], gathered: Gathered, step: float) -> None:
        """Step `gathered` (every state's step count is `step - 1`) as torch's rule would."""
        raise NotImplementedError

    def native_options(self, group: dict[str, Any]) -> bool:
        return (
            not group["maximize"]
            and not group["capturable"]
            and not group["differentiable"]
            and group["foreach"] is not True  # asked for torch's foreach loop: it gets it
            and not isinstance(group["lr"], Tensor)
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        plans = self._plans() if self.native else None
        if plans is None:
            return super().step(closure)  # type: ignore[misc]
        loss = closure_loss(closure)
        for group, gathered, step in plans:
            self.native_step(group, gathered, step)
        return loss

    def _plans(self) -> list[tuple[dict[str, Any], Gathered, float]] | None:
        """Each group's gathered tensors and next step, or None: some group takes torch's
        step (then all do, so a step never mixes the two)."""
        plans = []
        for index, group in enumerate(self.param_groups):  # type: ignore[attr-defined]
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            gathered = reuse_or_gather(self, index, params, self._gather, group, params)
            if gathered is None or not self.native_options(group):  # options edited since
                return None
            # Every tensor's step (and NAdam's Π) must agree: the kernel gets one set of
            # constants. They do unless a state was edited by hand; torch's step copes.
            values = [{float(t) for t in gathered.buffers[n]} for n in ("step", *self.scalars)]
            if any(len(v) != 1 for v in values):
                return None
            plans.append((group, gathered, values[0].pop() + 1))
        return plans

    def _gather(self, group: dict[str, Any], params: list[Tensor]) -> Gathered | None:
        if not self.native_fits(group, params):
            return None
        for p in params:
            state = self.state[p]  # type: ignore[attr-defined]
            if not state:
                self.init_state(p, state)
        scalars = ("step", *self.scalars)
        if not self.buffers_fit(params, self.buffers) or any(
            not isinstance(self.state[p].get(name), Tensor)  # type: ignore[attr-defined]
            for p in params
            for name in scalars
        ):
            return None  # a state torch's step would convert or reject
        return Gathered.gather(params, self.state, (*scalars, *self.buffers))  # type: ignore[attr-defined]
