"""Do the labels follow from the inputs? Checked before any training, per task:

- classification: nearest-neighbour agreement (below);
- regression: nearest-neighbour correlation — the rank correlation between an example's
  target and its nearest neighbour's (diabetes: 0.42; shuffled targets: within ±0.14 over ten
  shuffles, against a noise level of 3/√177 = 0.23 for its 177 queries);
- language modelling: how much the current token says about the next one (the mutual
  information of the pairs (x_t, y_t), in nats; Python source, character level: 0.91) against
  the same tokens paired at random (0.04: the plug-in estimate's bias). Next tokens that were
  shuffled or misaligned with their inputs carry no more information than random pairs.

Classification:

For a learnable task an example's nearest neighbour in input space usually has its label
(digits ~98%, Fashion-MNIST ~80%, its t-shirt/shirt pair ~75%). If labels were shuffled, or
inputs and labels were sorted or subset separately, a neighbour shares the label only as
often as two random examples do: Σ_c p_c² over the class shares p_c (0.1 for ten balanced
classes). The check takes up to QUERIES training examples and their nearest neighbours among
up to REFERENCES others (a seeded sample; about 25 ms on one core for Fashion-MNIST) and
flags agreement within noise of that baseline.

Limits: it reads inputs as flat vectors under the Euclidean distance. Where that distance
means little (unscaled tabular features) agreement and correlation are low for learnable
labels too, so the finding is a warning, never an error. The token check sees only adjacent
tokens: a sequence whose next token depends on earlier ones but not on the current one would
look unrelated (no text or code does).
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
    y = data.train.y.cpu()
    pairs = nearest_pairs(data.train.x)
    if pairs is None:
        return None
    q, neighbour = pairs
    agreement = float((y[q] == y[neighbour]).float().mean())
    shares = torch.bincount(y, minlength=data.num_classes).float() / len(y)
    return agreement, float((shares**2).sum()), len(q)


def nearest_pairs(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(queries, their nearest neighbours): indices of up to QUERIES examples of `x` and of
    each one's nearest neighbour (Euclidean, flat inputs) among up to REFERENCES others, from
    one seeded sample; None when there are too few examples to say anything."""
    n = len(x)
    queries = min(QUERIES, n // 2)
    if queries < MIN_QUERIES:
        return None
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    q, r = order[:queries], order[queries : queries + REFERENCES]
    xq, xr = x[q].flatten(1).float().cpu(), x[r].flatten(1).float().cpu()
    return q, r[torch.cdist(xq, xr).argmin(1)]


def unrelated_message(data: Dataset) -> str | None:
    """The finding's message when the labels look unrelated to the inputs, else None."""
    if data.task == "regression":
        return _targets_message(data)
    if data.task == "language_model":
        return _tokens_message(data)
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


# -- regression ---------------------------------------------------------------------------

# Flag when the neighbours' rank correlation is below max(0.1, 3/√queries).
MIN_CORRELATION = 0.1


def neighbour_correlation(data: Dataset) -> tuple[float, int] | None:
    """(correlation, queries): the rank (Spearman) correlation between the targets of up to
    QUERIES training examples and of their nearest neighbours among up to REFERENCES others,
    averaged over the target's dimensions; None if too few examples or constant targets."""
    y = data.train.y.float().reshape(len(data.train.y), -1).cpu()
    pairs = nearest_pairs(data.train.x)
    if pairs is None:
        return None
    q, neighbour = pairs
    queries = len(q)
    mine, theirs = _ranks(y[q]), _ranks(y[neighbour])
    correlations = [
        float(torch.corrcoef(torch.stack([a, b]))[0, 1])
        for a, b in zip(mine.T, theirs.T, strict=True)
    ]
    finite = [c for c in correlations if math.isfinite(c)]
    return (sum(finite) / len(finite), queries) if finite else None


def _ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks along dim 0 (ties broken by order), as floats."""
    return values.argsort(0).argsort(0).float()


def _targets_message(data: Dataset) -> str | None:
    found = neighbour_correlation(data)
    if found is None:
        return None
    correlation, queries = found
    margin = max(MIN_CORRELATION, SIGMAS / math.sqrt(queries))
    if correlation > margin:
        return None
    return (
        f"Targets look unrelated to the inputs: for {queries} training examples, the target "
        f"of the nearest neighbour (in input space) correlates with their own by {correlation:.2f}"
        f" (rank correlation), within noise of 0 (±{margin:.2f}); learnable targets correlate "
        "clearly (scikit-learn's diabetes data: 0.42)."
    )


# -- language modelling -------------------------------------------------------------------

TOKEN_PAIRS = 200_000  # (x_t, y_t) pairs read at most: a few ms of bincount
TOP_TOKENS = 255  # the most frequent tokens kept apart; the rest share one bucket
MIN_PAIRS = 1000
MIN_INFORMATION = 0.01  # nats above the random-pair baseline, or 3 of its standard deviations


def token_information(data: Dataset) -> tuple[float, float, int] | None:
    """(information, baseline, pairs): the mutual information in nats between the input token
    and the next token at the same position, and between the same tokens paired at random (a
    seeded permutation): the plug-in estimate's bias. None for fewer than MIN_PAIRS pairs."""
    x, y = data.train.x.flatten().cpu(), data.train.y.flatten().cpu()
    if len(x) != len(y) or len(x) < MIN_PAIRS or x.is_floating_point():
        return None
    keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:TOKEN_PAIRS]
    x, y = x[keep], y[keep]
    xb, yb, buckets = _bucket(x), _bucket(y), TOP_TOKENS + 1
    shuffled = yb[torch.randperm(len(yb), generator=torch.Generator().manual_seed(1))]
    return _information(xb, yb, buckets), _information(xb, shuffled, buckets), len(x)


def _bucket(tokens: torch.Tensor) -> torch.Tensor:
    """The TOP_TOKENS most frequent tokens as 0..TOP_TOKENS-1, every other token as TOP_TOKENS."""
    counts = torch.bincount(tokens)
    top = counts.argsort(descending=True)[:TOP_TOKENS]
    index = torch.full((len(counts),), TOP_TOKENS, dtype=torch.long)
    index[top] = torch.arange(len(top))
    return index[tokens]


def _information(a: torch.Tensor, b: torch.Tensor, buckets: int) -> float:
    """Plug-in mutual information of the pairs (a_i, b_i), in nats."""
    joint = torch.bincount(a * buckets + b, minlength=buckets * buckets).double()
    p = (joint / joint.sum()).reshape(buckets, buckets)
    outer = p.sum(1, keepdim=True) * p.sum(0, keepdim=True)
    seen = p > 0
    return float((p[seen] * (p[seen] / outer[seen]).log()).sum())


def _tokens_message(data: Dataset) -> str | None:
    found = token_information(data)
    if found is None:
        return None
    information, baseline, pairs = found
    kinds = min(TOP_TOKENS + 1, int(data.train.x.max()) + 1)
    spread = (kinds - 1) / (math.sqrt(2) * pairs)  # sd of the estimate under independence
    if information > baseline + max(MIN_INFORMATION, SIGMAS * spread):
        return None
    return (
        f"Next tokens look unrelated to the inputs: over {pairs} positions, the input token "
        f"tells {information:.3f} nats about the target at its position, no more than the "
        f"same tokens paired at random ({baseline:.3f}); in text the current token says much "
        "about the next one (Python source, character level: 0.91 nats)."
    )
