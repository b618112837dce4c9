"""The multilayer perceptron of the seed study: Flatten → Dense(h, act) … → head.

The default head is `num_classes` linear units (logits); the softmax then lives in the loss
(numerically stable, and the same function as Keras' `Dense(10, softmax)` +
`sparse_categorical_crossentropy`). Head studies swap the head (see models/head.py).
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from optbench.models.head import head_layers

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "linear": nn.Identity,
}


class MLP(nn.Module):
    """Flatten, `hidden` Linear+activation blocks, then the head: Linear(units) + activation."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        hidden: tuple[int, ...],
        num_classes: int,
        activation: str = "relu",
        head_units: int | None = None,
        head_activation: str = "linear",
    ) -> None:
        super().__init__()
        sizes = [math.prod(input_shape), *hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in itertools.pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
        layers += head_layers(sizes[-1], head_units, num_classes, head_activation)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, *input_shape] → [B, units]
        return self.net(x)
