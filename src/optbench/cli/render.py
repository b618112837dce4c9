"""Terminal rendering of a study's results (shared by `compare`, `run` and `show`)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from optbench.report import StudyView


def _pm(mean: float | None, std: float | None, percent: bool = False) -> str:
    if mean is None or math.isnan(mean):
        return "—"
    scale = 100.0 if percent else 1.0
    text = f"{mean * scale:.2f}%" if percent else f"{mean:.4f}"
    if std is not None and not math.isnan(std):
        text += f" ± {std * scale:.2f}" if percent else f" ± {std:.4f}"
    return text


def results_table(view: StudyView) -> Table:
    table = Table(title=f"Study {view.name}: final epoch (validation = test split)")
    for col in (
        "Optimizer",
        "Seeds",
        "Train acc",
        "Train loss",
        "Test acc",
        "Test loss",
        "Best epoch",
        "s/epoch",
    ):
        table.add_column(col, justify="left" if col == "Optimizer" else "right")
    for g in view.groups():
        m, s = g.mean, g.std
        done = sum(1 for t in g.trials if t.row["status"] == "finished")
        table.add_row(
            g.group,
            f"{done}/{len(g.trials)}",
            _pm(m.get("train/acc"), s.get("train/acc"), True),
            _pm(m.get("train/loss"), s.get("train/loss")),
            _pm(m.get("val/acc"), s.get("val/acc"), True),
            _pm(m.get("val/loss"), s.get("val/loss")),
            f"{m['best_epoch']:.0f}" if "best_epoch" in m else "—",
            f"{m['seconds_per_epoch']:.2f}" if "seconds_per_epoch" in m else "—",
        )
    return table


def print_results(console: Console, view: StudyView) -> None:
    console.print(results_table(view))
