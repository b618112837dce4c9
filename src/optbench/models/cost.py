"""What a model costs: arithmetic and memory of one example, and its parameter count.

Counted by running one example through the model with forward hooks: multiply-accumulates of
the layers that do the arithmetic (Linear, convolutions) and the size of every leaf module's
output (the activations a backward pass keeps). The thread policy uses the arithmetic to tell a
model too small to split over threads from one worth it; replica groups use the memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ModelCost:
    macs: int  # multiply-accumulates of one example's forward pass
    activations: int  # floats the leaf modules output for one example
    parameters: int

    def train_bytes(self, batch_size: int, state_slots: int = 3) -> int:
        """Memory of one model in training, float32: weights, gradients, up to `state_slots`
        optimizer buffers per weight and one temporary, plus forward activations and their
        gradients for a batch."""
        weights = self.parameters * (3 + state_slots)
        activations = 2 * self.activations * batch_size
        return 4 * (weights + activations)


def model_cost(
    model: nn.Module, input_shape: Sequence[int], example: torch.Tensor | None = None
) -> ModelCost:
    """Multiply-accumulates, activations and parameters of one example through `model`
    (`example`: one real input row, e.g. integer tokens; else zeros of `input_shape`)."""
    macs = activations = 0

    def count(module: nn.Module, _inputs: object, output: object) -> None:
        nonlocal macs, activations
        if isinstance(output, torch.Tensor):
            activations += output[0].numel()  # batch of one: output[0] is the example
        if isinstance(module, nn.Linear):
            macs += module.in_features * module.out_features
        elif isinstance(module, nn.modules.conv._ConvNd) and isinstance(output, torch.Tensor):
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
            macs += output[0].numel() * per_output

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            device = next(model.parameters()).device
            probe = torch.zeros(1, *input_shape) if example is None else example[:1]
            model(probe.to(device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return ModelCost(macs, activations, sum(p.numel() for p in model.parameters()))
