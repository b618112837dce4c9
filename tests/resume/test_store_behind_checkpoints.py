"""A store rolled back behind its checkpoints (a restored backup; a power cut with WAL at
synchronous=NORMAL losing the last commits) must not resume into a trial with missing epochs.

The backup is taken with SQLite's own backup API while the study runs, right after the first
epoch is stored: exactly the file a user would restore. The checkpoints on disk are then
three epochs ahead of it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import optbench

RAW = {
    "name": "behind",
    "dataset": {"name": "digits", "train_size": 512, "test_size": 128},
    "optimizers": ["adam", "sgd"],
    "epochs": 4,
    "batch_size": 64,
    "workers": 1,
}


class BackupAfterFirstEpoch:
    """A progress listener that copies the store once the first epoch is committed."""

    def __init__(self, store: Path, backup: Path) -> None:
        self.store, self.backup, self.taken = store, backup, False
        self.notes: list[str] = []

    def epoch_done(self, spec, record) -> None:
        if not self.taken:
            with sqlite3.connect(self.store) as src, sqlite3.connect(self.backup) as dst:
                src.backup(dst)
            self.taken = True

    def note(self, text: str) -> None:
        self.notes.append(text)

    def study_started(self, *args) -> None: ...
    def trial_started(self, spec) -> None: ...
    def trial_done(self, spec, result) -> None: ...
    def finding(self, finding) -> None: ...


def _rows(folder: Path) -> dict[str, list[int]]:
    with sqlite3.connect(folder / "study.sqlite") as db:
        rows = db.execute("SELECT trial_id, epoch FROM epochs ORDER BY trial_id, epoch")
        epochs: dict[str, list[int]] = {}
        for trial, epoch in rows:
            epochs.setdefault(trial, []).append(epoch)
        return epochs


def _digests(folder: Path) -> dict[str, str]:
    with sqlite3.connect(folder / "study.sqlite") as db:
        return dict(db.execute("SELECT id, digest FROM trials WHERE status = 'finished'"))


def _restore(folder: Path, backup: Path) -> None:
    for extra in ("study.sqlite-wal", "study.sqlite-shm"):
        (folder / extra).unlink(missing_ok=True)
    (folder / "study.sqlite").write_bytes(backup.read_bytes())


def test_a_restored_backup_does_not_resume_into_missing_epochs(tmp_path):
    reference = optbench.run_study(RAW, tmp_path / "reference", cache_dir=tmp_path / "c")
    folder, backup = tmp_path / "study", tmp_path / "backup.sqlite"
    listener = BackupAfterFirstEpoch(folder / "study.sqlite", backup)
    optbench.run_study(RAW, folder, cache_dir=tmp_path / "c", progress=listener)
    _restore(folder, backup)  # the store says epoch 1; the checkpoints say epoch 4

    again = optbench.run_study(RAW, folder, cache_dir=tmp_path / "c", progress=listener)
    assert again.finished == 2 and again.failed == 0
    assert all(epochs == [1, 2, 3, 4] for epochs in _rows(folder).values())
    assert len(_rows(folder)) == 2
    assert _digests(folder) == _digests(reference.folder)  # the same numbers as never stopped
    assert any("fewer epochs than the checkpoints" in note for note in listener.notes)
    assert list((folder / "checkpoints").glob("*.ahead"))  # set aside, not deleted


def test_a_finished_trial_with_a_missing_epoch_is_trained_again(tmp_path):
    reference = optbench.run_study(RAW, tmp_path / "reference", cache_dir=tmp_path / "c")
    with sqlite3.connect(reference.folder / "study.sqlite") as db:
        trial = db.execute("SELECT id FROM trials ORDER BY position LIMIT 1").fetchone()[0]
        db.execute("DELETE FROM epochs WHERE trial_id = ? AND epoch = 3", (trial,))
    digests = _digests(reference.folder)

    again = optbench.run_study(RAW, reference.folder, cache_dir=tmp_path / "c")
    assert again.skipped == 1 and again.finished == 1
    assert _rows(reference.folder)[trial] == [1, 2, 3, 4]
    assert _digests(reference.folder) == digests
