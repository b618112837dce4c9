"""The landscape comparison as a table: rich (terminal), Markdown, or JSON.

One row per optimizer: lr used and how it was chosen, steps until f − f* stays within the
tolerance, final value, distance to the nearest known minimum, and whether it diverged (or, on
a function without a minimum, when it escaped).
"""

from __future__ import annotations

import json
import math
from typing import Any

from rich.table import Table
from rich.text import Text

from optbench.landscape.run import LandscapeResult, Run

DASH = "—"


def result_rows(result: LandscapeResult) -> list[dict[str, Any]]:
    """One plain dict per optimizer (the JSON form; NaN becomes None)."""
    return [_row(run) for run in result.runs]


def _row(run: Run) -> dict[str, Any]:
    traj = run.trajectory
    return {
        "optimizer": run.label,
        "spec": {
            "name": run.spec.name,
            "hparams": dict(run.spec.hparams),
            "profile": run.spec.profile,
        },
        "lr": run.lr,
        "lr_source": run.lr_source,
        "steps_run": max(len(traj.points) - 1, 0),
        "steps_to_tol": run.steps_to_tol,
        "final_value": _finite(run.final_value) if len(traj.values) else None,
        "final_point": list(traj.final_point) if len(traj.points) else None,
        "distance_to_nearest_minimum": _finite(run.distance),
        "nearest_minimum": list(run.nearest_minimum) if run.nearest_minimum else None,
        "diverged": run.diverged,
        "diverged_at": traj.stop_step if run.diverged else None,
        "escaped_at": run.escape_step,
        "lr_at_edge": run.lr_edge,
        "tuning": [
            {
                "lr": t.lr,
                "final_value": _finite(t.final_value),
                "steps_to_tol": t.steps_to_tol,
                "diverged": t.diverged,
            }
            for t in run.tuning
        ],
    }


def to_json(result: LandscapeResult) -> str:
    """The whole comparison (settings and rows) as indented JSON."""
    func = result.function
    doc = {
        "function": func.name,
        "start": list(func.start),
        "minima": [list(m) for m in func.minima],
        "min_value": func.min_value,
        "steps": result.steps,
        "tol": result.tol,
        "lr_note": result.lr_note,
        "lr_grid": list(result.lr_grid) if result.lr_grid else None,
        "clip": result.clip,
        "runs": result_rows(result),
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def _columns(result: LandscapeResult) -> list[str]:
    last = "escaped at" if result.function.escape_below is not None else "diverged"
    if not result.function.minima:
        return ["optimizer", "lr", "lr source", "final f", last]
    return [
        "optimizer",
        "lr",
        "lr source",
        f"steps to tol {result.tol:g}",
        "final f",
        "distance to min",
        last,
    ]


def _cells(result: LandscapeResult, run: Run) -> list[str]:
    cells = [run.label, f"{run.lr:.3g}" if run.lr is not None else DASH, run.lr_source]
    final = f"{run.final_value:.3g}" if len(run.trajectory.values) else DASH
    if result.function.minima:
        steps = str(run.steps_to_tol) if run.steps_to_tol is not None else DASH
        distance = f"{run.distance:.3g}" if math.isfinite(run.distance) else DASH
        cells += [steps, final, distance]
    else:
        cells.append(final)
    if result.function.escape_below is not None:
        cells.append(_escape_cell(run))
    else:
        cells.append(f"yes (step {run.trajectory.stop_step})" if run.diverged else "no")
    return cells


def _escape_cell(run: Run) -> str:
    if run.diverged:
        return f"diverged (step {run.trajectory.stop_step})"
    return f"step {run.escape_step}" if run.escape_step is not None else "no"


def _caption(result: LandscapeResult) -> str:
    func = result.function
    where = "no minimum" if not func.minima else f"f* = {func.min_value:g}"
    notes = [f"{func.title} ({where})", f"{result.steps} steps from {func.start}", result.lr_note]
    if result.clip_note:
        notes.append(result.clip_note)
    return "; ".join(notes)


def to_markdown(result: LandscapeResult) -> str:
    """A Markdown table with a one-line caption of the setup."""
    cols = _columns(result)
    lines = [
        f"**{_caption(result)}**",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---" if i in (0, 2) else "---:" for i in range(len(cols))) + "|",
    ]
    lines += ["| " + " | ".join(_cells(result, run)) + " |" for run in result.runs]
    return "\n".join(lines) + "\n"


def to_table(result: LandscapeResult) -> Table:
    """A rich Table (print it with a rich Console)."""
    table = Table(title=Text(_caption(result)), title_justify="left")
    for i, col in enumerate(_columns(result)):
        table.add_column(col, justify="left" if i in (0, 2) else "right")
    for run in result.runs:
        table.add_row(
            *(Text(c) for c in _cells(result, run)), style="red" if run.diverged else None
        )
    return table


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
