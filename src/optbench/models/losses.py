"""Losses the engine trains with, each with its accuracy metric and target encoding.

A loss entry knows what the trainer must not guess: how to compute the loss from the model's
outputs, how to count correct predictions for that kind of output, how class-index labels are
encoded for it, and what kind of output it expects (`expects`, read by the setup checker).

Label encoding follows Keras, chosen by the width of the model's output:
  * index losses (`cross_entropy`, `sparse_categorical_crossentropy`) take class indices;
  * the others take one column per unit: 1 unit → the index as a float column [B, 1] (Keras'
    `class_mode="binary"`), C units → one-hot [B, C] (`class_mode="categorical"`); hinge maps
    those 0/1 targets to -1/+1 as Keras does.

Probability losses use Keras' arithmetic (epsilon 1e-7, outputs clipped to [1e-7, 1 - 1e-7],
tf.keras' `log(p + 1e-7)`), so a broken head fails here exactly as it did in the seed: a
probability that is clipped has zero gradient, and its loss term stays put (-log(2e-7) ≈ 15.42
for a 1-target, -log(1.19e-7 + 1e-7) ≈ 15.33 for a 0-target, in float32).

Accuracy is the accuracy of the class the head predicts: one unit → threshold (0.5 for
probabilities, 0 for logits and margins, as Keras' binary_accuracy); C units → argmax (Keras'
categorical accuracy). For 2 units under BCE Keras' `accuracy` averages a per-unit threshold
instead; the two agree whenever the units agree (always for softmax), see docs/heads.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from optbench.core.registry import Registry
from optbench.models.head import cached_logits

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (outputs, targets) → mean loss
CorrectFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (outputs, labels) → count
EncodeFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (labels, outputs) → targets
# What a loss expects of the model's output; the setup checker compares it with the head.
Expects = Literal[
    "logits", "probabilities", "binary_probabilities", "binary_logits", "regression", "margin"
]

EPSILON = 1e-7  # keras.backend.epsilon()


@dataclass(frozen=True)
class LossInfo:
    name: str
    description: str
    loss: LossFn
    correct: CorrectFn
    # (index labels, model outputs) → the targets this loss expects (index, one-hot, …)
    encode: EncodeFn
    expected_initial: Callable[[int], float] | None = None  # loss at chance, given classes
    expects: Expects = "logits"
    targets: Literal["index", "by_width"] = "index"


# -- target encodings ---------------------------------------------------------------------


def encode_index(labels: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    return labels


def encode_by_width(labels: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """1 unit → labels as a float column [B, 1]; C units → one-hot [B, C] (Keras' encodings)."""
    if outputs.shape[-1] == 1:
        return labels.to(outputs.dtype).unsqueeze(-1)
    return F.one_hot(labels, outputs.shape[-1]).to(outputs.dtype)


def encode_plus_minus(labels: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """By width, then 0/1 → -1/+1 (Keras' hinge converts binary targets the same way)."""
    return 2 * encode_by_width(labels, outputs) - 1


# -- accuracy -----------------------------------------------------------------------------


def argmax_correct(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (outputs.argmax(-1) == labels).sum()


def _threshold_correct(threshold: float) -> CorrectFn:
    """1 unit: output > threshold means class 1; several units: argmax."""

    def correct(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if outputs.shape[-1] != 1:
            return argmax_correct(outputs, labels)
        return ((outputs[..., 0] > threshold) == labels.bool()).sum()

    return correct


# -- the losses ---------------------------------------------------------------------------


def keras_binary_crossentropy(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """tf.keras' binary_crossentropy from probabilities: clip to [eps, 1-eps], log(p + eps)."""
    p = probs.clamp(EPSILON, 1 - EPSILON)
    terms = targets * torch.log(p + EPSILON) + (1 - targets) * torch.log(1 - p + EPSILON)
    return -terms.mean()


def keras_bce_with_cached_logits(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """tf.keras >= 2.5: from the logits a softmax/sigmoid head cached, else from probabilities."""
    logits = cached_logits(outputs)
    if logits is None:
        return keras_binary_crossentropy(outputs, targets)
    return F.binary_cross_entropy_with_logits(logits, targets)


def keras_categorical_crossentropy(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """tf.keras: normalise rows to sum 1, clip to [eps, 1-eps], -Σ t·log p, mean over batch."""
    p = (probs / probs.sum(-1, keepdim=True)).clamp(EPSILON, 1 - EPSILON)
    return -(targets * torch.log(p)).sum(-1).mean()


def keras_sparse_categorical_crossentropy(
    probs: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """tf.keras: clip, take the log, then softmax cross-entropy on it: -log(p_y / Σp)."""
    return F.cross_entropy(torch.log(probs.clamp(EPSILON, 1 - EPSILON)), labels)


def keras_hinge(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """mean(max(1 - t·s, 0)) with targets in {-1, +1}."""
    return torch.clamp(1 - targets * scores, min=0).mean()


def _log_classes(classes: int) -> float:
    return math.log(classes)


def _log_two(classes: int) -> float:
    return math.log(2.0)


LOSSES: Registry[LossInfo] = Registry("loss")
for _info in (
    LossInfo(
        name="cross_entropy",
        description="Softmax cross-entropy on logits with class-index labels "
        "(torch.nn.CrossEntropyLoss; Keras' from_logits=True). Pair with a linear head.",
        loss=F.cross_entropy,
        correct=argmax_correct,
        encode=encode_index,
        expected_initial=_log_classes,
        expects="logits",
        targets="index",
    ),
    LossInfo(
        name="bce",
        description="Binary cross-entropy on probabilities, Keras arithmetic (clip to "
        "[1e-7, 1-1e-7]). 1 unit: index labels as a column; C units: one-hot. "
        "Pair with a sigmoid head.",
        loss=keras_binary_crossentropy,
        correct=_threshold_correct(0.5),
        encode=encode_by_width,
        expected_initial=_log_two,
        expects="binary_probabilities",
        targets="by_width",
    ),
    LossInfo(
        name="keras_bce",
        description="Keras' binary_crossentropy exactly as tf.keras >= 2.5 computes it: from the "
        "logits a softmax/sigmoid head caches, else as `bce`. Reproduces the seed's numbers.",
        loss=keras_bce_with_cached_logits,
        correct=_threshold_correct(0.5),
        encode=encode_by_width,
        expected_initial=_log_two,
        expects="binary_probabilities",
        targets="by_width",
    ),
    LossInfo(
        name="bce_logits",
        description="Binary cross-entropy on logits (torch.nn.BCEWithLogitsLoss). "
        "Pair with a linear head; 1 unit: index labels as a column; C units: one-hot.",
        loss=F.binary_cross_entropy_with_logits,
        correct=_threshold_correct(0.0),
        encode=encode_by_width,
        expected_initial=_log_two,
        expects="binary_logits",
        targets="by_width",
    ),
    LossInfo(
        name="categorical_crossentropy",
        description="Keras' categorical_crossentropy on probabilities with one-hot labels "
        "(rows normalised, clipped to [1e-7, 1-1e-7]). Pair with a softmax head of C units.",
        loss=keras_categorical_crossentropy,
        correct=argmax_correct,
        encode=encode_by_width,
        expected_initial=_log_classes,
        expects="probabilities",
        targets="by_width",
    ),
    LossInfo(
        name="sparse_categorical_crossentropy",
        description="Keras' sparse_categorical_crossentropy on probabilities with class-index "
        "labels (the seed's Q3 loss). Pair with a softmax head of C units.",
        loss=keras_sparse_categorical_crossentropy,
        correct=argmax_correct,
        encode=encode_index,
        expected_initial=_log_classes,
        expects="probabilities",
        targets="index",
    ),
    LossInfo(
        name="mse",
        description="Mean squared error against the 0/1 column (1 unit) or one-hot rows "
        "(C units). Works on classes, but see the checker's trade-off warning.",
        loss=F.mse_loss,
        correct=_threshold_correct(0.5),
        encode=encode_by_width,
        expects="regression",
        targets="by_width",
    ),
    LossInfo(
        name="hinge",
        description="Keras' hinge, mean(max(1 - t·s, 0)), targets mapped to -1/+1 (1 unit) or "
        "one-vs-rest ±1 rows (C units). Pair with a linear head.",
        loss=keras_hinge,
        correct=_threshold_correct(0.0),
        encode=encode_plus_minus,
        expected_initial=lambda classes: 1.0,  # outputs near 0 at initialisation
        expects="margin",
        targets="by_width",
    ),
):
    LOSSES.register(_info.name, _info)
