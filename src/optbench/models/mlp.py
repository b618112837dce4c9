"""The multilayer perceptron of the seed study: Flatten → Dense(h, act) … → Dense(classes).

The last layer outputs logits; the softmax lives in the loss (numerically stable and the same
function as Keras' `Dense(10, softmax)` + `sparse_categorical_crossentropy`).
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

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
    """Flatten, `hidden` Linear+activation blocks, then a Linear head of `num_classes` units."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        hidden: tuple[int, ...],
        num_classes: int,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        sizes = [math.prod(input_shape), *hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in itertools.pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
        layers.append(nn.Linear(sizes[-1], num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, *input_shape] → [B, classes]
        return self.net(x)
