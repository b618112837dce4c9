"""The local executor: trials one after another in this process."""

from __future__ import annotations

from collections.abc import Iterator

from optbench.core.errors import DataError
from optbench.engine import Event, train_trial
from optbench.executors.base import DatasetCache, RunRequest, failed


class LocalExecutor:
    """Runs every trial in the calling process, in order."""

    def run(self, request: RunRequest) -> Iterator[Event]:
        datasets = DatasetCache(request.cache_dir, request.preloaded)
        for trial in request.trials:
            data = datasets.get(trial.dataset)  # a DataError ends the study: nothing can run
            try:
                yield from train_trial(trial, data, request.options)
            except DataError:
                raise
            except Exception as exc:
                yield failed(trial, exc)
