"""Everything the report concludes from a study, computed once from its StudyView.

Markdown, HTML, the terminal and `optbench export` all render this one analysis, so they can
never disagree. Groups are summarised per workload (dataset): a study spanning several datasets
gets one set of tables per dataset and a performance profile across them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from optbench.core.task import TaskKind, task_kind
from optbench.report.stats import (
    Interval,
    PairedComparison,
    auto_target,
    epochs_to_target,
    holm,
    median,
    paired_comparison,
    per_seed_ranks,
    performance_profile,
    t_interval,
)
from optbench.report.view import StudyView, TrialView, best_tag, final_metrics, primary_tag

PROFILE_TAUS = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
COMPARED = {"val/acc": True, "val/loss": False}  # a classification study's (see `compared`)


@dataclass
class GroupStats:
    """One group (optimizer label) on one workload: its trials and per-metric intervals."""

    group: str
    trials: list[TrialView]
    per_seed: dict[str, dict[int, float]] = field(default_factory=dict)  # metric → seed → value
    metrics: dict[str, Interval] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return sum(1 for t in self.trials if t.done)

    def interval(self, metric: str) -> Interval:
        return self.metrics.get(metric, t_interval([]))


@dataclass(frozen=True)
class Ranking:
    group: str
    rank: int  # by mean final test accuracy, 1 = best
    mean_rank: float  # mean of the per-seed ranks (seeds every group finished)
    wins: int  # seeds on which it was best (ties count for each)
    seeds: int
    versus_best: PairedComparison | None  # None for the best group itself


@dataclass(frozen=True)
class TargetResult:
    group: str
    reached: int
    total: int
    median_epochs: float  # inf when most seeds never reached the target
    median_seconds: float


@dataclass(frozen=True)
class LrPoint:
    lr: float
    group: str
    values: tuple[float, ...]  # final test accuracy per seed
    interval: Interval


@dataclass(frozen=True)
class LrFamily:
    """Groups that differ only by learning rate (same optimizer, other hparams, model, head).

    `split` is what `values` were measured on: `test` (an lr grid in the study) or `held-out`
    (the trials of an lr search, which never look at the test split).
    """

    label: str
    color_group: str  # the group whose colour the family takes in every figure
    points: tuple[LrPoint, ...]  # sorted by lr
    split: str = "test"
    higher: bool = True  # the metric is better higher (accuracy, R²) or lower (perplexity)

    @property
    def best(self) -> LrPoint:
        """The best rate by mean (the smaller rate on a tie)."""
        sign = 1 if self.higher else -1
        return max(self.points, key=lambda p: (sign * p.interval.mean, -p.lr))


@dataclass
class WorkloadAnalysis:
    workload: str
    task: TaskKind  # what its trials learn: the metric they are ranked by (`score`)
    groups: list[GroupStats]
    comparisons: dict[str, list[PairedComparison]]  # metric → pairs, better mean first
    ranking: list[Ranking]
    target: float | None
    time_to_target: list[TargetResult]
    lr_families: list[LrFamily]

    @property
    def seeds(self) -> int:
        """Most seeds any group finished (what "with N seeds" refers to)."""
        return max((g.finished for g in self.groups), default=0)

    @property
    def score(self) -> str:
        """The final validation metric optimizers are ranked by: `val/acc`, `val/r2`, …"""
        return primary_tag(self.task)

    @property
    def best_key(self) -> str:
        """Its best-epoch value's key (`best/val_acc`, …)."""
        return best_tag(self.task)


@dataclass
class Analysis:
    workloads: list[WorkloadAnalysis]
    group_order: list[str]
    profile: dict[str, list[float]] | None  # group → ρ(τ) for PROFILE_TAUS; None if 1 workload
    profile_taus: tuple[float, ...] = PROFILE_TAUS

    @property
    def multi(self) -> bool:
        return len(self.workloads) > 1


def analyse(view: StudyView, target: float | None = None) -> Analysis:
    """Summaries, paired comparisons, ranks, time-to-target, lr sensitivity and profiles.

    `target` (a test accuracy in [0, 1]) overrides the automatic time-to-target level.
    """
    workloads = [_workload(view, w, target) for w in view.workloads()]
    profile = None
    if len(workloads) > 1:
        costs = {
            w.workload: {r.group: r.median_epochs for r in w.time_to_target} for w in workloads
        }
        profile = performance_profile(costs, PROFILE_TAUS)
    return Analysis(workloads, view.group_order(), profile)


