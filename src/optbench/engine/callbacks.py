"""Callbacks: how monitors watch a trial without the trainer knowing about any of them.

A callback sees the trial at its start, on sampled steps (every `sample_every` batches: after
the backward pass, when gradients exist, and after the optimizer step), and after each epoch,
and may return Findings. A callback ends a trial by setting `ctx.stop_reason` (e.g. when a
Finding's code is in the study's stop policy); the rest of the study goes on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from optbench.core.specs import EpochRecord, Finding, TrialSpec


@dataclass
class TrialContext:
    """What a callback may look at: the spec, the live model and optimizer, the data."""

    spec: TrialSpec
    model: nn.Module
    optimizer: torch.optim.Optimizer
    num_classes: int
    probe: tuple[torch.Tensor, torch.Tensor]  # a fixed training batch (x, labels) for probes
    step: int = 0  # optimizer steps taken so far
    stop_reason: str | None = None
    findings: list[Finding] = field(default_factory=list)


class Callback:
    """Base class: override what you need. Return findings (or an empty list).

    `sample_every`: call the per-step hooks on every n-th batch of an epoch (batch 0 included);
    None = never, which keeps the hot loop free of Python calls.
    """

    sample_every: int | None = None

    def on_trial_start(self, ctx: TrialContext, first_loss: float) -> list[Finding]:
        return []

    def on_after_backward(
        self, ctx: TrialContext, loss: torch.Tensor, outputs: torch.Tensor
    ) -> list[Finding]:
        """Gradients of this batch are in `p.grad`; the optimizer has not stepped yet."""
        return []

    def on_step_end(self, ctx: TrialContext, loss: torch.Tensor) -> list[Finding]:
        """The optimizer has just stepped on a sampled batch."""
        return []

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        return []


class NonFiniteLossGuard(Callback):
    """Stops a trial whose loss became NaN/Inf: every later epoch would be meaningless.

    Checked once per epoch on the epoch's mean loss (a NaN anywhere in the epoch poisons the
    mean), so the guard costs nothing per step.
    """

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        if math.isfinite(record.train_loss):
            return []
        ctx.stop_reason = "train.nan_loss"
        return [
            Finding(
                code="train.nan_loss",
                severity="error",
                message=f"Training loss became {record.train_loss} in epoch {record.epoch}.",
                fix="Lower the learning rate, scale the inputs to [0, 1], or clip gradients.",
                trial_id=ctx.spec.id,
                epoch=record.epoch,
            )
        ]


class KeepFinalWeights(Callback):
    """Keeps a copy of the model's weights after every epoch (the last one is the final)."""

    def __init__(self) -> None:
        self.state: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        self.state = {k: v.detach().clone() for k, v in ctx.model.state_dict().items()}
        return []
