"""Executors: run trials (locally, in a process pool, on Ray) and stream events back."""

from optbench.core.errors import ConfigError
from optbench.executors.base import (
    DatasetCache,
    Executor,
    RunRequest,
    carve_holdout,
    dataset_key,
)
from optbench.executors.local import LocalExecutor
from optbench.executors.pool import PoolExecutor
from optbench.executors.resources import Resources, plan_resources, replicas_that_fit

__all__ = [
    "DatasetCache",
    "Executor",
    "LocalExecutor",
    "PoolExecutor",
    "Resources",
    "RunRequest",
    "carve_holdout",
    "dataset_key",
    "get_executor",
    "plan_resources",
    "replicas_that_fit",
]


def get_executor(
    name: str,
    workers: int,
    address: str | None = None,
    num_cpus: float = 1.0,
    num_gpus: float = 0.0,
) -> Executor:
    """`local` runs in this process (1 worker) or in a pool of worker processes; `ray` runs
    each trial as a Ray task on a cluster (`address`), asking for `num_cpus`/`num_gpus`."""
    if name == "local":
        return LocalExecutor() if workers <= 1 else PoolExecutor(workers)
    if name == "ray":
        try:
            from optbench.executors.ray_executor import RayExecutor
        except ImportError as exc:
            raise ConfigError(
                f"The ray executor needs Ray ({exc}). Install it with: pip install 'optbench[ray]'"
            ) from None
        return RayExecutor(address, num_cpus=num_cpus, num_gpus=num_gpus)
    raise ConfigError(
        f"Executor '{name}' is not available in this version. Use executor = \"local\"."
    )