def compared(task: TaskKind) -> dict[str, bool]:
    """Metrics compared between optimizers, and whether higher is better."""
    return {primary_tag(task): task.primary.higher_is_better, "val/loss": False}


def _workload(view: StudyView, workload: str, target: float | None) -> WorkloadAnalysis:
    trials = [t for t in view.trials if t.workload == workload and not t.search]
    search = [t for t in view.trials if t.workload == workload and t.search]
    task = task_kind(view.config.get("task"))
    groups = _group_stats(trials)
    comparisons = {m: _compare(groups, m, better) for m, better in compared(task).items()}
    score, higher = primary_tag(task), task.primary.higher_is_better
    if target is None and task.primary.percent:  # a time to reach an accuracy
        target = auto_target(g.interval(best_tag(task)).mean for g in groups)
    if not task.primary.percent:
        target = None
    return WorkloadAnalysis(
        workload=workload,
        task=task,
        groups=groups,
        comparisons=comparisons,
        ranking=_rank(groups, comparisons[score], score, higher),
        target=target,
        time_to_target=[_time_to_target(g, target, score) for g in groups] if target else [],
        lr_families=_lr_families(_group_stats(search), "held-out", groups, score, higher)
        + _lr_families(groups, "test", groups, score, higher),
    )


def _group_stats(trials: Sequence[TrialView]) -> list[GroupStats]:
    by_group: dict[str, GroupStats] = {}
    for t in trials:
        stats = by_group.setdefault(t.group, GroupStats(t.group, []))
        stats.trials.append(t)
        if t.done:
            for metric, value in final_metrics(t).items():
                stats.per_seed.setdefault(metric, {})[t.seed] = value
    for stats in by_group.values():
        stats.metrics = {m: t_interval(list(v.values())) for m, v in stats.per_seed.items()}
    return list(by_group.values())


def _by_mean(groups: Sequence[GroupStats], metric: str, higher: bool) -> list[GroupStats]:
    """Best mean first; groups without a finished trial last; study order breaks ties."""

    def key(g: GroupStats) -> tuple[bool, float]:
        mean = g.interval(metric).mean
        return (math.isnan(mean), -mean if higher else mean)

    return sorted(groups, key=key)


def _compare(groups: Sequence[GroupStats], metric: str, higher: bool) -> list[PairedComparison]:
    """Every pair once, the better mean first, corrected together with Holm's method."""
    ordered = [g for g in _by_mean(groups, metric, higher) if metric in g.per_seed]
    pairs = [
        paired_comparison(metric, a.group, a.per_seed[metric], b.group, b.per_seed[metric], higher)
        for i, a in enumerate(ordered)
        for b in ordered[i + 1 :]
    ]
    adjusted = holm([c.p for c in pairs])
    tested = sum(1 for p in adjusted if not math.isnan(p))
    return [_with_holm(c, p, tested) for c, p in zip(pairs, adjusted, strict=True)]


def _with_holm(c: PairedComparison, p_holm: float, tested: int) -> PairedComparison:
    return replace(c, p_holm=p_holm, pairs=max(tested, 1))


def _rank(
    groups: Sequence[GroupStats], comparisons: list[PairedComparison], score: str, higher: bool
) -> list[Ranking]:
    ordered = [g for g in _by_mean(groups, score, higher) if score in g.per_seed]
    if not ordered:
        return []
    per_seed = {g.group: g.per_seed[score] for g in ordered}
    mean_rank, wins, seeds = per_seed_ranks(per_seed, higher)
    best = ordered[0].group
    versus = {c.b: c for c in comparisons if c.a == best}
    return [
        Ranking(g.group, k, mean_rank[g.group], wins[g.group], seeds, versus.get(g.group))
        for k, g in enumerate(ordered, start=1)
    ]


def _time_to_target(g: GroupStats, target: float, score: str) -> TargetResult:
    epochs: list[float] = []
    seconds: list[float] = []
    for t in g.trials:
        if not t.done:
            continue
        hit = epochs_to_target((e[score] for e in t.epochs), target)
        epochs.append(math.inf if hit is None else float(hit))
        spent = sum(e["time/epoch_seconds"] for e in t.epochs[: hit or 0])
        seconds.append(math.inf if hit is None else spent)
    reached = sum(1 for e in epochs if math.isfinite(e))
    return TargetResult(g.group, reached, len(epochs), median(epochs), median(seconds))


