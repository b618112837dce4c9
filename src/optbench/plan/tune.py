"""Learning-rate tuning with an equal budget for every optimizer.

Search: for each optimizer of the study, one trial per learning rate of the grid, all on the
first seed, for the study's epochs, evaluated on a held-out part of the training set (the
test set is never used to choose). Choice: the best final held-out accuracy (ties: lower
held-out loss; a diverged trial never wins). Rerun: the chosen learning rate with every seed,
on the full training set, evaluated on the test set like the default trials beside it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from optbench.core.grid import Edge, edge_of
from optbench.core.specs import OptimizerSpec, StudySpec, TrialSpec
from optbench.optim import expand_optimizer_grid, resolve_optimizer
from optbench.plan.expand import expand

SEARCH_TAG = "lr search"
HOLDOUT_FRACTION = 6  # one sixth of the training set, as MNIST's 10k of 60k


def holdout_size(train_examples: int) -> int:
    return max(1, train_examples // HOLDOUT_FRACTION)


def search_trials(study: StudySpec, train_examples: int) -> list[TrialSpec]:
    """One trial per (optimizer, grid lr) on seed `study.seeds[0]`, on the held-out split."""
    dataset = replace(study.dataset, holdout=holdout_size(train_examples))
    base = replace(study, dataset=dataset, seeds=study.seeds[:1], heads=())
    trials: list[TrialSpec] = []
    for opt in _tunable(study):
        for lr in study.lr_grid:
            point = OptimizerSpec(opt.name, {**opt.hparams, "lr": lr}, opt.profile)
            for trial in expand(replace(base, optimizers=(point,))):
                trials.append(replace(trial, optimizer_label=search_label(opt.label, lr)))
    return trials


def search_label(group: str, lr: float) -> str:
    return f"{group} lr={lr:g} [{SEARCH_TAG}]"


def _tunable(study: StudySpec) -> list[OptimizerSpec]:
    """Optimizers whose lr is not already a grid (a grid is its own search)."""
    return [o for o in study.optimizers if len(expand_optimizer_grid(o)) == 1]


def choose_lrs(
    study: StudySpec, search: list[TrialSpec], finals: dict[str, dict[str, Any]]
) -> dict[str, float]:
    """Best lr per optimizer label from the search trials' final held-out metrics.

    `finals` maps trial id → {"score": …, "val/loss": …} of its last epoch, the score being
    the task's metric signed so that higher is better (accuracy, R², minus perplexity);
    missing or non-finite = diverged or failed.
    """
    best: dict[str, tuple[float, float, float]] = {}
    for opt in _tunable(study):
        for trial in search:
            if trial.optimizer_label != search_label(opt.label, trial.optimizer.hparams["lr"]):
                continue
            final = finals.get(trial.id)
            if not final or not all(math.isfinite(final[k]) for k in ("score", "val/loss")):
                continue
            key = (final["score"], -final["val/loss"], trial.optimizer.hparams["lr"])
            if opt.label not in best or key[:2] > best[opt.label][:2]:
                best[opt.label] = key
    return {label: key[2] for label, key in best.items()}


def lrs_at_edge(study: StudySpec, lrs: dict[str, float]) -> dict[str, Edge]:
    """Optimizer label → "low"/"high" for each chosen lr that is an edge of `study.lr_grid`:
    the best rate may lie beyond the grid (diagnose: `tune.lr_at_edge`)."""
    edges = {label: edge_of(study.lr_grid, lr) for label, lr in lrs.items()}
    return {label: edge for label, edge in edges.items() if edge is not None}


def tuned_trials(study: StudySpec, lrs: dict[str, float]) -> list[TrialSpec]:
    """The chosen lr of each optimizer, with every seed, on the full data."""
    trials: list[TrialSpec] = []
    for opt in _tunable(study):
        if opt.label not in lrs:
            continue  # every search trial diverged or failed: nothing to rerun
        point = OptimizerSpec(opt.name, {**opt.hparams, "lr": lrs[opt.label]}, opt.profile)
        resolve_optimizer(point)
        label = f"{opt.label} (tuned lr={lrs[opt.label]:g})"
        trials += [
            replace(t, optimizer_label=label)
            for t in expand(replace(study, optimizers=(point,), heads=()))
        ]
    return trials
