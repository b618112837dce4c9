"""Do the labels follow from the inputs? Nearest-neighbour agreement, before any training.

For a learnable task an example's nearest neighbour in input space usually has its label
(digits ~98%, Fashion-MNIST ~80%, its t-shirt/shirt pair ~75%). If labels were shuffled, or
inputs and labels were sorted or subset separately, a neighbour shares the label only as
often as two random examples do: Σ_c p_c² over the class shares p_c (0.1 for ten balanced
classes). The check takes up to QUERIES training examples and their nearest neighbours among
up to REFERENCES others (a seeded sample; about 25 ms on one core for Fashion-MNIST) and
flags agreement within noise of that baseline.

Limits: it reads inputs as flat vectors under the Euclidean distance. Where that distance
means little (token ids, unscaled tabular features) agreement is low for learnable labels
too, so the finding is a warning, never an error; a task whose labels are not classes
(regression, next-token) is not checked.
"""

from __future__ import annotations

import math

import torch

from optbench.data import Dataset
from optbench.diagnose.numbers import pct

QUERIES = 256
REFERENCES = 2048
MIN_QUERIES = 50  # fewer examples say nothing either way
# Flag when agreement is within max(0.05, 3 binomial standard deviations) of the baseline:
# shuffled digits score 0.10 against a baseline of 0.10; the noisiest learnable set of
# tests/diagnose (40% random labels on 200 digits) scores 0.6.
MIN_MARGIN = 0.05
SIGMAS = 3.0


def label_agreement(data: Dataset) -> tuple[float, float, int] | None:
    """(agreement, baseline, queries): how often a training example's nearest neighbour has
    its label, and how often two random examples share one; None if too few examples."""
    x, y = data.train.x, data.train.y
    n = len(y)
    queries = min(QUERIES, n // 2)
    if queries < MIN_QUERIES:
        return None
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    q, r = order[:queries], order[queries : queries + REFERENCES]
    xq, xr = x[q].flatten(1).float().cpu(), x[r].flatten(1).float().cpu()
    nearest = torch.cdist(xq, xr).argmin(1)
    agreement = float((y[q].cpu() == y[r].cpu()[nearest]).float().mean())
    shares = torch.bincount(y.cpu(), minlength=data.num_classes).float() / n
    return agreement, float((shares**2).sum()), queries


def unrelated_message(data: Dataset) -> str | None:
    """The finding's message when the labels look unrelated to the inputs, else None."""
    found = label_agreement(data)
    if found is None:
        return None
    agreement, baseline, queries = found
    margin = max(MIN_MARGIN, SIGMAS * math.sqrt(baseline * (1 - baseline) / queries))
    if baseline + 2 * margin >= 1 or agreement > baseline + margin:
        return None  # (nearly) one class: agreement cannot tell; imbalance is its own finding
    return (
        f"Labels look unrelated to the inputs: the nearest neighbour (in input space) of "
        f"{queries} training examples has the same label for {pct(agreement)} of them, about "
        f"as often as two random examples share one ({pct(baseline)}); learnable labels agree "
        "far more often (digits ~98%, Fashion-MNIST ~80%)."
    )
