"""What each task is, as the report and the planner need to know it (no torch here).

The training side — losses, running sums, metrics from sums — is models/task.py; this module
only names the tasks and their metrics, and says which way each metric is better.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A metric besides the loss. `name` is its tag's suffix (`val/<name>`)."""

    name: str
    title: str
    higher_is_better: bool
    percent: bool = False  # shown as a percentage


@dataclass(frozen=True)
class TaskKind:
    name: str
    description: str
    default_loss: str
    metrics: tuple[Metric, ...]  # besides the loss; the first is the one results rank by

    @property
    def primary(self) -> Metric:
        return self.metrics[0]


ACCURACY = Metric("acc", "accuracy", True, percent=True)
MAE = Metric("mae", "mean absolute error", False)
R2 = Metric("r2", "R²", True)
PERPLEXITY = Metric("perplexity", "perplexity", False)
TOKEN_ACCURACY = Metric("acc", "next-token accuracy", True, percent=True)

TASK_KINDS: dict[str, TaskKind] = {
    kind.name: kind
    for kind in (
        TaskKind(
            "classification",
            "One class per example from class-index labels; accuracy.",
            "cross_entropy",
            (ACCURACY,),
        ),
        TaskKind(
            "binary",
            "Two classes, 0/1 labels, one output unit (a logit); accuracy.",
            "bce_logits",
            (ACCURACY,),
        ),
        TaskKind(
            "regression",
            "Real-valued targets; MSE loss by default; R² and mean absolute error.",
            "mse",
            (R2, MAE),
        ),
        TaskKind(
            "language_model",
            "Next-token prediction on integer token sequences; perplexity and token accuracy.",
            "cross_entropy",
            (PERPLEXITY, TOKEN_ACCURACY),
        ),
    )
}


def task_kind(name: str | None) -> TaskKind:
    """The task by name (studies stored before tasks existed are classification)."""
    return TASK_KINDS[name or "classification"]
