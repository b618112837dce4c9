"""The process-pool executor: several trials side by side on one machine, one thread each.

Small models are overhead-bound, so two one-thread trials on two cores beat one trial with two
threads (see benchmarks/). Each worker streams events through a channel (executors/channel.py)
so the driver records every epoch as it lands.

Workers are forked from the driver where that is safe: they then start at once, with torch
imported and the dataset in memory (shared copy-on-write), instead of spending ~2.5 s of a core
re-importing everything and reading the data again. That is safe on Linux for one-thread CPU
trials: the child never enters an OpenMP parallel region (a forked libgomp pool deadlocks) and
never touches CUDA. Otherwise workers are spawned, and each loads the dataset once.

When there are no more groups than workers (small studies, where start-up counts), the
driver's own process is one of the workers: it trains the largest group itself, and records
the pool's events between its own. That group decides the wall
time, so it should not wait for a process to start. When a pool worker has nothing left to
do, the driver's group hands it replicas at its next epoch end (engine/handoff.py), so the
cores finish together instead of one waiting for the other.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_module
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_for
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from optbench.core.specs import EpochRecord, TrialResult, TrialSpec
from optbench.data import Dataset
from optbench.engine import Carried, Event, HandedOff, Handoff, TrainOptions, use_threads
from optbench.executors.base import (
    DatasetCache,
    RunRequest,
    failed,
    resume_epochs,
    run_group,
)
from optbench.executors.channel import EventChannel, EventSender
from optbench.executors.forecast import Forecast
from optbench.executors.groups import plan_groups
from optbench.executors.lifeline import die_with_parent, leave_quietly_on_ctrl_c

POLL_SECONDS = 0.5  # how often to check for a dead worker while waiting for events

_worker: dict[str, Any] = {}  # per worker process: its event sender and dataset cache


def _init_worker(
    events: EventSender,
    cache_dir: Path,
    threads: int,
    preloaded: Mapping[str, Dataset],
    driver_pid: int,
) -> None:
    die_with_parent(driver_pid)
    leave_quietly_on_ctrl_c()
    use_threads(threads)  # before any torch operation of this process
    _worker["events"] = events
    _worker["datasets"] = DatasetCache(cache_dir, preloaded)


def start_method(request: RunRequest) -> str:
    """'fork' where a forked worker is safe (see the module's docstring), else 'spawn'."""
    on_cpu = all(t.device == "cpu" for t in request.trials)
    one_thread = request.options.threads == 1
    return "fork" if sys.platform == "linux" and one_thread and on_cpu else "spawn"


def _run_in_worker(
    group: list[TrialSpec],
    options: TrainOptions,
    resume: dict[str, bytes],
    carried: tuple[Carried, ...] = (),
) -> None:
    events = _worker["events"]
    trials = [*group, *(c.spec for c in carried)]
    try:
        data = _worker["datasets"].get(trials[0].dataset, trials[0].task)
        for event in run_group(group, data, options, resume, carried=carried):
            events.put(event)
    except Exception as exc:
        # A data error in a worker: its trials fail with the message; the study goes on.
        for trial in trials:
            events.put(failed(trial, exc))


class PoolExecutor:
    """Runs trial groups `workers` at a time: in worker processes, and in this one when
    there are no more groups than workers. Events arrive in completion order."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, request: RunRequest) -> Iterator[Event]:
        method = start_method(request)
        context = mp.get_context(method)
        channel = EventChannel(context)
        epochs = resume_epochs(request.resume)
        groups = plan_groups(request.trials, self.workers, epochs, request.options)
        # With no more groups than workers, this process trains the largest one itself; with
        # more, it would sit idle once that group is done while the pool works through the rest.
        mine = max(groups, key=len) if len(groups) <= self.workers else []
        others = [g for g in groups if g is not mine]
        spare = self.workers - bool(mine)  # pool processes that may run at once
        pool = ProcessPoolExecutor(
            max_workers=max(1, spare),
            mp_context=context,
            initializer=_init_worker,
            # A forked worker inherits the driver's datasets; a spawned one loads its own.
            initargs=(
                channel.sender,
                request.cache_dir,
                request.options.threads,
                request.preloaded if method == "fork" else {},
                os.getpid(),
            ),
        )
        if method == "fork":
            # Fork the workers now, while this process has no other thread (see the module's
            # docstring); no worker starts later, so our copy of the channel's write end can
            # go at once.
            pool.submit(int).result()
            channel.seal()
        channel.start()
        done = False
        try:
            futures: dict[str, Future[None]] = {}
            for group in others:
                resume = _resume(group, request)
                future = pool.submit(_run_in_worker, group, request.options, resume)
                futures.update({t.id: future for t in group})
            forecast = Forecast()
            inbox = _Inbox(channel, futures, {t.id: t for g in others for t in g}, forecast)
            if mine:
                datasets = DatasetCache(request.cache_dir, request.preloaded)
                data = datasets.get(mine[0].dataset, mine[0].task)  # the driver loaded it
                handoff = Handoff()
                own = run_group(
                    mine, data, request.options, _resume(mine, request), handoff=handoff
                )
                orphans: list[Carried] = []  # handed off, but the pool broke: trained here
                kept = {t.id for t in mine}  # this group's replicas that have not ended or moved
                for event in own:
                    if isinstance(event, HandedOff | TrialResult):
                        kept.discard(event.trial_id)
                    if isinstance(event, EpochRecord):
                        forecast.own_epoch(event.epoch, time.monotonic())
                    if isinstance(event, HandedOff):  # continues in the idle worker
                        try:
                            future = pool.submit(
                                _run_in_worker, [], request.options, {}, (event.carried,)
                            )
                        except BrokenProcessPool:
                            orphans.append(event.carried)
                        else:
                            inbox.add(event.carried.spec, future)
                        continue
                    yield event
                    yield from inbox.ready()  # the pool's epochs, recorded as they come
                    # A worker with nothing left to do takes replicas off this group at its
                    # next epoch end, or one at this epoch end if it will be free before the
                    # next one (executors/forecast.py): three trials on two cores then finish
                    # together.
                    if idle := inbox.idle(spare):
                        handoff.request(idle)
                    elif isinstance(event, EpochRecord) and forecast.move_now(
                        time.monotonic(),
                        len(kept),
                        mine[0].epochs - event.epoch,
                        inbox.free_at(),
                    ):
                        handoff.request(1)
                for carried in orphans:
                    yield from run_group([], data, request.options, {}, carried=[carried])
            yield from inbox.drain()
            done = True
        finally:
            # Forked workers leave at once (no interpreter teardown): wait for them, so this
            # process has no pool thread left when the report forks a copy of it to draw
            # figures (report/fanout.py).
            # Spawned ones tear torch down for ~0.5 s: once every trial has ended, they exit
            # in the background while this process writes the report. After an error or
            # Ctrl-C, wait until the pool has stopped.
            wait = method == "fork" or not done
            pool.shutdown(wait=wait, cancel_futures=True)
            if method != "fork":
                channel.seal()  # no worker starts any more
            if wait:
                channel.join()


def _resume(group: list[TrialSpec], request: RunRequest) -> dict[str, bytes]:
    return {t.id: request.resume[t.id] for t in group if t.id in request.resume}


class _Inbox:
    """Events from the pool's channel, and which of its trials have not ended yet."""

    def __init__(
        self,
        channel: EventChannel,
        futures: dict[str, Future[None]],
        trials: dict[str, TrialSpec],
        forecast: Forecast,
    ) -> None:
        self.channel, self.futures, self.trials = channel, futures, trials
        self.forecast = forecast
        self.open = set(futures)

    def add(self, trial: TrialSpec, future: Future[None]) -> None:
        """A trial handed to the pool while the study runs."""
        self.futures[trial.id], self.trials[trial.id] = future, trial
        self.open.add(trial.id)
        self.forecast.forget(trial.id)  # its pace in the pool is its own from here

    def free_at(self) -> float | None:
        """When the first of the pool's busy workers will be free (see executors/forecast.py)."""
        return self.forecast.free_at(self._groups().values())

    def _groups(self) -> dict[Future[None], list[str]]:
        """The open trials of each running task: one group in one worker."""
        groups: dict[Future[None], list[str]] = {}
        for trial_id in self.open:
            future = self.futures[trial_id]
            if not future.done():
                groups.setdefault(future, []).append(trial_id)
        return groups

    def idle(self, workers: int) -> int:
        """Of `workers` pool processes, how many have nothing to do (none once one has died:
        a broken pool takes no more work)."""
        futures = set(self.futures.values())
        if any(f.done() and f.exception() is not None for f in futures):
            return 0
        return workers - sum(not f.done() for f in futures)

    def ready(self) -> Iterator[Event]:
        """The events already waiting, without blocking."""
        while True:
            try:
                sent_at, event = self.channel.get(0)
            except (queue_module.Empty, EOFError):
                return
            yield self._seen(event, sent_at)

    def drain(self) -> Iterator[Event]:
        """Events until every trial of the pool has ended; a worker that died fails its
        trials."""
        while self.open:
            try:
                sent_at, event = self.channel.get(POLL_SECONDS)
            except queue_module.Empty:
                yield from self._dead_workers()
                continue
            except EOFError:  # every worker is gone: what is still open died with one
                wait_for([self.futures[t] for t in self.open], timeout=POLL_SECONDS)
                for trial_id in list(self.open):
                    future = self.futures[trial_id]
                    if future.done():  # failed, or (never seen) ended without its result
                        self.open.discard(trial_id)
                        why = future.exception() or RuntimeError("its worker ended without it")
                        yield failed(self.trials[trial_id], why)
                continue
            yield self._seen(event, sent_at)

    def _seen(self, event: Event, sent_at: float) -> Event:
        if isinstance(event, TrialResult):
            self.open.discard(event.trial_id)
            self.forecast.forget(event.trial_id)
        elif isinstance(event, EpochRecord) and event.trial_id in self.trials:
            future = self.futures[event.trial_id]
            alone = sum(f is future for f in self.futures.values()) == 1
            epochs = self.trials[event.trial_id].epochs
            self.forecast.pool_epoch(event.trial_id, event.epoch, epochs, sent_at, alone)
        return event

    def _dead_workers(self) -> Iterator[Event]:
        for trial_id in list(self.open):
            future = self.futures[trial_id]
            if future.done() and future.exception() is not None:
                self.open.discard(trial_id)
                yield failed(self.trials[trial_id], future.exception())  # type: ignore[arg-type]
