"""Static checks of a dataset, before any training: unscaled inputs, imbalanced labels.

These need the data only, so the driver runs them once per study and shows them before the
first trial starts.
"""

from __future__ import annotations

import torch

from optbench.core.specs import Finding
from optbench.data import Dataset
from optbench.diagnose.codes import CODES

# Inputs whose largest magnitude is above this were almost surely meant to be scaled: 0–255
# pixels, 0–16 digit counts. Scaled ([0, 1]) or standardised (mostly within ±5) inputs stay
# below it.
UNSCALED_INPUT_MAX = 10.0
# Imbalanced: the largest class has at least 10× the examples of the smallest (or a class has
# none). A common cut-off for "severe" imbalance; Buda et al. (2018, "A systematic study of the
# class imbalance problem in convolutional neural networks") find the harm grows with this ratio.
IMBALANCE_RATIO = 10.0


def check_data(data: Dataset) -> list[Finding]:
    """Every static data finding for `data` (study-level: no trial, no epoch). Token ids are
    not values to scale, and only class labels can be imbalanced."""
    scaled = check_inputs_scaled(data) if data.train.x.is_floating_point() else []
    labelled = data.task in ("classification", "binary")
    return [*scaled, *(check_label_balance(data) if labelled else [])]


def check_inputs_scaled(data: Dataset) -> list[Finding]:
    """data.unscaled_inputs when the training inputs reach far beyond [0, 1]."""
    x = data.train.x
    if x.numel() == 0:
        return []
    low, high = float(x.min()), float(x.max())
    raw_unscaled = not data.scaled and data.raw_range[1] > UNSCALED_INPUT_MAX
    if not raw_unscaled and max(abs(low), abs(high)) <= UNSCALED_INPUT_MAX:
        return []
    message = (
        f"Inputs are not scaled: training values range over [{low:g}, {high:g}] (raw range "
        f"{data.raw_range}). Large inputs give large initial logits and gradients; the seed "
        "study's 0–255 pixels are why its validation loss stayed high for a 95% model."
    )
    return [_finding("data.unscaled_inputs", message)]


def check_label_balance(data: Dataset) -> list[Finding]:
    """data.imbalanced_labels when the largest training class dwarfs the smallest."""
    counts = torch.bincount(data.train.y, minlength=data.num_classes).tolist()
    total = sum(counts)
    if total == 0 or min(counts) * IMBALANCE_RATIO > max(counts):
        return []
    names = list(data.class_names) or [str(i) for i in range(len(counts))]
    smallest = min(range(len(counts)), key=counts.__getitem__)
    largest = max(range(len(counts)), key=counts.__getitem__)
    ratio = "∞" if counts[smallest] == 0 else f"{counts[largest] / counts[smallest]:.0f}"
    message = (
        f"Training labels are imbalanced: class '{names[largest]}' has {counts[largest]} "
        f"examples, class '{names[smallest]}' {counts[smallest]} ({ratio}:1). Always "
        f"predicting '{names[largest]}' already scores {counts[largest] / total:.1%} accuracy."
    )
    return [_finding("data.imbalanced_labels", message)]


def _finding(code: str, message: str) -> Finding:
    info = CODES.get(code)
    return Finding(code=code, severity=info.severity, message=message, fix=info.fix)
