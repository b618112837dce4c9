"""The output layer ("head") every built-in model ends with: Linear(units) + an activation.

Q4 of the seed study varies exactly this layer (1 or 2 units; softmax, sigmoid or tanh) under
one loss, so the head is built in one place and shared by the MLP and the convnet.

Softmax and sigmoid heads also leave their input, the logits, on the output tensor (attribute
`_keras_logits`), the way tf.keras >= 2.5 does in its `softmax`/`sigmoid` activations. tf.keras'
`binary_crossentropy` then quietly computes the loss *from those logits*, not from the
probabilities the model outputs. That is why the seed's 1-unit softmax head reported a falling
loss (0.40) while its accuracy stayed at exactly 0.5000: the loss trained a logit that the
softmax throws away. The `keras_bce` loss reproduces that; every other loss ignores the
attribute. It survives only on the tensor the head returns (no copy, no functional transform).
"""

from __future__ import annotations

import torch
from torch import nn

from optbench.core.errors import ConfigError
from optbench.core.registry import suggest

HEAD_ACTIVATIONS = ("linear", "softmax", "sigmoid", "tanh", "relu")
KERAS_LOGITS = "_keras_logits"


def keep_logits(outputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Attach `logits` to `outputs` as tf.keras does; returns `outputs`."""
    setattr(outputs, KERAS_LOGITS, logits)
    return outputs


def cached_logits(outputs: torch.Tensor) -> torch.Tensor | None:
    """The logits a softmax/sigmoid head left on its output, or None."""
    return getattr(outputs, KERAS_LOGITS, None)


class Softmax(nn.Module):
    """Softmax over the last dimension ([B, units] → rows summing to 1), logits kept."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return keep_logits(torch.softmax(z, dim=-1), z)


class Sigmoid(nn.Module):
    """Element-wise sigmoid, logits kept."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return keep_logits(torch.sigmoid(z), z)


HEAD_MODULES: dict[str, type[nn.Module]] = {
    "softmax": Softmax,
    "sigmoid": Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


def validate_head(units: int | None, activation: str) -> None:
    if activation not in HEAD_ACTIVATIONS:
        hint = suggest(activation, HEAD_ACTIVATIONS)
        raise ConfigError(
            f"Unknown head activation '{activation}'.{hint} Known: {', '.join(HEAD_ACTIVATIONS)}."
        )
    if units is not None and (isinstance(units, bool) or units < 1):
        raise ConfigError(f"`head_units` must be >= 1. Received: head_units={units}")


def head_layers(
    in_features: int, units: int | None, num_classes: int, activation: str
) -> list[nn.Module]:
    """[Linear(in_features, units or num_classes)] + the activation (none for `linear`).

    Returned as a list so a model can append it to its own Sequential: that keeps the
    parameter names (and so stored checkpoints) of the MLP as they were.
    """
    validate_head(units, activation)
    layers: list[nn.Module] = [nn.Linear(in_features, units or num_classes)]
    if activation != "linear":
        layers.append(HEAD_MODULES[activation]())
    return layers
