"""Initialisation profiles: `torch` keeps PyTorch's defaults, `keras` matches Keras' Dense layer.

Keras' Dense uses Glorot-uniform kernels and zero biases; PyTorch's nn.Linear uses
Kaiming-uniform(a=√5) weights and a uniform bias. The seed study used Keras, so `keras` is the
profile that reproduces it.
"""

from __future__ import annotations

from torch import nn


def apply_init(model: nn.Module, profile: str) -> None:
    """Re-initialise every Linear/Conv layer of `model` in place for `profile`."""
    if profile == "torch":
        return  # layers were built with PyTorch's defaults
    for module in model.modules():
        if isinstance(module, nn.Linear | nn.Conv1d | nn.Conv2d):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
