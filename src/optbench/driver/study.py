"""Running a study: plan its trials, execute them, record every event, write the report.

The story of `run_study`, in order: check what can be checked before any work (checks.py),
read the data, record the study, run each phase of trials (the study, then its tuned reruns)
through an executor while the StudyWriter records every event as it lands (folder.py), then
write the report from the store alone.
"""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optbench.core.specs import StudySpec, TrialSpec
from optbench.core.task import task_kind
from optbench.data import Dataset, load_dataset
from optbench.diagnose import lr_edge_findings, resolve_stop_on
from optbench.driver import startup
from optbench.driver.checks import (
    check_device,
    check_size,
    check_user_model,
    static_findings,
)
from optbench.driver.folder import (
    CheckpointFolder,
    Progress,
    StudyWriter,
    ahead_note,
    locked,
    record_study,
    register,
)
from optbench.engine import (
    TrainOptions,
    available_cores,
    check_models_fit,
    native_status,
    threads_restored,
)
from optbench.executors import RunRequest, dataset_key, get_executor, plan_resources
from optbench.models.graph import trial_graph
from optbench.plan import choose_lrs, expand, search_trials, tuned_trials
from optbench.report import StudyView, write_report
from optbench.store import Store, TensorBoardLog
from optbench.store.consistency import complete_ids
from optbench.store.folder import check_study_folder, folder_error, make_study_folder


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
    check_size(study)  # a StudySpec built in Python skips the study-file checks
    trials = expand(study)
    resolve_stop_on(study.stop_on)  # a typo in the stop policy fails now, not in every trial
    check_device(study.device)
    check_study_folder(folder)  # a file, a device, read-only media: refused before any work
    forked = startup.forks_workers(study, parallel_trials(study, trials))
    with startup.pyplot_beside(forked):  # matplotlib's import, off the critical path
        data = load_dataset(study.dataset, cache_dir, task=study.task)  # a bad file stops here
    check_models_fit((t.model for t in trials), data, study.device)
    make_study_folder(folder)
    with locked(folder), startup.collector_skips_what_lives_now(), threads_restored():
        store = Store(folder / "study.sqlite")
        try:
            return _run(study, trials, data, folder, cache_dir, store, progress)
        finally:
            store.close()


def _run(
    study: StudySpec,
    trials: list[TrialSpec],
    data: Dataset,
    folder: Path,
    cache_dir: Path,
    store: Store,
    progress: Progress | None,
) -> StudyOutcome:
    check_user_model(study, data)
    search = search_trials(study, len(data.train)) if study.tune else []
    changes = record_study(study, trials + search, data, folder, store)
    if progress and changes:
        progress.note(changes)
    for finding in static_findings(study, data):
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
        register(store, trials + search + tuned)
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
            self.progress.note(ahead_note(checkpoints.ahead))
        request = RunRequest(
            todo,
            _options(study, todo, self.data),
            self.cache_dir,
            {dataset_key(study.dataset): self.data},
            resume=resume,
            initial_states=checkpoints.finals({t.init_from for t in todo if t.init_from}),
        )
        workers = 1 if study.reuse_model else parallel_trials(study, todo)
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
        writer.on_first_event = startup.import_pyplot  # once forked workers train (startup.py)
        # closing(): an error or Ctrl-C while the driver writes cancels remote work at once.
        with contextlib.closing(executor.run(request)) as events:
            writer.consume(events)
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


def parallel_trials(study: StudySpec, todo: list[TrialSpec]) -> int:
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
    workers = 1 if study.reuse_model else parallel_trials(study, todo)
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
