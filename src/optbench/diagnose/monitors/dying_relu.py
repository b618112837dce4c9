"""Dying ReLU: units that output zero for every example of the probe batch.

A ReLU unit whose pre-activation is negative for every input gets no gradient and never
recovers (Lu et al., 2019, "Dying ReLU and Initialization"). Checked once per epoch with
forward hooks on the fixed probe batch (a training batch), for nn.ReLU modules.
"""

from __future__ import annotations

from torch import nn

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import pct
from optbench.diagnose.probe import MIN_PROBE_EXAMPLES, probe_activations
from optbench.engine import TrialContext

# Reported when at least half of a layer's units are dead *and* the loss is stuck or worse than
# chance (History.in_trouble). Healthy ReLU
# MLPs in tests/diagnose have at most 28% dead units on the probe batch (over 12 epochs); some
# dead units are normal and harmless, so the share alone is never reported.
DEAD_SHARE = 0.5


class DyingReluMonitor(Monitor):
    """act.dying_relu: share of never-active units per ReLU layer on the probe batch."""

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        x = ctx.probe[0]
        if len(x) < MIN_PROBE_EXAMPLES or not self.history.in_trouble(finite=True):
            return []
        shares = {
            name: float((out.flatten(1) > 0).any(0).logical_not().float().mean())
            for name, (_, out) in probe_activations(ctx.model, x, (nn.ReLU, nn.ReLU6)).items()
        }
        dead = {name: share for name, share in shares.items() if share >= DEAD_SHARE}
        if not dead:
            return []
        layers = ", ".join(f"{name} {pct(share)}" for name, share in dead.items())
        message = (
            f"Dead ReLU units (never active on {len(x)} training examples): {layers}; "
            f"{self.history.trouble()}."
        )
        return self.finding(ctx, "act.dying_relu", message, record.epoch)
