"""Replica groups: which trials train together, in lockstep, in one process.

Trials that share dataset, architecture, batch size and epochs (and resume from the same
epoch) form groups of at most `max_replicas` (what fits the memory and, on the CPU, the cache the
workers share; at most MAX_REPLICAS; the driver sizes it), split evenly over the workers so
every core gets work. Groups are made
per seed: replicas of one seed see the same batches, which a group step gathers once.
Anything that gains nothing from a group step (other models, losses, reuse_model chains)
runs alone. Grouping never changes a trial's numbers (engine/group_step.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from optbench.core.specs import TrialSpec
from optbench.engine import TrainOptions, can_group, group_key


def plan_groups(
    trials: Sequence[TrialSpec],
    workers: int,
    resume_epochs: Mapping[str, int] | None = None,
    options: TrainOptions = TrainOptions(),
) -> list[list[TrialSpec]]:
    """Groups to run: buckets (unless `options.stack` is off) of at most
    `options.max_replicas`, balanced over `workers`; then the trials that run alone."""
    resume_epochs = resume_epochs or {}
    buckets: dict[tuple[object, ...], list[TrialSpec]] = {}
    singles: list[list[TrialSpec]] = []
    for trial in trials:
        if options.stack and can_group(trial):
            key = (*group_key(trial), trial.seed, resume_epochs.get(trial.id, 0))
            buckets.setdefault(key, []).append(trial)
        else:
            singles.append([trial])
    groups: list[list[TrialSpec]] = []
    # Balance: unless the buckets already divide evenly over the workers, split each bucket
    # into one group per worker, so every worker gets the same amount of work. A bucket larger
    # than `max_replicas` is cut into near-equal runs, larger first (21 at most 5: 5, 4, 4, 4,
    # 4, not 5, 5, 5, 5, 1), so no group is left to run nearly alone at the end.
    workers = max(1, workers)
    splits = 1 if len(buckets) % workers == 0 else workers
    for bucket in buckets.values():
        n = len(bucket)
        count = min(n, max(splits, math.ceil(n / max(1, options.max_replicas))))
        bounds = [-(-n * i // count) for i in range(count + 1)]  # ⌈n·i/count⌉
        groups += [bucket[a:b] for a, b in itertools.pairwise(bounds)]
    return groups + singles