def _family_key(t: TrialView) -> str:
    """Everything that defines a trial except its lr, seed, label and held-out split."""
    spec = json.loads(json.dumps(t.spec))  # a deep copy
    spec["optimizer"]["hparams"].pop("lr", None)
    spec.get("dataset", {}).pop("holdout", None)
    for key in ("seed", "optimizer_label", "init_from"):
        spec.pop(key, None)
    return json.dumps(spec, sort_keys=True)


def _first_done(g: GroupStats) -> TrialView | None:
    return next((t for t in g.trials if t.done), None)


def _lr_families(
    groups: Sequence[GroupStats],
    split: str,
    shown: Sequence[GroupStats],
    score: str,
    higher: bool = True,
) -> list[LrFamily]:
    """Groups whose trials differ only by `lr`; a family with two or more rates is plotted.

    A family takes the colour of the first compared group of the same optimizer setup (so an
    lr search is drawn in the colour of the optimizer it tuned).
    """
    colour_of: dict[str, str] = {}
    for g in shown:
        if (t := _first_done(g)) is not None:
            colour_of.setdefault(_family_key(t), g.group)
    families: dict[str, dict[float, GroupStats]] = {}
    names: dict[str, str] = {}
    for g in groups:
        t = _first_done(g)
        lr = t.spec["optimizer"]["hparams"].get("lr") if t else None
        if t is None or lr is None:
            continue
        key = _family_key(t)
        families.setdefault(key, {}).setdefault(float(lr), g)
        names[key] = t.spec["optimizer"]["name"]
    result = []
    for key, by_lr in families.items():
        if len(by_lr) < 2:
            continue
        points = tuple(
            LrPoint(lr, g.group, tuple(g.per_seed[score].values()), g.interval(score))
            for lr, g in sorted(by_lr.items())
        )
        colour = colour_of.get(key, next(iter(by_lr.values())).group)
        result.append(LrFamily(names[key], colour, points, split, higher))
    return _disambiguate(result)


def _disambiguate(families: list[LrFamily]) -> list[LrFamily]:
    """Two families of one optimizer (other hparams differ) are told apart by a number."""
    counts: dict[str, int] = {}
    for f in families:
        counts[f.label] = counts.get(f.label, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for f in families:
        if counts[f.label] > 1:
            seen[f.label] = seen.get(f.label, 0) + 1
            f = replace(f, label=f"{f.label} #{seen[f.label]} ({f.points[0].group})")
        out.append(f)
    return out


def summary_dict(analysis: Analysis) -> dict[str, Any]:
    """The analysis as plain JSON-able data (`optbench export --format json`)."""
    return {
        "workloads": [_workload_dict(w) for w in analysis.workloads],
        "performance_profile": None
        if analysis.profile is None
        else {"taus": list(analysis.profile_taus), "groups": analysis.profile},
    }


def _interval_dict(i: Interval) -> dict[str, Any]:
    return {"n": i.n, "mean": _num(i.mean), "sd": _num(i.sd), "ci95": [_num(i.low), _num(i.high)]}


def _num(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def _workload_dict(w: WorkloadAnalysis) -> dict[str, Any]:
    return {
        "dataset": w.workload,
        "task": w.task.name,
        "ranked_by": w.score,
        "groups": {
            g.group: {
                "finished": g.finished,
                "trials": len(g.trials),
                "metrics": {m: _interval_dict(i) for m, i in g.metrics.items()},
            }
            for g in w.groups
        },
        "comparisons": {
            m: [
                {
                    "a": c.a,
                    "b": c.b,
                    "seeds": list(c.seeds),
                    "difference": _interval_dict(c.diff),
                    "effect_size_dz": _num(c.effect),
                    "p": _num(c.p),
                    "p_holm": _num(c.p_holm),
                    "verdict": c.verdict,
                }
                for c in pairs
            ]
            for m, pairs in w.comparisons.items()
        },
        "target": w.target,
        "time_to_target": [
            {
                "group": r.group,
                "reached": r.reached,
                "seeds": r.total,
                "median_epochs": _num(r.median_epochs),
                "median_seconds": _num(r.median_seconds),
            }
            for r in w.time_to_target
        ],
    }
