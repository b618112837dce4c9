"""The Ray executor: a study's trials as Ray tasks on a cluster, their epochs streamed back.

Each planned group (one trial, or several as replicas in lockstep) becomes one Ray task that asks
for the study's `num_cpus`/`num_gpus`. Tasks are streaming generators, so the driver records
every epoch the moment it finishes, wherever it ran; the driver stays the only writer.

Failures are told apart by where they come from:
- a trial that raises is a failed TrialResult with its error (the task reports it; no retry);
- a worker or node that dies takes its task down: the task is submitted again, up to
  `max_retries` times, and its trials continue from the latest checkpoint they sent (epoch 1
  without one). The new TrialStarted makes the store forget the epochs after that checkpoint,
  so no epoch is lost or stored twice;
- Ctrl-C (or the driver closing this generator) cancels every outstanding task. Unfinished
  trials stay unfinished in the store and resume from their checkpoints on the next run.
"""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import ray
from ray import exceptions as rex

from optbench.core.errors import ConfigError, TrainingError
from optbench.core.specs import EpochRecord, Finding, TrialResult, TrialSpec
from optbench.data import Dataset
from optbench.diagnose.codes import CODES
from optbench.engine import Event, available_cores
from optbench.executors.base import DatasetCache, RunRequest, dataset_key, failed, resume_epochs
from optbench.executors.groups import plan_groups
from optbench.executors.ray_task import SharedDataset, train_task

MAX_RETRIES = 3  # resubmissions of a task whose worker died, before its trials fail
POLL_SECONDS = 1.0  # longest wait for the next event (keeps Ctrl-C responsive)
CONNECT_SECONDS = 5.0  # how long a cluster's head node may take to accept a connection
# Ray's own lost-worker errors: the machine failed, not the trial. Anything else a task raises
# (RayTaskError) fails its trials without a retry.
SYSTEM_FAILURES = (
    rex.WorkerCrashedError,
    rex.NodeDiedError,
    rex.LocalRayletDiedError,
    rex.ObjectLostError,
    rex.OutOfMemoryError,
    rex.RaySystemError,
)
WORKER_LOST = "executor.worker_lost"  # catalogued in optbench.diagnose.codes


