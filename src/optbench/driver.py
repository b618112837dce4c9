"""The driver: runs a study and is the only writer of its folder.

Executors compute and stream events; the driver records each one as it lands (store first,
then TensorBoard, then progress), so a study killed at any point keeps every finished epoch and
resumes by skipping finished trials.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from optbench.core.errors import StoreError
from optbench.core.specs import (
    EpochRecord,
    Finding,
    StudySpec,
    TrialResult,
    TrialSpec,
    TrialStarted,
    stable_json,
)
from optbench.data import Dataset, load_dataset
from optbench.engine import TrainOptions, available_cores, choose_threads
from optbench.executors import RunRequest, dataset_key, get_executor
from optbench.plan import expand, study_to_toml
from optbench.report import StudyView, write_report
from optbench.store import Store, TensorBoardLog

# Inputs whose raw maximum is above this were almost surely meant to be scaled (pixels 0–255).
UNSCALED_INPUT_MAX = 10.0


class Progress(Protocol):
    """What a front end (the CLI's progress bar) is told while a study runs."""

    def study_started(self, total: int, skipped: int, epochs: int) -> None: ...
    def trial_started(self, spec: TrialSpec) -> None: ...
    def epoch_done(self, spec: TrialSpec, record: EpochRecord) -> None: ...
    def trial_done(self, spec: TrialSpec, result: TrialResult) -> None: ...
    def finding(self, finding: Finding) -> None: ...


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
    trials = expand(study)
    data = load_dataset(study.dataset, cache_dir)  # a data problem stops us before any trial
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(folder):
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
    _record_study(study, data, folder, store)
    for position, trial in enumerate(trials):
        store.add_trial(trial, position)
    # Trials of an earlier version of this study stay in the store (nothing is lost) but the
    # report shows the current study only.
    store.set_meta("trial_ids", json.dumps([t.id for t in trials]))
    finished = store.finished_ids()
    todo = [t for t in trials if t.id not in finished]
    if progress:
        progress.study_started(len(trials), len(trials) - len(todo), study.epochs)
    for finding in _static_findings(study, data):
        store.add_finding(finding)
        if progress:
            progress.finding(finding)

    # A reuse_model study is a chain: each trial needs the previous one's weights, in order.
    # A reuse_model study is a chain: each trial needs the previous one's weights, in order.
    parallel = study.workers or max(1, min(available_cores(), len(todo)))
    workers = 1 if study.reuse_model else parallel
    options = TrainOptions(
        threads=choose_threads(workers),
        histogram_freq=study.histogram_freq,
        monitors=study.monitors,
        stop_on=study.stop_on,
    )
    request = RunRequest(todo, options, cache_dir, {dataset_key(study.dataset): data})
    executor = get_executor(study.executor, workers, study.address, study.num_cpus, study.num_gpus)
    counts = _consume(
        executor.run(request),
        {t.id: t for t in todo},
        store,
        TensorBoardLog(folder / "tb"),
        progress,
    )
    report = write_report(StudyView.load(store), folder)
    return StudyOutcome(
        folder, report, len(trials), counts["finished"], counts["failed"], len(trials) - len(todo)
    )


def _consume(
    events: Iterator[object],
    specs: dict[str, TrialSpec],
    store: Store,
    tb: TensorBoardLog,
    progress: Progress | None,
) -> dict[str, int]:
    counts = {"finished": 0, "failed": 0}
    last: dict[str, EpochRecord] = {}
    try:
        for event in events:
            if isinstance(event, TrialStarted):
                spec = specs[event.trial_id]
                store.start_trial(event)
                tb.open(spec)
                if progress:
                    progress.trial_started(spec)
            elif isinstance(event, EpochRecord):
                store.add_epoch(event)
                tb.epoch(event)
                last[event.trial_id] = event
                if progress:
                    progress.epoch_done(specs[event.trial_id], event)
            elif isinstance(event, TrialResult):
                spec = specs[event.trial_id]
                _finish(event, spec, store, tb, last.get(event.trial_id), progress)
                counts["finished" if event.status == "finished" else "failed"] += 1
    finally:
        tb.close_all()
    return counts


def _finish(
    result: TrialResult,
    spec: TrialSpec,
    store: Store,
    tb: TensorBoardLog,
    last: EpochRecord | None,
    progress: Progress | None,
) -> None:
    for finding in result.findings:
        store.add_finding(finding)
        tb.finding(finding)
        if progress:
            progress.finding(finding)
    store.finish_trial(result)
    final = {f"final/{k}": v for k, v in (last.scalars() if last else {}).items()}
    tb.close(spec, final)
    if progress:
        progress.trial_done(spec, result)


def _record_study(study: StudySpec, data: Dataset, folder: Path, store: Store) -> None:
    store.set_meta("name", study.name)
    store.set_meta("study", stable_json(study.to_dict()))
    info = {**data.info(), "train_examples": len(data.train.y), "test_examples": len(data.test.y)}
    store.set_meta("dataset", json.dumps(info, default=str))
    _atomic_write(folder / "config.toml", study_to_toml(study))


def _static_findings(study: StudySpec, data: Dataset) -> list[Finding]:
    """Problems visible from the study and the data alone, before any training."""
    findings = []
    if study.reuse_model and len(study.optimizers) > 1:
        findings.append(
            Finding(
                code="fairness.reused_model",
                severity="error",
                message=(
                    "Each optimizer continued training the previous optimizer's model "
                    "(reuse_model = true), as the homework did: later optimizers start from "
                    "trained weights, so their curves and final numbers are not comparable."
                ),
                fix="Drop reuse_model (the default): every trial then starts from identical "
                "fresh weights.",
            )
        )
    if not data.scaled and data.raw_range[1] > UNSCALED_INPUT_MAX:
        findings.append(
            Finding(
                code="data.unscaled_inputs",
                severity="warning",
                message=(
                    f"Inputs are not scaled: values range over {data.raw_range}. Large inputs "
                    "give large initial logits and gradients; the seed study's 0–255 pixels "
                    "are why its validation loss stayed high for a 95% model."
                ),
                fix="Scale inputs to [0, 1] (the default; drop --no-scale).",
            )
        )
    return findings


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One optbench process per study folder; a second one is refused, not interleaved."""
    handle = open(folder / ".lock", "a+")  # noqa: SIM115 — held for the whole run
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
