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

from optbench.store import Store

TAGS = {
    "train_loss": "train/loss",
    "train_acc": "train/acc",
    "val_loss": "val/loss",
    "val_acc": "val/acc",
    "lr": "opt/lr",
    "grad_norm": "opt/grad_norm",
    "seconds": "time/epoch_seconds",
}


@dataclass
class TrialView:
    row: dict[str, Any]
    epochs: list[dict[str, float]]  # keyed by metric tag, plus "epoch"

    @property
    def final(self) -> dict[str, float]:
        return self.epochs[-1] if self.epochs else {}

    @property
    def best_epoch(self) -> int | None:
        """Epoch with the highest validation accuracy (first one on ties)."""
        if not self.epochs:
            return None
        return max(self.epochs, key=lambda e: (e["val/acc"], -e["epoch"]))["epoch"]


@dataclass
class GroupSummary:
    """One optimizer's results over its seeds: mean and standard deviation per metric."""

    group: str
    trials: list[TrialView]
    mean: dict[str, float] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)


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
            order.setdefault(t.row["optimizer"], []).append(t)
        return [_summarise(g, ts) for g, ts in order.items()]

    def runs(self) -> dict[str, list[list[dict[str, float]]]]:
        """Per group, each seed's epoch rows (the plots' input)."""
        return {g.group: [t.epochs for t in g.trials if t.epochs] for g in self.groups()}


def _summarise(group: str, trials: list[TrialView]) -> GroupSummary:
    done = [t for t in trials if t.row["status"] == "finished" and t.epochs]
    summary = GroupSummary(group, trials)
    per_metric: dict[str, list[float]] = {}
    for t in done:
        final = t.final
        values = {tag: final[tag] for tag in ("train/loss", "train/acc", "val/loss", "val/acc")}
        values["best_epoch"] = float(t.best_epoch or 0)
        values["best/val_acc"] = max(e["val/acc"] for e in t.epochs)
        values["seconds_per_epoch"] = statistics.fmean(e["time/epoch_seconds"] for e in t.epochs)
        for key, value in values.items():
            per_metric.setdefault(key, []).append(value)
    for key, values in per_metric.items():
        summary.mean[key] = statistics.fmean(values)
        summary.std[key] = statistics.stdev(values) if len(values) > 1 else math.nan
    return summary
