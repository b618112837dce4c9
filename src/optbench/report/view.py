"""A study as the report sees it: read once from the store, grouped by optimizer.

Everything here is derived from the store alone, so `optbench report` regenerates the same
report without retraining.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from optbench.core.task import TaskKind as Task
from optbench.core.task import task_kind
from optbench.report.stats import t_interval
from optbench.store.sqlite import Store

TAGS = {
    "train_loss": "train/loss",
    "train_acc": "train/acc",
    "val_loss": "val/loss",
    "val_acc": "val/acc",
    "lr": "opt/lr",
    "grad_norm": "opt/grad_norm",
    "seconds": "time/epoch_seconds",
}
FINAL_TAGS = ("train/loss", "train/acc", "val/loss", "val/acc")


@dataclass
class TrialView:
    row: dict[str, Any]
    epochs: list[dict[str, float]]  # keyed by metric tag, plus "epoch"

    @property
    def final(self) -> dict[str, float]:
        return self.epochs[-1] if self.epochs else {}

    @property
    def id(self) -> str:
        return self.row["id"]

    @property
    def group(self) -> str:
        """The label this trial is compared under (its optimizer, or head, as displayed)."""
        return self.row["optimizer"]

    @property
    def seed(self) -> int:
        return self.row["seed"]

    @property
    def spec(self) -> dict[str, Any]:
        return self.row["spec"]

    @property
    def workload(self) -> str:
        """The dataset it trained on: what performance profiles compare across."""
        return str(self.spec.get("dataset", {}).get("name", "?"))

    @property
    def search(self) -> bool:
        """A learning-rate search trial: evaluated on held-out training data, not the test
        split, so it is kept out of the results and comparisons (see `plan.tune`)."""
        return bool(self.spec.get("dataset", {}).get("holdout"))

    @property
    def done(self) -> bool:
        """Finished with at least one epoch: the trials statistics are computed over."""
        return self.row["status"] == "finished" and bool(self.epochs)

    @property
    def task(self) -> Task:
        return task_kind(self.spec.get("task"))

    @property
    def best_epoch(self) -> int | None:
        """Epoch with the best validation score on the task's metric (accuracy, R²,
        perplexity…; the first one on ties)."""
        scored = [e for e in self.epochs if _finite(e.get(primary_tag(self.task)))]
        if not scored:
            return None
        sign = 1 if self.task.primary.higher_is_better else -1
        tag = primary_tag(self.task)
        return max(scored, key=lambda e: (sign * e[tag], -e["epoch"]))["epoch"]


@dataclass
class GroupSummary:
    """One optimizer's results over its seeds: mean, standard deviation and 95% t-interval
    per metric (`ci[tag] = (low, high)`, NaN with one seed)."""

    group: str
    trials: list[TrialView]
    mean: dict[str, float] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class StudyView:
    name: str
    config: dict[str, Any]
    dataset: dict[str, Any]
    trials: list[TrialView]
    findings: list[dict[str, Any]]

    @classmethod
    def load(cls, store: Store) -> StudyView:
        by_trial: dict[str, list[dict[str, float]]] = {}
        for row in store.epochs():
            tagged = {"epoch": row["epoch"], **{tag: row[col] for col, tag in TAGS.items()}}
            tagged |= row.get("metrics") or {}  # a task's other metrics, by tag
            by_trial.setdefault(row["trial_id"], []).append(tagged)
        current = json.loads(store.get_meta("trial_ids") or "null")
        trials = [
            TrialView(t, by_trial.get(t["id"], []))
            for t in store.trials()
            if current is None or t["id"] in current
        ]
        return cls(
            name=store.get_meta("name") or "study",
            config=json.loads(store.get_meta("study") or "{}"),
            dataset=json.loads(store.get_meta("dataset") or "{}"),
            trials=trials,
            findings=store.findings(),
        )

    def groups(self) -> list[GroupSummary]:
        order: dict[str, list[TrialView]] = {}
        for t in self.trials:
            order.setdefault(t.group, []).append(t)
        return [_summarise(g, ts) for g, ts in order.items()]

    def group_order(self) -> list[str]:
        """Group labels in study order, lr-search groups last: the order of tables, legends
        and colours (so a search never shifts the colours of the groups compared)."""
        ordered = sorted(self.trials, key=lambda t: t.search)  # stable: study order kept
        return list(dict.fromkeys(t.group for t in ordered))

    def workloads(self) -> list[str]:
        """Datasets the study trained on, in study order (one for every study file today)."""
        return list(dict.fromkeys(t.workload for t in self.trials))

    def runs(self) -> dict[str, list[list[dict[str, float]]]]:
        """Per group, each seed's epoch rows (the plots' input)."""
        return {g.group: [t.epochs for t in g.trials if t.epochs] for g in self.groups()}


def primary_tag(task: Task) -> str:
    """The validation metric results are ranked by: `val/acc`, `val/r2`, `val/perplexity`."""
    return f"val/{task.primary.name}"


def best_tag(task: Task) -> str:
    """The best epoch's value of the task's metric: `best/val_acc`, `best/val_r2`, …"""
    return "best/" + primary_tag(task).replace("/", "_")


def final_tags(task: Task) -> tuple[str, ...]:
    """The final-epoch metrics a trial of `task` is summarised by."""
    names = ("loss", *(m.name for m in task.metrics))
    return tuple(f"{split}/{name}" for name in names for split in ("train", "val"))


def final_metrics(trial: TrialView) -> dict[str, float]:
    """The numbers a finished trial is summarised by (final epoch, best epoch, speed)."""
    final, task = trial.final, trial.task
    values = {tag: _number(final.get(tag)) for tag in final_tags(task)}
    values["best_epoch"] = float(trial.best_epoch or 0)
    best = trial.best_epoch
    tag = primary_tag(task)
    values[best_tag(task)] = _number(trial.epochs[best - 1].get(tag)) if best else math.nan
    values["seconds_per_epoch"] = statistics.fmean(e["time/epoch_seconds"] for e in trial.epochs)
    return values


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _number(value: Any) -> float:
    """A stored metric as a float (SQLite keeps NaN as NULL)."""
    return float(value) if isinstance(value, int | float) else math.nan


def _summarise(group: str, trials: list[TrialView]) -> GroupSummary:
    summary = GroupSummary(group, trials)
    per_metric: dict[str, list[float]] = {}
    for t in trials:
        if t.done:
            for key, value in final_metrics(t).items():
                per_metric.setdefault(key, []).append(value)
    for key, values in per_metric.items():
        interval = t_interval(values)
        summary.mean[key] = interval.mean
        summary.std[key] = interval.sd
        summary.ci[key] = (interval.low, interval.high)
    return summary
