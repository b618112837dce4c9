"""Static checks of a dataset, before any training: NaN or constant inputs, labels that do
not follow from the inputs, unscaled inputs, imbalanced labels.

These need the data only, so the driver runs them once per study and shows them before the
first trial starts; `optbench doctor` runs them without training.
"""

from __future__ import annotations

import math

import torch

from optbench.core.specs import Finding
from optbench.data import Dataset
from optbench.diagnose.codes import CODES
from optbench.diagnose.label_agreement import unrelated_message
from optbench.diagnose.numbers import pct, sig

# Inputs whose largest magnitude is above this were almost surely meant to be scaled: 0–255
# pixels, 0–16 digit counts. Scaled ([0, 1]) or standardised (mostly within ±5) inputs stay
# below it.
UNSCALED_INPUT_MAX = 10.0
# Imbalanced: the largest class has at least 10× the examples of the smallest (or a class has
# none). A common cut-off for "severe" imbalance; Buda et al. (2018, "A systematic study of the
# class imbalance problem in convolutional neural networks") find the harm grows with this ratio.
IMBALANCE_RATIO = 10.0
# Regression targets beyond ±10 were almost surely meant to be scaled, as inputs are:
# standardised targets lie within about ±4 (diabetes: -1.6 to 2.5); raw diabetes progression
# scores span 25–346, prices and counts far more.
UNSCALED_TARGET_MAX = 10.0


def check_data(data: Dataset) -> list[Finding]:
    """Every static data finding for `data` (study-level: no trial, no epoch), as its task
    reads it: token ids are not values to scale (nor NaN, nor constant), only class labels
    can be imbalanced, regression targets have a scale of their own, and whether labels
    follow from the inputs is judged by neighbours' labels (classification), neighbours'
    targets (regression) or the next token's dependence on the current one (language
    modelling)."""
    if data.train.x.numel() == 0:
        return []
    values = data.train.x.is_floating_point()  # token ids (a language model) are not values
    labelled = data.task in ("classification", "binary")
    broken = [*check_inputs_finite(data), *check_inputs_vary(data)] if values else []
    labels = check_labels_related(data) if not broken else []
    scaled = check_inputs_scaled(data) if values else []
    targets = check_targets_scaled(data) if data.task == "regression" else []
    balance = check_label_balance(data) if labelled else []
    return [*broken, *labels, *scaled, *targets, *balance]


def check_inputs_finite(data: Dataset) -> list[Finding]:
    """data.nonfinite_inputs when a training or test input is NaN or infinite."""
    bad = {
        name: _nonfinite_examples(split.x)
        for name, split in (("training", data.train), ("test", data.test))
    }
    bad = {name: count for name, count in bad.items() if count}
    if not bad:
        return []
    where = " and ".join(f"{count} {name} example(s)" for name, count in bad.items())
    message = (
        f"Inputs contain NaN or infinite values: {where}. The first batch that holds one makes "
        "the loss and every gradient NaN."
    )
    return [_finding("data.nonfinite_inputs", message)]


def _nonfinite_examples(x: torch.Tensor) -> int:
    """How many examples of `x` hold a NaN/Inf. One float32 sum first (~9 ms for Fashion-MNIST's
    47M values; NaN/Inf make it non-finite); the per-value mask only when it is not finite."""
    if x.numel() == 0 or math.isfinite(float(x.sum())):
        return 0
    return int((~torch.isfinite(x.flatten(1))).any(1).sum())


def check_inputs_vary(data: Dataset) -> list[Finding]:
    """data.constant_inputs when every training example has the same input."""
    x = data.train.x
    if len(x) < 2 or not _constant(x[:256]) or not _constant(x):
        return []
    message = (
        f"All {len(x)} training inputs are identical (every value of every example equals the "
        f"first example's; it spans [{sig(float(x[0].min()))}, {sig(float(x[0].max()))}]): "
        "the model cannot tell examples apart and can only learn how often each label occurs."
    )
    return [_finding("data.constant_inputs", message)]


def _constant(x: torch.Tensor) -> bool:
    flat = x.flatten(1)
    return bool((flat.amax(0) == flat.amin(0)).all())


def check_labels_related(data: Dataset) -> list[Finding]:
    """data.labels_unrelated when nearest neighbours agree on labels only at chance."""
    message = unrelated_message(data)
    return [] if message is None else [_finding("data.labels_unrelated", message)]


def check_inputs_scaled(data: Dataset) -> list[Finding]:
    """data.unscaled_inputs when the training inputs reach far beyond [0, 1]."""
    x = data.train.x
    if x.numel() == 0:
        return []
    if _nonfinite_examples(x):  # NaN/Inf are their own finding; judge the finite values
        x = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(x.min()), float(x.max())
    raw_unscaled = not data.scaled and data.raw_range[1] > UNSCALED_INPUT_MAX
    if not raw_unscaled and max(abs(low), abs(high)) <= UNSCALED_INPUT_MAX:
        return []
    message = (
        f"Inputs are not scaled: training values range over [{sig(low)}, {sig(high)}] (raw range "
        f"{data.raw_range}). Large inputs give large initial logits and gradients; the seed "
        "study's 0–255 pixels are why its validation loss stayed high for a 95% model."
    )
    return [_finding("data.unscaled_inputs", message)]


def check_targets_scaled(data: Dataset) -> list[Finding]:
    """data.unscaled_targets when regression targets reach far beyond a few units."""
    y = data.train.y.float()
    if not y.numel():
        return []
    low, high = float(y.min()), float(y.max())
    if max(abs(low), abs(high)) <= UNSCALED_TARGET_MAX:
        return []
    mean, std = float(y.mean()), float(y.std()) if y.numel() > 1 else 0.0
    message = (
        f"Regression targets are not scaled: they range over [{sig(low)}, {sig(high)}] (mean "
        f"{sig(mean)}, standard deviation {sig(std)}). An untrained network outputs values "
        "near 0, so its first errors are as large as the targets: losses and gradients of "
        f"their square (~{sig(mean * mean + std * std)} for MSE), which blow SGD up and leave "
        "adaptive optimizers crawling the output bias towards the mean."
    )
    return [_finding("data.unscaled_targets", message)]


def check_label_balance(data: Dataset) -> list[Finding]:
    """data.imbalanced_labels when the largest training class dwarfs the smallest."""
    counts = torch.bincount(data.train.y, minlength=data.num_classes).tolist()
    total = sum(counts)
    if total == 0 or min(counts) * IMBALANCE_RATIO > max(counts):
        return []
    names = list(data.class_names) or [str(i) for i in range(len(counts))]
    smallest = min(range(len(counts)), key=counts.__getitem__)
    largest = max(range(len(counts)), key=counts.__getitem__)
    ratio = "∞" if counts[smallest] == 0 else sig(counts[largest] / counts[smallest])
    message = (
        f"Training labels are imbalanced: class '{names[largest]}' has {counts[largest]} "
        f"examples, class '{names[smallest]}' {counts[smallest]} ({ratio}:1). Always "
        f"predicting '{names[largest]}' already scores {pct(counts[largest] / total, 3)} accuracy."
    )
    return [_finding("data.imbalanced_labels", message)]


def _finding(code: str, message: str) -> Finding:
    info = CODES.get(code)
    return Finding(code=code, severity=info.severity, message=message, fix=info.fix)
