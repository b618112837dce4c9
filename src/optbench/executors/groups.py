"""Replica groups: which trials train together as one stacked computation.

Trials that share dataset, architecture, batch size and epochs (and resume from the same
epoch) form groups of at most `MAX_REPLICAS`, split evenly over the workers so every core
gets work. Anything that cannot stack (other models, losses, reuse_model chains) runs alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from optbench.core.specs import TrialSpec
from optbench.engine.stacked import can_stack, stack_key

# Memory is not the limit for the MLPs that stack (a 784-128-10 replica with Adam state needs
# ~1.2 MB); the cap keeps one group's step short enough for live progress and fair sharing.
MAX_REPLICAS = 32


def plan_groups(
    trials: Sequence[TrialSpec],
    workers: int,
    resume_epochs: Mapping[str, int] | None = None,
    stack: bool = True,
) -> list[list[TrialSpec]]:
    resume_epochs = resume_epochs or {}
    buckets: dict[tuple[object, ...], list[TrialSpec]] = {}
    singles: list[list[TrialSpec]] = []
    for trial in trials:
        if stack and can_stack(trial):
            key = (*stack_key(trial), resume_epochs.get(trial.id, 0))
            buckets.setdefault(key, []).append(trial)
        else:
            singles.append([trial])
    groups: list[list[TrialSpec]] = []
    for bucket in buckets.values():
        size = min(MAX_REPLICAS, math.ceil(len(bucket) / max(1, workers)))
        groups += [bucket[i : i + size] for i in range(0, len(bucket), size)]
    return groups + singles
