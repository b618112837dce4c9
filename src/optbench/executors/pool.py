"""The process-pool executor: several trials side by side on one machine, one thread each.

Small models are overhead-bound, so two one-thread trials on two cores beat one trial with two
threads (see benchmarks/). Workers are spawned (not forked: forking a process whose OpenMP pool
already ran can deadlock), each loads the dataset once, and streams events through a queue so
the driver records every epoch as it lands.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

from optbench.core.specs import TrialResult, TrialSpec
from optbench.engine import Event, TrainOptions
from optbench.executors.base import DatasetCache, RunRequest, failed, resume_epochs, run_group
from optbench.executors.groups import plan_groups

POLL_SECONDS = 0.5  # how often to check for a dead worker while waiting for events

_worker: dict[str, Any] = {}  # per worker process: the event queue and its dataset cache


def _init_worker(events: Any, cache_dir: Path, threads: int) -> None:
    torch.set_num_threads(threads)
    _worker["events"] = events
    _worker["datasets"] = DatasetCache(cache_dir)


def _run_in_worker(group: list[TrialSpec], options: TrainOptions, resume: dict[str, bytes]) -> None:
    events = _worker["events"]
    try:
        data = _worker["datasets"].get(group[0].dataset)
        for event in run_group(group, data, options, resume):
            events.put(event)
    except Exception as exc:
        # A data error in a worker: its trials fail with the message; the study goes on.
        for trial in group:
            events.put(failed(trial, exc))


class PoolExecutor:
    """Runs trials in `workers` spawned processes; events arrive in completion order."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, request: RunRequest) -> Iterator[Event]:
        context = mp.get_context("spawn")
        events = context.Queue()
        epochs = resume_epochs(request.resume)
        groups = plan_groups(request.trials, self.workers, epochs, request.options)
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(groups)) or 1,
            mp_context=context,
            initializer=_init_worker,
            initargs=(events, request.cache_dir, request.options.threads),
        )
        try:
            futures: dict[str, Future[None]] = {}
            for group in groups:
                resume = {t.id: request.resume[t.id] for t in group if t.id in request.resume}
                future = pool.submit(_run_in_worker, group, request.options, resume)
                futures.update({t.id: future for t in group})
            yield from _drain(events, futures, {t.id: t for t in request.trials})
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _drain(
    events: Any, futures: dict[str, Future[None]], trials: dict[str, TrialSpec]
) -> Iterator[Event]:
    """Yield events until every trial has ended; a worker that died fails its trials."""
    open_trials = set(futures)
    while open_trials:
        try:
            event = events.get(timeout=POLL_SECONDS)
        except queue_module.Empty:
            for trial_id in list(open_trials):
                future = futures[trial_id]
                if future.done() and future.exception() is not None:
                    open_trials.discard(trial_id)
                    yield failed(trials[trial_id], future.exception())  # type: ignore[arg-type]
            continue
        if isinstance(event, TrialResult):
            open_trials.discard(event.trial_id)
        yield event
