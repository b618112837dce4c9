"""NaN/Inf in the loss, the model's outputs or the gradients: found at the step, not the epoch.

The engine's NonFiniteLossGuard stays as the last resort (it reads the epoch's mean loss);
this monitor looks every NAN_SAMPLE_EVERY steps, says where the NaN appeared first (outputs,
loss or gradients, and which parameter), and stops the trial mid-epoch when the stop policy
asks for it.
"""

from __future__ import annotations

import math

import torch

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import sig
from optbench.engine import TrialContext

# One host sync per 10 steps: the loss and a sum over the outputs, so a NaN is caught at most 9
# steps after it appears. Gradients (a sum over every parameter's gradient) on the first sample
# and every 5th after, i.e. every 50 steps; a NaN gradient that slips between two checks puts
# NaN into the weights and so shows up in the next sampled outputs. Together well under 1% of
# the seed MLP's training time (benchmarks/monitors.py).
NAN_SAMPLE_EVERY = 10
GRAD_CHECK_EVERY = 5  # samples


class NonFiniteMonitor(Monitor):
    """train.nan_loss when the loss or outputs are NaN/Inf; train.nonfinite_grad for gradients."""

    sample_every = NAN_SAMPLE_EVERY

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.samples = 0

    def on_trial_start(self, ctx: TrialContext, first_loss: float) -> list[Finding]:
        if math.isfinite(first_loss):
            return []
        message = (
            f"Before training, the model's loss on the first batch is already {first_loss}: the "
            "inputs or the initial weights contain NaN/Inf."
        )
        return self.finding(ctx, "train.nan_loss", message, epoch=0)

    def on_after_backward(
        self, ctx: TrialContext, loss: torch.Tensor, outputs: torch.Tensor
    ) -> list[Finding]:
        self.samples += 1
        check_grads = self.samples % GRAD_CHECK_EVERY == 1  # the first sample, then every 5th
        grads = (
            [(n, p.grad) for n, p in ctx.model.named_parameters() if p.grad is not None]
            if check_grads
            else []
        )
        # One scalar: a NaN/Inf anywhere makes the sum non-finite. A sum is ~10x cheaper than
        # an isfinite() mask per tensor; the per-tensor check runs only once something is off.
        with torch.no_grad():
            total = loss.detach() + outputs.detach().sum()
            for _, g in grads:
                total = total + g.sum()
        if math.isfinite(float(total)):  # the one host sync of this sample
            return []
        return self._locate(ctx, loss, outputs, grads)

    def _locate(
        self,
        ctx: TrialContext,
        loss: torch.Tensor,
        outputs: torch.Tensor,
        grads: list[tuple[str, torch.Tensor]],
    ) -> list[Finding]:
        """Which of loss, outputs and gradients is not finite, as a finding."""
        value = float(loss.detach())
        where = f"at step {ctx.step + 1} (epoch {self.history.epoch + 1})"
        outputs_ok = bool(torch.isfinite(outputs.detach()).all())
        if not math.isfinite(value) or not outputs_ok:
            what = "The model's outputs" if not outputs_ok else "The loss (outputs still finite)"
            return self.finding(
                ctx, "train.nan_loss", f"{what} became NaN/Inf {where}; loss = {value}."
            )
        bad = [name for name, g in grads if not bool(torch.isfinite(g).all())]
        if not bad:
            return []  # finite values whose sum overflowed: large, but not NaN/Inf
        message = (
            f"Gradients of {', '.join(bad)} became NaN/Inf {where} while the loss was still "
            f"finite ({sig(value, 4)})."
        )
        return self.finding(ctx, "train.nonfinite_grad", message)

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        # The engine's guard reports the NaN again from the epoch mean; keep the earlier,
        # more precise finding of this monitor only.
        mine = self.reported.get("train.nan_loss")
        if mine is not None:
            ctx.findings[:] = [f for f in ctx.findings if f.code != mine.code or f is mine]
        return []
