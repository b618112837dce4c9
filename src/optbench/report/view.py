"""A study as the report sees it: read once from the store, grouped by optimizer.

Everything here is derived from the store alone, so `optbench report` regenerates the same
report without retraining.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

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
    def best_epoch(self) -> int | None:
        """Epoch with the highest validation accuracy (first one on ties)."""
        if not self.epochs:
            return None
        return max(self.epochs, key=lambda e: (e["val/acc"], -e["epoch"]))["epoch"]


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


def final_metrics(trial: TrialView) -> dict[str, float]:
    """The numbers a finished trial is summarised by (final epoch, best epoch, speed)."""
    final = trial.final
    values = {tag: final[tag] for tag in FINAL_TAGS}
    values["best_epoch"] = float(trial.best_epoch or 0)
    values["best/val_acc"] = max(e["val/acc"] for e in trial.epochs)
    values["seconds_per_epoch"] = statistics.fmean(e["time/epoch_seconds"] for e in trial.epochs)
    return values


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
