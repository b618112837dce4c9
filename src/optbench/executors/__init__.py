"""Executors: run trials (locally, in a process pool, on Ray) and stream events back."""

from optbench.core.errors import ConfigError
from optbench.executors.base import DatasetCache, Executor, RunRequest, dataset_key
from optbench.executors.local import LocalExecutor
from optbench.executors.pool import PoolExecutor

__all__ = [
    "DatasetCache",
    "Executor",
    "LocalExecutor",
    "PoolExecutor",
    "RunRequest",
    "dataset_key",
    "get_executor",
]


def get_executor(name: str, workers: int) -> Executor:
    """`local` runs in this process (1 worker) or in a pool of spawned processes."""
    if name == "local":
        return LocalExecutor() if workers <= 1 else PoolExecutor(workers)
    raise ConfigError(
        f"Executor '{name}' is not available in this version. Use executor = \"local\"."
    )
