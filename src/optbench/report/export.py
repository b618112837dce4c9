"""A study's data for other tools (`optbench export`): CSV with one row per trial per epoch,
or JSON with every trial, epoch, finding and the report's statistics.

`split` says what the trial's `val/*` metrics were measured on: the test split, or (lr-search
trials) data held out of the training set.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from optbench.report.analysis import analyse, summary_dict
from optbench.report.view import TAGS, StudyView

TRIAL_COLUMNS = (
    "study",
    "trial_id",
    "group",
    "dataset",
    "split",
    "optimizer",
    "profile",
    "lr",
    "seed",
    "status",
    "epoch",
)
METRIC_COLUMNS = tuple(TAGS.values())  # train/loss, …, time/epoch_seconds


def export_csv(view: StudyView) -> str:
    """One row per trial per epoch (a trial without epochs gets one row, epoch empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRIAL_COLUMNS + METRIC_COLUMNS)
    for t in view.trials:
        opt = t.spec.get("optimizer", {})
        head = (
            view.name,
            t.id,
            t.group,
            t.workload,
            "held-out" if t.search else "test",
            opt.get("name", ""),
            opt.get("profile", ""),
            opt.get("hparams", {}).get("lr", ""),
            t.seed,
            t.row["status"],
        )
        for e in t.epochs or [{}]:
            writer.writerow((*head, e.get("epoch", ""), *(e.get(m, "") for m in METRIC_COLUMNS)))
    return out.getvalue()


def export_json(view: StudyView) -> str:
    """Everything the report is built from, plus its statistics (NaN and ∞ become null/strings)."""
    data = {
        "study": view.name,
        "config": view.config,
        "dataset": view.dataset,
        "trials": [_trial(t) for t in view.trials],
        "findings": view.findings,
        "analysis": summary_dict(analyse(view)),
    }
    return json.dumps(_clean(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _trial(t: Any) -> dict[str, Any]:
    keep = (
        "id",
        "label",
        "optimizer",
        "seed",
        "status",
        "init_fingerprint",
        "final_fingerprint",
        "digest",
        "first_batch_loss",
        "env",
        "error",
        "spec",
    )
    row = {k: t.row[k] for k in keep}
    row["group"] = row.pop("optimizer")
    row["epochs"] = t.epochs
    return row


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
