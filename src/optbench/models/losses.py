"""Losses the engine trains with, each with its accuracy metric and target encoding.

A loss entry knows three things the trainer must not guess: how to compute the loss from the
model's outputs, how to count correct predictions for that kind of output, and how class-index
labels are encoded for it (index, one-hot, …). `cross_entropy` takes logits, like
`torch.nn.CrossEntropyLoss` (the softmax lives in the loss, as in Keras'
`Dense(softmax)` + `sparse_categorical_crossentropy`, but numerically stable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from optbench.core.registry import Registry

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (outputs, targets) → mean loss
CorrectFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (outputs, labels) → count


@dataclass(frozen=True)
class LossInfo:
    name: str
    description: str
    loss: LossFn
    correct: CorrectFn
    # (index labels, model outputs) → the targets this loss expects (index, one-hot, …)
    encode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    expected_initial: Callable[[int], float] | None = None  # loss at chance, given classes


def _index(labels: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    return labels


def _argmax_correct(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (outputs.argmax(1) == labels).sum()


LOSSES: Registry[LossInfo] = Registry("loss")
LOSSES.register(
    "cross_entropy",
    LossInfo(
        name="cross_entropy",
        description="Softmax cross-entropy on logits with class-index labels.",
        loss=F.cross_entropy,
        correct=_argmax_correct,
        encode=_index,
        expected_initial=lambda classes: float(torch.log(torch.tensor(float(classes)))),
    ),
)
