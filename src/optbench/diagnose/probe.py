"""Activations of chosen layers on the probe batch: forward hooks, only for one forward pass.

Hooks are attached for a single no-grad forward at epoch end and removed at once, so the
training steps never pay for them. The layer whose output *is* the model's output (a sigmoid
or softmax head) is left out: saturated outputs there are confident predictions, not a
problem of the hidden layers.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

# Fewer probe examples than this say nothing about "never active" or "mostly saturated".
MIN_PROBE_EXAMPLES = 16


@torch.no_grad()
def probe_activations(
    model: nn.Module, x: torch.Tensor, kinds: tuple[type[nn.Module], ...]
) -> dict[str, tuple[nn.Module, torch.Tensor]]:
    """Layer name → (module, output [B, …]) for every module of `kinds` in one forward pass."""
    seen: dict[str, tuple[nn.Module, torch.Tensor]] = {}
    hooks = [
        module.register_forward_hook(partial(_keep, seen, name))
        for name, module in model.named_modules()
        if isinstance(module, kinds)
    ]
    if not hooks:
        return {}
    was_training = model.training
    model.eval()
    try:
        result = model(x)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return {name: (m, out) for name, (m, out) in seen.items() if out is not result}


def _keep(
    seen: dict[str, tuple[nn.Module, torch.Tensor]],
    name: str,
    module: nn.Module,
    inputs: object,
    output: object,
) -> None:
    if isinstance(output, torch.Tensor):
        key = name if name not in seen else f"{name}#{len(seen)}"  # a module used twice
        seen[key] = (module, output.detach())
