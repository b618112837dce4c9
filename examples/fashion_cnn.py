"""Example 1 — your own CNN on Fashion-MNIST.

    .venv/bin/optbench compare --dataset fashion-mnist --model examples/fashion_cnn.py:build \
        --optimizers adam,rmsprop,momentum --epochs 3 --seeds 0,1 --train-size 20000

optbench calls `build` once per trial under the trial's seed: every optimizer of a seed starts
from the same weights (the report shows their fingerprint) and sees the same batches.
"""

from __future__ import annotations

import math

from torch import nn


def build(input_shape: tuple[int, ...], num_outputs: int, channels: int = 16) -> nn.Module:
    """Two conv blocks and a linear head: (28, 28) images → `num_outputs` logits."""
    height, width = input_shape[-2:]
    return nn.Sequential(
        nn.Unflatten(1, (1, height)) if len(input_shape) == 2 else nn.Identity(),  # a channel
        nn.Conv2d(1 if len(input_shape) == 2 else input_shape[0], channels, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(channels, 2 * channels, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * channels * math.prod(s // 4 for s in (height, width)), num_outputs),
    )
