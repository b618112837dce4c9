"""The shape both activation monitors share: per layer of some kinds, the share of its units
(or outputs) in a bad state on the probe batch, reported for layers at or above a threshold
and only while the loss is in trouble (History.in_trouble): a share alone is never a fault.
"""

from __future__ import annotations

import torch
from torch import nn

from optbench.core.specs import EpochRecord, Finding
from optbench.diagnose.monitor import Monitor
from optbench.diagnose.numbers import pct
from optbench.diagnose.probe import MIN_PROBE_EXAMPLES, probe_activations
from optbench.engine import TrialContext


class LayerShareMonitor(Monitor):
    """Subclasses name the finding's `code`, the layer `kinds` hooked, the `threshold`, how a
    layer's `share` is measured and what the finding `says`."""

    code: str
    kinds: tuple[type[nn.Module], ...]
    threshold: float

    def share(self, module: nn.Module, out: torch.Tensor) -> float:
        raise NotImplementedError

    def says(self, examples: int, layers: str) -> str:
        """The message's start, given the probe's size and the layers, "name share" each."""
        raise NotImplementedError

    def on_epoch_end(self, ctx: TrialContext, record: EpochRecord) -> list[Finding]:
        x = ctx.probe[0]
        if len(x) < MIN_PROBE_EXAMPLES or not self.history.in_trouble(finite=True):
            return []
        layers = probe_activations(ctx.model, x, self.kinds)
        shares = {name: self.share(module, out) for name, (module, out) in layers.items()}
        flagged = {name: share for name, share in shares.items() if share >= self.threshold}
        if not flagged:
            return []
        listed = ", ".join(f"{name} {pct(share)}" for name, share in flagged.items())
        message = f"{self.says(len(x), listed)}; {self.history.trouble()}."
        return self.finding(ctx, self.code, message, record.epoch)
