"""The driver: runs a study and is the only writer of its folder.

Executors compute and stream events; the driver records each one as it lands (store first,
then TensorBoard, then progress), so a study killed at any point keeps every finished epoch and
resumes by skipping finished trials.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from optbench.core.errors import ConfigError, StoreError
from optbench.core.specs import (
    EpochRecord,
    Finding,
    StudySpec,
    TrialResult,
    TrialSpec,
    TrialStarted,
    portable_reference,
    stable_json,
)
from optbench.core.task import task_kind
from optbench.data import Dataset, load_dataset
from optbench.diagnose import (
    CODES,
    check_data,
    check_study_design,
    lr_edge_findings,
    resolve_stop_on,
)
from optbench.engine import (
    TrainOptions,
    available_cores,
    available_memory,
    idle_cores,
    load_checkpoint,
    native_status,
    threads_restored,
)
from optbench.executors import RunRequest, dataset_key, get_executor, plan_resources
from optbench.models import build_model, parameter_count, training_bytes
from optbench.models.factory import check_outputs
from optbench.models.graph import trial_graph
from optbench.plan import choose_lrs, expand, search_trials, study_to_toml, tuned_trials
from optbench.plan.limits import trial_count_problem
from optbench.plots import pyplot
from optbench.report import StudyView, preload, write_report
from optbench.store import Store, TensorBoardLog
from optbench.store.consistency import complete_ids
from optbench.store.folder import check_study_folder, folder_error, make_study_folder

# How long each look for an idle core lasts before the report's imports start early.
PRELOAD_IDLE_SAMPLE_SECONDS = 0.1


class Progress(Protocol):
    """What a front end (the CLI's progress bar) is told while a study runs."""

    def study_started(self, total: int, skipped: int, epochs: int) -> None: ...
    def trial_started(self, spec: TrialSpec) -> None: ...
    def epoch_done(self, spec: TrialSpec, record: EpochRecord) -> None: ...
    def trial_done(self, spec: TrialSpec, result: TrialResult) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def note(self, text: str) -> None: ...


@dataclass(frozen=True)
class StudyOutcome:
    folder: Path
    report: Path
    total: int
    finished: int
    failed: int
    skipped: int


def run_study(
    study: StudySpec, folder: Path, cache_dir: Path, progress: Progress | None = None
) -> StudyOutcome:
    """Run (or resume) `study` in `folder`; return where its report is."""
    _check_size(study)  # a StudySpec built in Python skips the study-file checks
    trials = expand(study)
    resolve_stop_on(study.stop_on)  # a typo in the stop policy fails now, not in every trial
    _check_device(study.device)
    check_study_folder(folder)  # a file, a device, read-only media: refused before any work
    # matplotlib's import (~0.4 s, which the report needs at the end) runs beside the data's
    # reading, which mostly releases the interpreter lock, unless workers are forked after
    # it: they would wait for it (a fork must not copy a thread midway), so it then waits for
    # them instead (see _Phase.run). Joined before any fork, and before the report imports it.
    plotting = threading.Thread(target=_import_pyplot, name="optbench-import-pyplot", daemon=True)
    early = not _forks_workers(study, trials)
    if early:
        plotting.start()
    try:
        # A data problem stops us before any trial.
        data = load_dataset(study.dataset, cache_dir, task=study.task)
    finally:
        if early:
            plotting.join()
    _check_models_fit(trials, data, study.device)
    make_study_folder(folder)
    with _locked(folder), _collector_skips_what_lives_now(), threads_restored():
        store = Store(folder / "study.sqlite")
        try:
            return _run(study, trials, data, folder, cache_dir, store, progress)
        finally:
            store.close()


@contextmanager
def _collector_skips_what_lives_now() -> Iterator[None]:
    """Everything alive now (torch, matplotlib, the dataset) lives through the study: the
    cyclic collector leaves it aside meanwhile (a full collection walked it for ~0.18 s during
    the report), and forked workers share its memory pages instead of copying the ones the
    collector would write to (the advice of the gc module's docs for fork). Put back after,
    for a caller that goes on; a caller's own frozen objects are left as they are."""
    owned = gc.get_freeze_count() == 0
    if owned:
        gc.freeze()
    try:
        yield
    finally:
        if owned:
            gc.unfreeze()


def _run(
    study: StudySpec,
    trials: list[TrialSpec],
    data: Dataset,
    folder: Path,
    cache_dir: Path,
    store: Store,
    progress: Progress | None,
) -> StudyOutcome:
    _check_user_model(study, data)
    search = search_trials(study, len(data.train)) if study.tune else []
    changes = _record_study(study, trials + search, data, folder, store)
    if progress and changes:
        progress.note(changes)
    for finding in _static_findings(study, data):
        store.add_finding(finding)
        if progress:
            progress.finding(finding)
    phase = _Phase(study, data, folder, cache_dir, store, progress)
    phase.run(trials + search)
    if study.tune:
        lrs = choose_lrs(study, search, _finals(store, search))
        for finding in lr_edge_findings(study, lrs):  # a chosen lr at the grid's edge
            store.add_finding(finding)
            if progress:
                progress.finding(finding)
        known = {t.id for t in trials + search}
        tuned = [t for t in tuned_trials(study, lrs) if t.id not in known]  # tuned = default
        _register(store, trials + search + tuned)
        if progress:
            chosen = ", ".join(f"{k}: lr={v:g}" for k, v in lrs.items())
            progress.note(f"Learning rates chosen on held-out data: {chosen}. Rerunning them.")
        phase.run(tuned)
    try:
        report = write_report(StudyView.load(store), folder)
    except OSError as exc:  # a full disk or read-only media while the report is written
        raise folder_error(folder, exc) from exc
    return StudyOutcome(folder, report, phase.total, phase.finished, phase.failed, phase.skipped)


class _Phase:
    """Runs a list of trials of the study (skipping finished ones) and keeps the counts."""

    def __init__(
        self,
        study: StudySpec,
        data: Dataset,
        folder: Path,
        cache_dir: Path,
        store: Store,
        progress: Progress | None,
    ) -> None:
        self.study, self.data, self.folder, self.cache_dir = study, data, folder, cache_dir
        self.store, self.progress = store, progress
        self.total = self.finished = self.failed = self.skipped = 0

    def run(self, trials: list[TrialSpec]) -> None:
        study, store = self.study, self.store
        done = complete_ids(store, trials)
        todo = [t for t in trials if t.id not in done]
        self.total += len(trials)
        self.skipped += len(trials) - len(todo)
        if self.progress:
            self.progress.study_started(len(trials), len(trials) - len(todo), study.epochs)
        if not todo:
            return
        checkpoints = CheckpointFolder(self.folder / "checkpoints")
        resume = checkpoints.resumable(todo, store)
        if self.progress and checkpoints.ahead:
            self.progress.note(_ahead_note(checkpoints.ahead))
        request = RunRequest(
            todo,
            _options(study, todo, self.data),
            self.cache_dir,
            {dataset_key(study.dataset): self.data},
            resume=resume,
            initial_states=checkpoints.finals({t.init_from for t in todo if t.init_from}),
        )
        workers = 1 if study.reuse_model else _parallel(study, todo)
        executor = get_executor(
            study.executor, workers, study.address, study.num_cpus, study.num_gpus
        )
        shapes = {
            "input_shape": self.data.input_shape,
            "num_outputs": self.data.num_outputs,
            "example": self.data.train.x[:1],
        }
        tb = TensorBoardLog(self.folder / "tb", graph=functools.partial(trial_graph, **shapes))
        writer = StudyWriter({t.id: t for t in todo}, store, tb, checkpoints, self.progress)
        # scipy.stats serves comparisons over seeds only: a one-seed study never imports it.
        preload = ReportPreload(stats=len(study.seeds) > 1 or bool(study.tune))
        # Where workers are forked, matplotlib's import (~0.4 s, for the report) waits until
        # they have started: it then delays only this process's own training, while theirs
        # goes on (the hand-off of replicas between epochs evens out the cores' work again).
        # Elsewhere it was imported beside the data already, and this costs nothing.
        writer.on_first_event = _import_pyplot
        writer.on_first_result = preload.start
        # closing(): an error or Ctrl-C while the driver writes cancels remote work at once.
        try:
            with contextlib.closing(executor.run(request)) as events:
                writer.consume(events)
        finally:
            preload.stop()
        self.finished += writer.finished
        self.failed += writer.failed


def _finals(store: Store, trials: list[TrialSpec]) -> dict[str, dict[str, float]]:
    """Last-epoch validation loss and score of finished trials (stopped or failed ones: none):
    the score is the task's metric, signed so that higher is better (plan.choose_lrs)."""
    done = {t["id"] for t in store.trials() if t["status"] == "finished"}
    finals: dict[str, dict[str, float]] = {}
    for trial in trials:
        rows = store.epochs(trial.id)
        if trial.id in done and rows:
            last = rows[-1]
            finals[trial.id] = {"score": _score(trial, last), "val/loss": _nan(last["val_loss"])}
    return finals


def _score(trial: TrialSpec, row: dict[str, Any]) -> float:
    metric = task_kind(trial.task).primary
    stored = row["val_acc"] if metric.name == "acc" else row["metrics"].get(f"val/{metric.name}")
    value = _nan(stored)
    return value if metric.higher_is_better else -value


def _nan(value: Any) -> float:
    """A stored metric as a float (SQLite keeps NaN as NULL)."""
    return float(value) if isinstance(value, int | float) else math.nan


def _check_size(study: StudySpec) -> None:
    problem = trial_count_problem(study)
    if problem:
        raise ConfigError(f"Invalid study: {problem}")


def _check_models_fit(trials: list[TrialSpec], data: Dataset, device: str) -> None:
    """Refuse, before any work, a model one copy of which cannot train in this machine's
    free memory (`--model mlp:100000000`): counted without building it."""
    free = available_memory(device)
    for model in {t.model for t in trials}:
        count = parameter_count(model, data.input_shape, data.num_outputs)
        need = training_bytes(count)
        if need > free:
            raise ConfigError(
                f"The model ({model.name}, hidden={list(model.hidden)}) has {count:,} "
                f"parameters: training one copy needs about {need / 2**30:.1f} GiB, more than "
                f"the {free / 2**30:.1f} GiB free on {device}. Use fewer or smaller layers."
            )


def _check_device(device: str) -> None:
    """Fail before any work when the study asks for an accelerator this machine lacks."""
    if device.startswith("cuda"):
        index = int(device.split(":")[1]) if ":" in device else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ConfigError(
                f"--device {device} asked for, but torch {torch.__version__} sees "
                f"{torch.cuda.device_count()} CUDA device(s). Use --device cpu, or install a "
                "CUDA build of PyTorch on a machine with a GPU."
            )
    if device == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("--device mps asked for, but Apple's MPS is not available here.")


def _import_pyplot() -> None:
    """An early import only: if it fails, the report imports it again and reports why."""
    with contextlib.suppress(Exception):
        pyplot()


def _forks_workers(study: StudySpec, trials: list[TrialSpec]) -> bool:
    """Whether the study's trials may train in forked pool workers (engine threads aside:
    see executors/pool.py): on the CPU, more than one at a time, not chained."""
    pooled = study.executor == "local" and not study.reuse_model
    return pooled and study.device == "cpu" and _parallel(study, trials) > 1


def _parallel(study: StudySpec, todo: list[TrialSpec]) -> int:
    """Trials side by side: as asked, else one per core on the CPU and one process for a GPU
    (its replica groups keep it busy; more processes only add CUDA contexts and contend: the
    seed study on an H100 took 18.7 s in one process, 20.0 s in three). A reuse_model study
    is a chain: each trial needs the previous one's weights, so it runs one at a time."""
    if study.workers:
        return study.workers
    if study.device != "cpu":
        return 1
    return max(1, min(available_cores(), len(todo)))


def _options(study: StudySpec, todo: list[TrialSpec], data: Dataset) -> TrainOptions:
    workers = 1 if study.reuse_model else _parallel(study, todo)
    resources = plan_resources(study, todo, data, workers)
    stack = study.stack and not study.reuse_model  # a chain runs trial by trial
    if study.native and study.device == "cpu":
        native_status()  # loaded (or built, once per machine) here, before workers fork
    return TrainOptions(
        threads=resources.threads,
        thread_policy=resources.thread_policy,
        max_replicas=resources.max_replicas,
        histogram_freq=study.histogram_freq,
        monitors=study.monitors,
        stop_on=study.stop_on,
        stack=stack,
        native=study.native,
    )


class CheckpointFolder:
    """`checkpoints/<trial id>.pt`: the latest checkpoint of each trial, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ahead: dict[str, tuple[int, int]] = {}  # trial id → (checkpoint epoch, stored)

    def path(self, trial_id: str) -> Path:
        return self.root / f"{trial_id}.pt"

    def write(self, trial_id: str, blob: bytes) -> None:
        # No fsync: rename makes the write atomic against a killed process; after a power
        # loss a damaged checkpoint is detected on resume and its trial restarts cleanly.
        self.root.mkdir(exist_ok=True, mode=0o700)
        _atomic_write_bytes(self.path(trial_id), blob, durable=False)

    def read(self, trial_id: str) -> bytes | None:
        path = self.path(trial_id)
        return path.read_bytes() if path.is_file() else None

    def resumable(self, todo: list[TrialSpec], store: Store) -> dict[str, bytes]:
        """Checkpoints of unfinished trials that recorded epochs before they were interrupted.

        A damaged checkpoint is set aside (renamed `.damaged`): its trial restarts from
        epoch 1 rather than failing the study. So is a checkpoint *ahead* of the store (a
        store restored from a backup, or one that lost its last commits to a power cut, as
        WAL at synchronous=NORMAL may): resuming from it would leave the epochs in between
        missing and call the last stored one final. Its trial restarts from epoch 1 and gives
        the same numbers (renamed `.ahead`; listed in `self.ahead`).
        """
        found = {}
        for trial in todo:
            blob, stored = self.read(trial.id), store.whole_epochs(trial.id)
            if blob is None or stored == 0:
                continue
            try:
                epoch = load_checkpoint(blob).epoch
            except StoreError:
                self._set_aside(trial.id, ".damaged")
                continue
            if epoch > stored:
                self.ahead[trial.id] = (epoch, stored)
                self._set_aside(trial.id, ".ahead")
                continue
            found[trial.id] = blob
        return found

    def _set_aside(self, trial_id: str, suffix: str) -> None:
        try:
            os.replace(self.path(trial_id), self.path(trial_id).with_suffix(suffix))
        except OSError as exc:
            raise folder_error(self.path(trial_id), exc) from exc

    def finals(self, trial_ids: set[str]) -> dict[str, bytes]:
        return {i: blob for i in trial_ids if (blob := self.read(i)) is not None}


class StudyWriter:
    """Records executor events as they land: store first, then checkpoint, TensorBoard, progress.

    The store row of an epoch is committed before its checkpoint is written, so after a crash
    the checkpoint is never ahead of the store; a resumed trial re-runs at most one epoch, and
    the store forgets that epoch's old row first.
    """

    def __init__(
        self,
        specs: dict[str, TrialSpec],
        store: Store,
        tb: TensorBoardLog,
        checkpoints: CheckpointFolder,
        progress: Progress | None,
    ) -> None:
        self.specs, self.store, self.tb = specs, store, tb
        self.checkpoints, self.progress = checkpoints, progress
        self.last: dict[str, EpochRecord] = {}
        self.finished = self.failed = 0
        self.on_first_event: Callable[[], None] | None = None
        self.on_first_result: Callable[[], None] | None = None

    def consume(self, events: Iterator[object]) -> None:
        try:
            for event in events:
                if self.on_first_event:
                    self.on_first_event()
                    self.on_first_event = None
                if isinstance(event, TrialStarted):
                    self._started(event)
                elif isinstance(event, EpochRecord):
                    self._epoch(event)
                elif isinstance(event, TrialResult):
                    self._result(event)
        except OSError as exc:  # the store's own refusals are StoreErrors already
            raise folder_error(self.store.path.parent, exc) from exc
        finally:
            self.tb.close_all()

    def _started(self, event: TrialStarted) -> None:
        spec = self.specs[event.trial_id]
        self.store.start_trial(event)
        self.tb.open(spec, event.resumed_from)
        if self.progress:
            self.progress.trial_started(spec)

    def _epoch(self, record: EpochRecord) -> None:
        self.store.add_epoch(record)
        if record.checkpoint is not None:
            self.checkpoints.write(record.trial_id, record.checkpoint)
        self.tb.epoch(record)
        self.last[record.trial_id] = record
        self._announce(record.findings)
        if self.progress:
            self.progress.epoch_done(self.specs[record.trial_id], record)

    def _result(self, result: TrialResult) -> None:
        spec = self.specs[result.trial_id]
        for finding in result.findings:
            self.store.add_finding(finding)
        self._announce(result.findings)
        self.store.finish_trial(result)
        last = self.last.get(result.trial_id)
        self.tb.close(spec, {f"final/{k}": v for k, v in (last.scalars() if last else {}).items()})
        if result.status == "finished":
            self.finished += 1
        else:
            self.failed += 1
        if self.progress:
            self.progress.trial_done(spec, result)
        if self.on_first_result and len(self.specs) > self.finished + self.failed:
            self.on_first_result()  # others still train: a core may have just come free
            self.on_first_result = None

    def _announce(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.tb.finding(finding)
            if self.progress:
                self.progress.finding(finding)


class ReportPreload:
    """Imports the report's dependencies while the last trials train, not after, if a core is
    idle meanwhile (sweeps and Ray, where this process mostly waits for workers).

    Started when the first trial ends. While every core trains, or while this process trains
    a group itself, the ~1 s of imports would only slow the training down, so the thread waits
    for an idle core and an idle driver, and gives up when the phase ends.
    `stop` waits for an import under way: the report must not import the same modules from a
    second thread at the same time (matplotlib then sees itself half initialised).
    """

    def __init__(self, stats: bool = True) -> None:
        self.stats = stats  # scipy.stats too (see report.preload)
        self.ended = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="optbench-report-preload")
        self.thread.daemon = True
        self.thread.start()

    def stop(self) -> None:
        self.ended.set()
        if self.thread is not None:
            self.thread.join()

    def _run(self) -> None:
        while not self.ended.is_set():
            before = time.process_time()  # this process's CPU time, all its threads
            idle = idle_cores(PRELOAD_IDLE_SAMPLE_SECONDS)
            here = (time.process_time() - before) / PRELOAD_IDLE_SAMPLE_SECONDS
            # A core is idle, and this process is not training a group itself (whose steps
            # the imports would slow down: they share its interpreter lock).
            if idle >= 0.5 and here < 0.5 and not self.ended.is_set():
                preload(self.stats)
                return


def _record_study(
    study: StudySpec, trials: list[TrialSpec], data: Dataset, folder: Path, store: Store
) -> str:
    """Save the study's config; return a note on what changed since the last run ('' = none).

    Trials of an earlier version of the study stay in the store (nothing is lost), but the
    report shows the current study only.
    """
    current = [t.id for t in trials]
    before = json.loads(store.get_meta("planned_ids") or "null")
    store.set_meta("planned_ids", json.dumps(current))  # tuned reruns are not planned ones
    _register(store, trials)
    store.set_meta("name", study.name)
    store.set_meta("study", stable_json(study.to_dict()))
    info = {**data.info(), "train_examples": len(data.train.y), "test_examples": len(data.test.y)}
    store.set_meta("dataset", json.dumps(info, default=str))
    _atomic_write_bytes(folder / "config.toml", study_to_toml(study).encode())
    return _describe_changes(before, current)


def _register(store: Store, trials: list[TrialSpec]) -> None:
    """Add the trials (idempotent, one transaction) and mark them as the study's current
    trials."""
    store.add_trials(trials)
    store.set_meta("trial_ids", json.dumps([t.id for t in trials]))


def _describe_changes(before: list[str] | None, current: list[str]) -> str:
    if before is None or before == current:
        return ""
    added = len(set(current) - set(before))
    dropped = len(set(before) - set(current))
    kept = len(current) - added
    return (
        f"The study changed since its last run: {added} new or changed trial(s) will run, "
        f"{kept} unchanged trial(s) keep their results, and {dropped} trial(s) of the old "
        "version are no longer part of it (kept in the store, left out of the report)."
    )


def _check_user_model(study: StudySpec, data: Dataset) -> None:
    """Your model is built and run on a few examples before any trial: a factory that raises,
    returns no module, or gives outputs that do not fit the task stops the study now."""
    if study.model.factory is None:
        return
    ref = portable_reference(study.model.factory)
    model = build_model(study.model, data.input_shape, data.num_outputs, seed=study.seeds[0])
    x = data.train.x[:2]
    try:
        with torch.no_grad():
            outputs = model(x)
    except Exception as exc:
        raise ConfigError(
            f"The model from {ref} failed on a batch of {tuple(x.shape)} ({x.dtype}) inputs: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    check_outputs(outputs, study.task, len(x), data.num_outputs, ref)


def _static_findings(study: StudySpec, data: Dataset) -> list[Finding]:
    """Problems visible from the study and the data alone, before any training."""
    return [*check_study_design(study), *check_data(data), *_skipped_inputs(data.skipped)]


# Skipped files named in the finding; the rest are counted (all are in the store's meta).
SKIPPED_SHOWN = 5


def _skipped_inputs(skipped: list[str]) -> list[Finding]:
    """data.skipped_files: the reader left files out (corrupt, too large, outside the
    folder). The study is right to go on without them, but not silently."""
    if not skipped:
        return []
    info = CODES.get("data.skipped_files")
    shown = "; ".join(skipped[:SKIPPED_SHOWN])
    more = f"; and {len(skipped) - SKIPPED_SHOWN} more" if len(skipped) > SKIPPED_SHOWN else ""
    message = (
        f"{len(skipped)} input file(s) were skipped while reading the data, so the study "
        f"trains and tests on fewer examples than the folder holds: {shown}{more}."
    )
    return [Finding(code=info.code, severity=info.severity, message=message, fix=info.fix)]


def _ahead_note(ahead: dict[str, tuple[int, int]]) -> str:
    """What the progress bar says about checkpoints ahead of the store."""
    trials = ", ".join(f"{i} (checkpoint epoch {c}, store {s})" for i, (c, s) in ahead.items())
    return (
        f"The store holds fewer epochs than the checkpoints of {len(ahead)} trial(s): {trials}. "
        "The store was restored from an older copy or lost its last writes; those trials "
        "restart from epoch 1 (same numbers), so no epoch goes missing."
    )


def _atomic_write_bytes(path: Path, blob: bytes, durable: bool = True) -> None:
    """Temp file + rename: a reader sees the old file or the new one, never half of one.
    `durable` also flushes it to the disk (survives a power loss, costs a sync)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(blob)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise folder_error(path, exc) from exc


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One optbench process per study folder; a second one is refused, not interleaved."""
    try:
        handle = open(folder / ".lock", "a+")  # noqa: SIM115 — held for the whole run
    except OSError as exc:  # read-only media, no permission: said before any work
        raise folder_error(folder, exc) from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(
            f"Another optbench process is running the study in {folder}. Wait for it to finish, "
            "or choose another folder with --out."
        ) from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
