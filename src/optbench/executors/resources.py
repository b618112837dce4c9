"""How a phase of a study uses the machine: threads per trial and replicas per group.

Both are chosen from the machine as it is at the start (idle cores, free memory) and from the
biggest model of the phase (its arithmetic and memory per example), and never change what a
trial computes, only how fast: they are in TrainOptions, not in trial ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optbench.core.specs import StudySpec, TrialSpec
from optbench.data import Dataset
from optbench.engine import (
    MAX_REPLICAS,
    ThreadChoice,
    available_memory,
    choose_threads,
    idle_cores,
)
from optbench.engine.stacked import EVAL_CHUNK
from optbench.models import ModelCost, build_model, model_cost

# Groups may use half the free memory between them: the rest is for the dataset copies of the
# workers, the driver and everything else running on the machine.
MEMORY_SHARE = 0.5


@dataclass(frozen=True)
class Resources:
    threads: ThreadChoice
    max_replicas: int


def plan_resources(
    study: StudySpec,
    todo: Sequence[TrialSpec],
    data: Dataset,
    parallel: int,
    idle: float | None = None,
) -> Resources:
    """Threads per trial and the largest replica group, for `parallel` groups side by side.
    `idle`: idle cores measured already (see engine.IdleSample); else measured now."""
    cost = _biggest(todo, data)
    batch = max(t.batch_size for t in todo)
    threads = _threads(study, cost, batch, parallel, idle)
    return Resources(threads, _max_replicas(study, cost, batch, parallel))


def replicas_that_fit(cost: ModelCost, batch_size: int, memory: int, parallel: int) -> int:
    """Replicas per group so that `parallel` groups fit in MEMORY_SHARE of `memory` bytes."""
    per_replica = cost.train_bytes(batch_size) + 4 * cost.activations * EVAL_CHUNK
    budget = int(memory * MEMORY_SHARE) // max(1, parallel)
    return max(1, min(MAX_REPLICAS, budget // max(1, per_replica)))


def _biggest(todo: Sequence[TrialSpec], data: Dataset) -> ModelCost:
    costs = [
        model_cost(build_model(m, data.input_shape, data.num_classes, seed=0), data.input_shape)
        for m in {t.model for t in todo}
    ]
    return max(costs, key=lambda c: (c.macs, c.parameters))


def _threads(
    study: StudySpec, cost: ModelCost, batch: int, parallel: int, idle: float | None
) -> ThreadChoice:
    if study.executor == "ray":  # each task runs where Ray puts it, on the CPUs it asked for
        threads = max(1, int(study.num_cpus))
        return ThreadChoice(threads, f"{threads} thread(s) per Ray task: its num_cpus")
    if study.device != "cpu":
        return ThreadChoice(1, "1 thread: the work runs on the accelerator")
    return choose_threads(parallel, cost.macs * batch, idle_cores() if idle is None else idle)


def _max_replicas(study: StudySpec, cost: ModelCost, batch: int, parallel: int) -> int:
    if study.executor == "ray":  # the nodes' memory is not known here; Ray places by CPUs
        return MAX_REPLICAS
    return replicas_that_fit(cost, batch, available_memory(study.device), parallel)
