"""Statistics over seeds: t-intervals, paired comparisons, Holm's correction, ranks, profiles.

Pure functions on numbers, so each one is testable against a hand calculation. The study
design makes seeds *paired*: for one seed every optimizer starts from the same weights and sees
the same batches, so optimizer A is compared with B seed by seed (the difference per seed) rather
than as two independent samples. That removes the seed-to-seed variation both share and is why
five seeds can separate optimizers whose unpaired intervals overlap.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from optbench.report.student_t import t_isf, t_sf

CONFIDENCE = 0.95
ALPHA = 1.0 - CONFIDENCE
NAN = math.nan


@dataclass(frozen=True)
class Interval:
    """Mean, sample standard deviation and two-sided t-interval of `n` values.

    `sd`, `low` and `high` are NaN for fewer than two values: one value has no spread.
    """

    n: int
    mean: float
    sd: float
    low: float
    high: float

    @property
    def defined(self) -> bool:
        return self.n >= 2 and not math.isnan(self.low)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def t_quantile(df: int, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student-t critical value, e.g. 2.776 for 4 degrees of freedom at 95%."""
    return t_isf((1.0 - confidence) / 2.0, df)


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """mean ± t(n-1) · sd / √n: the usual small-sample interval for a mean."""
    n = len(values)
    if n == 0:
        return Interval(0, NAN, NAN, NAN, NAN)
    mean = statistics.fmean(values)
    if n == 1:
        return Interval(1, mean, NAN, NAN, NAN)
    sd = statistics.stdev(values)
    half = t_quantile(n - 1, confidence) * sd / math.sqrt(n)
    return Interval(n, mean, sd, mean - half, mean + half)


@dataclass(frozen=True)
class PairedComparison:
    """A − B on one metric over the seeds both finished (the difference per seed).

    `effect` is Cohen's d for paired samples (d_z): mean difference / sd of the differences.
    `p` is the two-sided paired t-test; `p_holm` the same after Holm's correction over every
    pair compared on this metric (filled in by `holm`).
    """

    metric: str
    a: str
    b: str
    seeds: tuple[int, ...]
    diff: Interval
    effect: float
    p: float
    higher_is_better: bool
    p_holm: float = NAN
    pairs: int = 1  # how many comparisons `p_holm` corrects for

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def winner(self) -> str | None:
        """The better of the two when the interval excludes zero, else None."""
        if not self.diff.defined or self.diff.contains(0.0):
            return None
        a_ahead = self.diff.mean > 0
        return self.a if a_ahead == self.higher_is_better else self.b

    @property
    def holm_agrees(self) -> bool:
        """The difference also holds after correcting for all pairs (p_holm < 0.05)."""
        return not math.isnan(self.p_holm) and self.p_holm < ALPHA

    @property
    def verdict(self) -> str:
        """Plain words: `adam better`, `not distinguishable with 5 seeds`, …"""
        if self.n == 0:
            return "no seed finished for both"
        if self.n == 1:
            return "not distinguishable with 1 seed: one seed cannot decide"
        winner = self.winner
        if winner is None:
            return f"not distinguishable with {self.n} seeds"
        if self.pairs > 1 and not self.holm_agrees:
            return f"{winner} better (not after Holm correction over {self.pairs} pairs)"
        return f"{winner} better"


def paired_comparison(
    metric: str,
    a: str,
    a_values: Mapping[int, float],
    b: str,
    b_values: Mapping[int, float],
    higher_is_better: bool = True,
) -> PairedComparison:
    """Compare A with B seed by seed: a t-interval on the per-seed differences A − B."""
    seeds = tuple(sorted(set(a_values) & set(b_values)))
    diffs = [a_values[s] - b_values[s] for s in seeds]
    diff = t_interval(diffs)
    effect, p = NAN, NAN
    if diff.n >= 2:
        if diff.sd > 0:
            effect = diff.mean / diff.sd
            t = diff.mean / (diff.sd / math.sqrt(diff.n))
            p = min(1.0, 2.0 * t_sf(abs(t), diff.n - 1))
        else:  # every seed gave the same difference: the interval is that point
            diff = Interval(diff.n, diff.mean, 0.0, diff.mean, diff.mean)
            effect, p = (0.0, 1.0) if diff.mean == 0 else (math.copysign(math.inf, diff.mean), 0.0)
    return PairedComparison(metric, a, b, seeds, diff, effect, p, higher_is_better)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (NaNs stay NaN and are not counted as tests)."""
    valid = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(valid)
    adjusted = [NAN] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(valid):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def per_seed_ranks(
    values: Mapping[str, Mapping[int, float]], higher_is_better: bool = True
) -> tuple[dict[str, float], dict[str, int], int]:
    """Mean rank (1 = best) and wins per group, over the seeds every group finished.

    Ties share the average rank; a tie for first counts as a win for each. Returns
    (mean rank, wins, number of seeds used).
    """
    groups = list(values)
    seeds = sorted(set.intersection(*(set(v) for v in values.values()))) if groups else []
    totals = dict.fromkeys(groups, 0.0)
    wins = dict.fromkeys(groups, 0)
    for seed in seeds:
        scores = [values[g][seed] * (-1 if higher_is_better else 1) for g in groups]
        ranks = average_ranks(scores)
        best = min(scores)
        for g, rank, score in zip(groups, ranks, scores, strict=True):
            totals[g] += float(rank)
            wins[g] += score == best
    mean = {g: totals[g] / len(seeds) if seeds else NAN for g in groups}
    return mean, wins, len(seeds)


def average_ranks(scores: Sequence[float]) -> list[float]:
    """1-based ranks, lowest score first; tied scores share the mean of their positions
    (scipy's rankdata(method="average"), without importing scipy.stats for it)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def epochs_to_target(curve: Iterable[float], target: float) -> int | None:
    """First epoch (1-based) whose value reaches `target`, or None if none does."""
    for epoch, value in enumerate(curve, start=1):
        if value >= target:
            return epoch
    return None


def auto_target(best_means: Iterable[float]) -> float | None:
    """A reachable target: 99% of the best group's mean best accuracy, floored to 0.5 pp.

    DeepOBS fixes one target per problem; a study on any dataset has no such table, so the
    target is derived from the study itself: the level the best optimizer reliably reaches.
    """
    finite = [v for v in best_means if not math.isnan(v)]
    if not finite:
        return None
    return math.floor(max(finite) * 0.99 * 200.0) / 200.0


def median(values: Sequence[float]) -> float:
    """Median where `inf` (target never reached) is an ordinary, largest value."""
    return statistics.median(values) if values else NAN


def performance_profile(
    costs: Mapping[str, Mapping[str, float]], taus: Sequence[float]
) -> dict[str, list[float]]:
    """AlgoPerf-style profile: for each group, the fraction of workloads solved within τ× the
    fastest group's cost on that workload (`inf` = never reached the target).

    `costs[workload][group]`; a group missing from a workload counts as never reaching it.
    """
    groups = sorted({g for per in costs.values() for g in per}, key=_first_seen(costs))
    profile = {g: [0.0] * len(taus) for g in groups}
    for per in costs.values():
        best = min(per.values(), default=math.inf)
        for g in groups:
            cost = per.get(g, math.inf)
            ratio = cost / best if math.isfinite(cost) and best > 0 else math.inf
            for k, tau in enumerate(taus):
                profile[g][k] += (ratio <= tau) / len(costs)
    return profile


def _first_seen(costs: Mapping[str, Mapping[str, float]]):
    order: dict[str, int] = {}
    for per in costs.values():
        for g in per:
            order.setdefault(g, len(order))
    return order.__getitem__
