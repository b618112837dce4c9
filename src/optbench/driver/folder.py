"""The study folder, written by the driver alone: the study's record in the store, each event
as it lands (store first, then checkpoint, TensorBoard, progress), the checkpoints, atomic
files, and the lock that keeps a second process out."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from optbench.data import Dataset
from optbench.engine import load_checkpoint
from optbench.plan import study_to_toml
from optbench.store import Store, TensorBoardLog
from optbench.store.folder import folder_error


class Progress(Protocol):
    """What a front end (the CLI's progress bar) is told while a study runs."""

    def study_started(self, total: int, skipped: int, epochs: int) -> None: ...
    def trial_started(self, spec: TrialSpec) -> None: ...
    def epoch_done(self, spec: TrialSpec, record: EpochRecord) -> None: ...
    def trial_done(self, spec: TrialSpec, result: TrialResult) -> None: ...
    def finding(self, finding: Finding) -> None: ...
    def note(self, text: str) -> None: ...


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
        atomic_write_bytes(self.path(trial_id), blob, durable=False)

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

    def _announce(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.tb.finding(finding)
            if self.progress:
                self.progress.finding(finding)


def record_study(
    study: StudySpec, trials: list[TrialSpec], data: Dataset, folder: Path, store: Store
) -> str:
    """Save the study's config; return a note on what changed since the last run ('' = none).

    Trials of an earlier version of the study stay in the store (nothing is lost), but the
    report shows the current study only.
    """
    current = [t.id for t in trials]
    before = json.loads(store.get_meta("planned_ids") or "null")
    store.set_meta("planned_ids", json.dumps(current))  # tuned reruns are not planned ones
    register(store, trials)
    store.set_meta("name", study.name)
    store.set_meta("study", stable_json(study.to_dict()))
    info = {**data.info(), "train_examples": len(data.train.y), "test_examples": len(data.test.y)}
    store.set_meta("dataset", json.dumps(info, default=str))
    atomic_write_bytes(folder / "config.toml", study_to_toml(study).encode())
    return _describe_changes(before, current)


def register(store: Store, trials: list[TrialSpec]) -> None:
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


def ahead_note(ahead: dict[str, tuple[int, int]]) -> str:
    """What the progress bar says about checkpoints ahead of the store."""
    trials = ", ".join(f"{i} (checkpoint epoch {c}, store {s})" for i, (c, s) in ahead.items())
    return (
        f"The store holds fewer epochs than the checkpoints of {len(ahead)} trial(s): {trials}. "
        "The store was restored from an older copy or lost its last writes; those trials "
        "restart from epoch 1 (same numbers), so no epoch goes missing."
    )


def atomic_write_bytes(path: Path, blob: bytes, durable: bool = True) -> None:
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
def locked(folder: Path) -> Iterator[None]:
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
