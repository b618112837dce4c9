"""A study's size limits, checked while it is validated: before any trial is registered.

A million-trial grid used to be accepted and registered one commit at a time (~2 min per
100,000) before anything looked at it. The count here is arithmetic over the grid axes, so a
study of any size is measured without building its trials. `max_trials` (`--max-trials`)
raises the limit for a sweep that really is that big.
"""

from __future__ import annotations

from optbench.core.specs import MAX_TRIALS, OptimizerSpec, StudySpec
from optbench.optim import grid_size

MAX_STUDY_FILE_BYTES = 1 << 20  # a study file is a page of TOML; 1 MiB is far beyond one


def study_file_problem(size: int) -> str | None:
    """A study file larger than MAX_STUDY_FILE_BYTES is refused before it is parsed."""
    if size <= MAX_STUDY_FILE_BYTES:
        return None
    return (
        f"a study file must be at most {MAX_STUDY_FILE_BYTES:,} bytes; this one has {size:,}. "
        "Describe grids as lists of values, not one table per trial."
    )


def grid_problem(spec: OptimizerSpec, limit: int) -> str | None:
    """One optimizer's grid over the limit (checked before its points are built)."""
    points = grid_size(spec)
    if points <= limit:
        return None
    return (
        f"the grid of '{spec.name}' has {points:,} points, more than the study's limit of "
        f"{limit:,} trials. Use fewer values, or raise the limit with max_trials = {points} "
        f"(--max-trials {points}). Received: {points:,} grid points"
    )


def trial_count(study: StudySpec) -> int:
    """Trials the study may run: heads × grid points × seeds, plus the learning-rate search
    (tunable optimizers × lr_grid) and the tuned reruns (tunable optimizers × seeds)."""
    sizes = [grid_size(o) for o in study.optimizers]
    seeds = len(study.seeds)
    total = max(1, len(study.heads)) * sum(sizes) * seeds
    if study.tune:
        tunable = sum(1 for size in sizes if size == 1)  # a grid is its own search
        total += tunable * (len(study.lr_grid) + seeds)
    return total


def trial_limit(study: StudySpec) -> int:
    """The study's own `max_trials`, or the default."""
    return study.max_trials if study.max_trials is not None else MAX_TRIALS


def trial_count_problem(study: StudySpec) -> str | None:
    """The whole study over its limit, in the house form, with the way to raise it."""
    count, limit = trial_count(study), trial_limit(study)
    if count <= limit:
        return None
    return (
        f"the study has {count:,} trials, more than its limit of {limit:,}. Use fewer seeds, "
        f"grid values or heads, or raise the limit with max_trials = {count} "
        f"(--max-trials {count}). Received: {count:,} trials"
    )