class RayExecutor:
    """Runs groups of trials as Ray tasks on the cluster at `address`.

    `address=None` starts a Ray runtime in this process (all local cores); `"auto"` or
    `"host:port"` connects to a running cluster (`ray start --head`, see docs/cluster.md).
    A connection made here is closed when the run ends; one the caller made is left open.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.max_retries = max_retries

    def run(self, request: RunRequest) -> Iterator[Event]:
        if not request.trials:  # a resumed study with nothing left: no need for a cluster
            return
        _check_devices(request.trials, self.num_gpus)
        datasets = _datasets(request)
        connected = self._connect(datasets)
        try:
            self._check_resources()
            boxes = {key: [ray.put(SharedDataset.of(data))] for key, data in datasets.items()}
            yield from _Run(self, request, boxes, self._slots()).events()
        finally:
            if connected:
                ray.shutdown()

    def _connect(self, datasets: dict[str, Dataset]) -> bool:
        """Start or join Ray unless this process already has; True when we did."""
        if ray.is_initialized():
            return False
        quiet = {"logging_level": logging.WARNING, "log_to_driver": False}
        try:
            if self.address is None:
                ray.init(
                    address="local",  # never attach to someone else's cluster by accident
                    num_cpus=available_cores(),
                    include_dashboard=False,
                    object_store_memory=_store_bytes(datasets.values()),
                    **quiet,
                )
            else:
                _check_reachable(self.address)
                ray.init(address=self.address, **quiet)
        except ConnectionError as exc:
            raise ConfigError(
                f"Cannot connect to a Ray cluster at address '{self.address}' ({exc}). Start "
                "one with `ray start --head` (docs/cluster.md), check the address, or leave "
                "out --address to run on a Ray started on this machine."
            ) from None
        return True

    def _check_resources(self) -> None:
        """Refuse a request no node can ever grant (Ray would wait for it forever)."""
        nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
        if any(_fits(r, self.num_cpus, self.num_gpus) for r in nodes):
            return
        have = ", ".join(f"{r.get('CPU', 0):g} CPU/{r.get('GPU', 0):g} GPU" for r in nodes)
        raise ConfigError(
            f"No node of the Ray cluster can run a trial asking for num_cpus={self.num_cpus:g} "
            f"and num_gpus={self.num_gpus:g} (nodes: {have or 'none'}). Lower num_cpus/num_gpus "
            "in the study, or add a node that has them (`ray start --address …`)."
        )

    def _slots(self) -> int:
        """Tasks the cluster runs at once: how many groups to split stackable trials into."""
        total = ray.cluster_resources()
        slots = [total.get("CPU", 0.0) / self.num_cpus] if self.num_cpus else []
        if self.num_gpus:
            slots.append(total.get("GPU", 0.0) / self.num_gpus)
        return max(1, math.floor(min(slots))) if slots else 1


def _check_reachable(address: str) -> None:
    """Fail fast on a `host:port` nobody listens at: ray.init would retry it for minutes."""
    host, _, port = address.rpartition(":")
    if not port.isdigit() or "://" in address:  # "auto", or a ray:// client address
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {address}: {exc}") from None


def _check_devices(trials: Sequence[TrialSpec], num_gpus: float) -> None:
    on_gpu = sorted({t.device for t in trials if t.device.startswith("cuda")})
    if on_gpu and not num_gpus:
        raise ConfigError(
            f"Trials run on {', '.join(on_gpu)} but ask Ray for no GPU (num_gpus = 0): Ray would "
            "then place them on nodes without a GPU, and pile any number of them onto one GPU. "
            "Set num_gpus (e.g. num_gpus = 1, or 0.5 to share one GPU between two trials)."
        )


def _fits(resources: dict[str, float], num_cpus: float, num_gpus: float) -> bool:
    return resources.get("CPU", 0.0) >= num_cpus and resources.get("GPU", 0.0) >= num_gpus


def _datasets(request: RunRequest) -> dict[str, Dataset]:
    """Each dataset the trials use, loaded once here (usually already, by the driver)."""
    cache = DatasetCache(request.cache_dir, request.preloaded)
    return {dataset_key(t.dataset): cache.get(t.dataset, t.task) for t in request.trials}


def _store_bytes(datasets: Iterable[Dataset]) -> int:
    """Object store for a runtime we start: the datasets twice over plus room for events."""
    arrays = [a for d in datasets for s in (d.train, d.test) for a in (s.x, s.y)]
    size = sum(a.element_size() * a.nelement() for a in arrays)
    return 2 * size + 256 * 2**20


@dataclass
class _Task:
    """A submitted group and how many times it was already resubmitted."""

    group: list[TrialSpec]
    attempt: int = 0


@dataclass
class _Run:
    """One run's bookkeeping: tasks in flight, trials ended, checkpoints to resume from."""

    executor: RayExecutor
    request: RunRequest
    boxes: dict[str, list[ray.ObjectRef]]
    slots: int
    pending: dict[object, _Task] = field(default_factory=dict)  # generator → its task
    ended: set[str] = field(default_factory=set)
    checkpoints: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # latest per trial
    finals: dict[str, bytes] = field(default_factory=dict)  # for trials that continue them
    waiting: list[TrialSpec] = field(default_factory=list)  # until their init_from finished
    notes: dict[str, list[Finding]] = field(default_factory=dict)  # retries, per trial

    def events(self) -> Iterator[Event]:
        try:
            yield from self._start()
            while self.pending:
                ready, _ = ray.wait(list(self.pending), num_returns=1, timeout=POLL_SECONDS)
                for generator in ready:
                    yield from self._step(generator)
        finally:
            self._cancel()

    def _start(self) -> list[Event]:
        epochs = resume_epochs(self.request.resume)
        self.checkpoints = {i: (epochs[i], b) for i, b in self.request.resume.items()}
        self.finals = dict(self.request.initial_states)
        ids = {t.id for t in self.request.trials}
        ready, out = [], []
        for trial in self.request.trials:
            if trial.init_from is None or trial.init_from in self.finals:
                ready.append(trial)
            elif trial.init_from in ids:
                self.waiting.append(trial)
            else:
                out += self._fail(trial, _missing_init(trial))
        for group in plan_groups(ready, self.slots, epochs, self.request.options):
            self._submit(group, 0)
        return out

    def _submit(self, group: list[TrialSpec], attempt: int) -> None:
        first = group[0]
        resume = {t.id: self.checkpoints[t.id][1] for t in group if t.id in self.checkpoints}
        initial = self.finals.get(first.init_from) if first.init_from else None
        name = first.label if len(group) == 1 else f"{first.label} +{len(group) - 1} replicas"
        task = train_task.options(
            num_cpus=self.executor.num_cpus,
            num_gpus=self.executor.num_gpus,
            name=f"optbench {name}",
        )
        box = self.boxes[dataset_key(first.dataset)]
        generator = task.remote(group, box, self.request.options, resume, initial)
        self.pending[generator] = _Task(group, attempt)

    def _step(self, generator: object) -> list[Event]:
        """The next event of a task that has one, or what its end means."""
        task = self.pending[generator]
        try:
            event = ray.get(next(generator))  # type: ignore[call-overload]
        except StopIteration:
            del self.pending[generator]
            lost = TrainingError("its Ray task ended without reporting a result")
            return self._fail_open(task.group, lost)
        except SYSTEM_FAILURES as exc:
            del self.pending[generator]
            return self._retry(task, exc)
        except rex.RayError as exc:  # the task itself raised, or was cancelled: no retry
            del self.pending[generator]
            return self._fail_open(task.group, _cause(exc))
        return self._record(event)

    def _record(self, event: Event) -> list[Event]:
        if isinstance(event, EpochRecord) and event.checkpoint is not None:
            self.checkpoints[event.trial_id] = (event.epoch, event.checkpoint)
        if not isinstance(event, TrialResult):
            return [event]
        event.findings += self.notes.pop(event.trial_id, [])
        return [event, *self._end(event)]

    def _retry(self, task: _Task, exc: Exception) -> list[Event]:
        """A lost worker: resubmit the task's open trials from their checkpoints, or fail them."""
        open_trials = [t for t in task.group if t.id not in self.ended]
        if task.attempt >= self.executor.max_retries:
            lost = TrainingError(
                f"Ray lost the worker running it {task.attempt + 1} times (last: "
                f"{_first_line(exc)}). Check the nodes' memory and logs, then run the study "
                "again: it resumes from the last checkpoint."
            )
            return self._fail_open(open_trials, lost)
        for trial in open_trials:
            self.notes.setdefault(trial.id, []).append(self._lost_note(trial, exc, task))
        epochs = {t.id: self.checkpoints[t.id][0] for t in open_trials if t.id in self.checkpoints}
        # One group per resume epoch (workers=1): the same grouping as before, where possible.
        for group in plan_groups(open_trials, 1, epochs, self.request.options):
            self._submit(group, task.attempt + 1)
        return []

    def _lost_note(self, trial: TrialSpec, exc: Exception, task: _Task) -> Finding:
        epoch = self.checkpoints.get(trial.id, (0, b""))[0]
        where = f"the checkpoint of epoch {epoch}" if epoch else "epoch 1 (no checkpoint yet)"
        return Finding(
            code=WORKER_LOST,
            severity="info",
            trial_id=trial.id,
            message=(
                f"Ray lost the worker running this trial ({_first_line(exc)}); it was retried "
                f"from {where} (retry {task.attempt + 1} of {self.executor.max_retries})."
            ),
            fix=CODES.get(WORKER_LOST).fix,
        )

    def _fail_open(self, trials: Sequence[TrialSpec], exc: Exception) -> list[Event]:
        return [e for t in trials if t.id not in self.ended for e in self._fail(t, exc)]

    def _fail(self, trial: TrialSpec, exc: Exception) -> list[Event]:
        result = failed(trial, exc)
        result.findings += self.notes.pop(trial.id, [])
        return [result, *self._end(result)]

    def _end(self, result: TrialResult) -> list[Event]:
        """A trial ended: start the trials that continue its model (reuse_model), or fail them."""
        self.ended.add(result.trial_id)
        _, final = self.checkpoints.pop(result.trial_id, (0, None))
        followers = [t for t in self.waiting if t.init_from == result.trial_id]
        self.waiting = [t for t in self.waiting if t.init_from != result.trial_id]
        out: list[Event] = []
        for trial in followers:
            if result.status == "failed" or final is None:
                out += self._fail(trial, _missing_init(trial))
            else:
                self.finals[result.trial_id] = final
                self._submit([trial], 0)
        return out

    def _cancel(self) -> None:
        """Stop every task still running (Ctrl-C, an error in the driver, or a closed run)."""
        for generator in self.pending:
            ray.cancel(generator, force=True)  # type: ignore[arg-type]
        self.pending.clear()


def _missing_init(trial: TrialSpec) -> TrainingError:
    return TrainingError(
        f"{trial.label} continues the model of trial {trial.init_from} (reuse_model), which "
        "failed or left no final checkpoint. Re-run the whole study in a new folder."
    )


def _cause(exc: rex.RayError) -> Exception:
    """The exception a task raised (RayTaskError wraps it with Ray's traceback text)."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, Exception) else exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
