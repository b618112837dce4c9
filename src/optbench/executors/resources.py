"""How a phase of a study uses the machine: threads per trial and replicas per group.

Threads: one per training process, always (engine/env.py says why: results must not depend
on a thread count, and small models are overhead-bound anyway). Replicas per group: what fits
the free memory, for the biggest model of the phase, and on the CPU what keeps the groups
side by side in the cache they share (below). Neither changes what a trial computes, only how
fast: they are in TrainOptions, not in trial ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optbench.core.specs import StudySpec, TrialSpec
from optbench.data import Dataset
from optbench.engine import MAX_REPLICAS, THREADS, available_memory, shared_cache
from optbench.engine.trainer import EVAL_CHUNK
from optbench.models import ModelCost, build_model, model_cost

# Groups may use half the free memory between them: the rest is for the dataset copies of the
# workers, the driver and everything else running on the machine.
MEMORY_SHARE = 0.5
# A group steps its replicas in turn, each reading its weights, gradients and optimizer state.
# While the groups of all workers fit in the last-level cache they share, those stay there;
# beyond it, every step fetches them from memory and the workers slow each other down.
# Measured on the seed MLP (1.6 MB a replica with Adam; AMD EPYC, 32 MiB shared by 2 cores, two
# workers, benchmarks/results/seed_speed.md): medians of 4 and 6 replicas a group ~425-430 µs
# a replica-step, of 8 and 11 ~490 µs. The share leaves room for the batches, the dataset rows
# and the code.
CACHE_SHARE = 0.6


@dataclass(frozen=True)
class Resources:
    threads: int
    thread_policy: str  # why, in words (recorded in each trial's environment)
    max_replicas: int


def plan_resources(
    study: StudySpec, todo: Sequence[TrialSpec], data: Dataset, parallel: int
) -> Resources:
    """Threads per trial and the largest replica group, for `parallel` groups side by side."""
    cost = _biggest(todo, data)
    batch = max(t.batch_size for t in todo)
    return Resources(THREADS, _thread_policy(study), _max_replicas(study, cost, batch, parallel))


def replicas_that_fit(cost: ModelCost, batch_size: int, memory: int, parallel: int) -> int:
    """Replicas per group so that `parallel` groups fit in MEMORY_SHARE of `memory` bytes."""
    per_replica = cost.train_bytes(batch_size) + 4 * cost.activations * EVAL_CHUNK
    budget = int(memory * MEMORY_SHARE) // max(1, parallel)
    return max(1, min(MAX_REPLICAS, budget // max(1, per_replica)))


def replicas_in_cache(cost: ModelCost, parallel: int, cache: tuple[int, int]) -> int:
    """Replicas per group so that `parallel` groups fit in CACHE_SHARE of the shared cache
    (`cache`: its bytes and how many CPUs share it). No limit where the cache is unknown, or
    where not even one replica fits: every step streams from memory then, whatever the group."""
    size, sharers = cache
    per_replica = 4 * 4 * cost.parameters  # weights, gradients, two optimizer buffers (Adam)
    fits = int(size * CACHE_SHARE / max(1, min(parallel, sharers))) // max(1, per_replica)
    return fits if fits >= 1 else MAX_REPLICAS


def _biggest(todo: Sequence[TrialSpec], data: Dataset) -> ModelCost:
    costs = [
        model_cost(
            build_model(m, data.input_shape, data.num_outputs, seed=0),
            data.input_shape,
            data.train.x[:1],
        )
        for m in {t.model for t in todo}
    ]
    return max(costs, key=lambda c: (c.macs, c.parameters))


def _thread_policy(study: StudySpec) -> str:
    if study.device != "cpu":
        return "1 thread: the work runs on the accelerator"
    where = "each Ray task" if study.executor == "ray" else "each training process"
    return f"1 thread in {where}: results never depend on a thread count (engine/env.py)"


def _max_replicas(study: StudySpec, cost: ModelCost, batch: int, parallel: int) -> int:
    if study.executor == "ray":  # the nodes' memory is not known here; Ray places by CPUs
        return MAX_REPLICAS
    fit = replicas_that_fit(cost, batch, available_memory(study.device), parallel)
    if study.device != "cpu":
        return fit
    return min(fit, replicas_in_cache(cost, parallel, shared_cache()))
