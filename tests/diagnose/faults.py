"""Planted faults of the diagnosis suite: what a careless pipeline does to data and weights.

Each function returns a transform the suite applies to a real dataset (`data=`) or to the
freshly initialised model (`weights=`) of one setup (tests/diagnose/diagnose_suite.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn

from optbench.data import Dataset, Split


def shuffled_labels(data: Dataset) -> Dataset:
    """Labels permuted independently of the inputs: nothing to learn."""
    perm = torch.randperm(len(data.train.y), generator=torch.Generator().manual_seed(0))
    return replace(data, train=Split(data.train.x, data.train.y[perm]))


def constant_inputs(data: Dataset) -> Dataset:
    """Every input the same: the model can only learn the label frequencies."""
    return replace(
        data,
        train=Split(torch.zeros_like(data.train.x), data.train.y),
        test=Split(torch.zeros_like(data.test.x), data.test.y),
    )


def nan_pixels(data: Dataset) -> Dataset:
    """A NaN pixel in every 50th training image (a corrupt file, a bad preprocessing step)."""
    x = data.train.x.clone()
    x[50::50, 0, 0] = math.nan
    return replace(data, train=Split(x, data.train.y))


def imbalanced(data: Dataset) -> Dataset:
    """Two classes: every '0' and only the first 10 '1's (a careless subset)."""
    y = data.train.y
    zeros = torch.nonzero(y == 0).flatten()
    ones = torch.nonzero(y == 1).flatten()[:10]
    keep = torch.cat([zeros, ones])
    test = data.test.y <= 1
    return replace(
        data,
        train=Split(data.train.x[keep], y[keep]),
        test=Split(data.test.x[test], data.test.y[test]),
        num_classes=2,
        class_names=["0", "1"],
    )


def one_label(data: Dataset) -> Dataset:
    """A labelling bug: every training label is 0."""
    return replace(data, train=Split(data.train.x, torch.zeros_like(data.train.y)))


def small_noisy_train(data: Dataset) -> Dataset:
    """200 training examples, 40% of them with random labels: a big model memorises the noise."""
    y = data.train.y[:200].clone()
    y[:80] = torch.randint(0, data.num_classes, (80,), generator=torch.Generator().manual_seed(0))
    return replace(data, train=Split(data.train.x[:200], y))


def scale_weights(factor: float) -> Callable[[nn.Module], None]:
    """Multiply every weight matrix by `factor` (a far-too-large initialisation)."""

    def edit(model: nn.Module) -> None:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.mul_(factor)

    return edit


def hidden_bias(value: float) -> Callable[[nn.Module], None]:
    """Set every hidden layer's bias to `value` (the output layer keeps its own)."""

    def edit(model: nn.Module) -> None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer in linears[:-1]:
                layer.bias.fill_(value)

    return edit


def first(n: int) -> Callable[[Dataset], Dataset]:
    """Keep only the first `n` training examples (a small training set; the test set stays)."""

    def subset(data: Dataset) -> Dataset:
        return replace(data, train=Split(data.train.x[:n], data.train.y[:n]))

    return subset


def minority(share: float) -> Callable[[Dataset], Dataset]:
    """Keep only `share` of class 1's training examples: a binary set imbalanced by 1/share."""

    def subset(data: Dataset) -> Dataset:
        y = data.train.y
        ones = torch.nonzero(y == 1).flatten()
        keep = torch.cat([torch.nonzero(y == 0).flatten(), ones[: int(len(ones) * share)]])
        keep = keep.sort().values
        return replace(data, train=Split(data.train.x[keep], y[keep]))

    return subset
