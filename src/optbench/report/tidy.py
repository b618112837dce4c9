"""A study as rows: one per trial × epoch (`tidy_rows`), one per optimizer (`summary_rows`).

What `optbench.compare(...).to_pandas()` and `.summary()` return; plain dicts, so pandas stays
optional. The metrics are the task's (`val/acc`, or `val/r2` and `val/mae`, or
`val/perplexity`), by the same tags as TensorBoard, the store and the report.
"""

from __future__ import annotations

from typing import Any

from optbench.core.task import task_kind
from optbench.report.view import StudyView, final_tags, primary_tag

TIMING = ("opt/lr", "opt/grad_norm", "time/epoch_seconds")


def tidy_rows(view: StudyView) -> list[dict[str, Any]]:
    rows = []
    for trial in view.trials:
        tags = [*final_tags(trial.task), *TIMING]
        for epoch in trial.epochs:
            rows.append(
                {
                    "trial": trial.id,
                    "optimizer": trial.group,
                    "seed": trial.seed,
                    "status": trial.row["status"],
                    "epoch": epoch["epoch"],
                    **{tag: epoch.get(tag) for tag in tags},
                }
            )
    return rows


def summary_rows(view: StudyView) -> list[dict[str, Any]]:
    """Per optimizer: finished seeds, and each final metric's mean, sd and 95% interval."""
    task = task_kind(view.config.get("task"))
    out = []
    for group in view.groups():
        if all(t.search for t in group.trials):
            continue  # a learning-rate search trains on held-out data: not a result
        row: dict[str, Any] = {
            "optimizer": group.group,
            "seeds": len(group.trials),
            "finished": sum(t.done for t in group.trials),
            "ranked_by": primary_tag(task),
        }
        for tag in final_tags(task):
            if tag in group.mean:
                low, high = group.ci[tag]
                row |= {tag: group.mean[tag], f"{tag} sd": group.std[tag],
                        f"{tag} ci": (low, high)}  # fmt: skip
        out.append(row)
    return out
