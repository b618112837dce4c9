"""One training step of a replica group: every live replica's forward and backward.

A group is R trials that train in lockstep in one process (same dataset, batch size and
epochs). Grouping saves the per-step Python work of R separate loops and, for MLPs on the CPU,
lets one call into compiled code (optbench.native) step every replica. It never changes what a
replica computes: each replica's forward and backward are the calls it would get alone, on its
own tensors, so its numbers are bit-identical in a group of 1, 2 or 32, beside any optimizers
(tests/engine/test_reproducible.py, on the seed's 784-128-10 shape and real Fashion-MNIST rows).

Two steps exist, and a trial's environment records which one ran (`step`), because they
differ in float32 round-off:
  * `AutogradStep` — any model and loss: each replica's nn.Module, its loss, `backward()`.
  * `NativeStep` — the built-in MLP with softmax cross-entropy, float32 on the CPU: one call
    into `mlp_step.cpp` for the whole group (gather, forward, loss, backward, totals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from optbench import native
from optbench.core.specs import TrialSpec
from optbench.engine.replica import Replica
from optbench.models.mlp import MLP

# Activations the native step (and so a group step in compiled code) implements.
NATIVE_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


@dataclass
class StepOutput:
    """One replica's step: its mean loss (0-d) and its model's outputs for the batch."""

    loss: torch.Tensor
    outputs: torch.Tensor


class GroupStep(Protocol):
    name: str  # "native" or "autograd": part of the trial's numerics configuration

    def __call__(
        self, replicas: Sequence[Replica], rows: Sequence[torch.Tensor]
    ) -> list[StepOutput]:
        """Forward and backward for every replica on its batch `rows[r]` (index tensors); the
        gradients land in each replica's `.grad`, and its epoch totals grow."""
        ...


def can_group(spec: TrialSpec) -> bool:
    """Trials that gain from a group step: the built-in MLP with a logits head and the
    cross-entropy loss (others train as groups of one: per-replica autograd gains nothing)."""
    return (
        spec.model.name == "mlp"
        and spec.model.head_units is None
        and spec.model.head_activation == "linear"
        and spec.loss == "cross_entropy"
        and spec.init_from is None
    )


def group_key(spec: TrialSpec) -> tuple[object, ...]:
    """Trials with equal keys can train as one group (they take the same number of steps)."""
    return (repr(spec.dataset), spec.model, spec.batch_size, spec.epochs, spec.device, spec.loss)


def choose_step(
    replicas: Sequence[Replica], x: torch.Tensor, y: torch.Tensor, use_native: bool
) -> GroupStep:
    """The native step where it applies and loads, else autograd."""
    spec = replicas[0].spec
    fits = (
        use_native
        and all(can_group(r.spec) and type(r.model) is MLP for r in replicas)  # not a look-alike
        and spec.task == "classification"
        and spec.model.activation in NATIVE_ACTIVATIONS
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and y.dtype == torch.int64
    )
    kernel = native.mlp_train_step() if fits else None
    if kernel is None:
        return AutogradStep(x, y)
    return NativeStep(kernel, x, y, spec.model.activation)


class AutogradStep:
    """Each replica alone: its module's forward, its loss, backward. Any model, any loss.

    Each replica draws from its own random stream (dropout and the like): the global
    generator is set to the replica's state for its step and saved after, so a replica's
    randomness never depends on the replicas beside it or on what ran before in the process.
    """

    name = "autograd"

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __call__(
        self, replicas: Sequence[Replica], rows: Sequence[torch.Tensor]
    ) -> list[StepOutput]:
        out = []
        gathered: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # a shared batch, once
        for rep, idx in zip(replicas, rows, strict=True):
            if id(idx) not in gathered:  # index_select, not x[idx]: about twice as fast
                gathered[id(idx)] = self.x.index_select(0, idx), self.y.index_select(0, idx)
            xb, yb = gathered[id(idx)]
            with rep.random_stream():
                rep.optimizer.zero_grad(set_to_none=True)
                outputs = rep.model(xb)
                loss = rep.loss.loss(outputs, rep.loss.encode(yb, outputs))
                loss.backward()
            with torch.no_grad():
                rep.add_batch(outputs, yb, loss)
            out.append(StepOutput(loss.detach(), outputs.detach()))
        return out


class NativeStep:
    """The whole group's step as one call into compiled code (native/mlp_step.cpp).

    The kernel writes every gradient into each replica's own `.grad` tensors, allocated once
    here and reused every step (optimizers' fused kernels see the same tensors each time), and
    adds to each replica's sums (the classification task's [examples, loss·examples,
    correct]), which are rows of one [R, 3] tensor per group.
    """

    name = "native"

    def __init__(self, kernel: object, x: torch.Tensor, y: torch.Tensor, activation: str) -> None:
        self.kernel = kernel
        self.x = x.flatten(1).contiguous()  # [N, features]: the MLP's Flatten, done once
        self.y = y
        self.activation = activation
        self._group: tuple[int, ...] = ()
        self._params: list[torch.Tensor] = []
        self._grads: list[torch.Tensor] = []
        self._sums = torch.zeros(0, 3, dtype=torch.float64)

    def __call__(
        self, replicas: Sequence[Replica], rows: Sequence[torch.Tensor]
    ) -> list[StepOutput]:
        self._bind(replicas)
        shared = all(r is rows[0] for r in rows)  # one batch for all (replicas of one seed)
        idx = rows[0] if shared else torch.stack(list(rows))
        losses, logits = self.kernel(  # type: ignore[operator]
            self.x, self.y, idx, self._params, self._grads, self.activation, self._sums
        )
        return [StepOutput(*out) for out in zip(losses.unbind(), logits, strict=True)]

    def _bind(self, replicas: Sequence[Replica]) -> None:
        """The kernel's flat lists of every replica's parameters and gradients, and the
        group's totals, made again only when the group's membership changes (a replica
        stopped or moved away)."""
        key = tuple(id(rep) for rep in replicas)
        if key == self._group:
            return
        self._params, self._grads = [], []
        for rep in replicas:
            for p in rep.model.parameters():
                if p.grad is None or p.grad.shape != p.shape:
                    p.grad = torch.zeros_like(p)
                self._params.append(p.detach())
                self._grads.append(p.grad)
        self._sums = torch.stack([rep.sums for rep in replicas])  # their values so far
        for r, rep in enumerate(replicas):  # from now on the kernel adds to them in place
            rep.sums = self._sums[r]
        self._group = key
