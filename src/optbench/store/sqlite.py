"""The study store: one SQLite file, one row per finished epoch, committed as it lands.

WAL mode keeps readers (`optbench show` while a study runs) off the writer's back, and every
epoch is its own transaction, so a killed study loses at most the epoch in flight. Only the
driver process writes here; workers send records.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from optbench.core.digest import trial_digest
from optbench.core.errors import StoreError
from optbench.core.specs import EpochRecord, Finding, TrialResult, TrialSpec, TrialStarted

# 2: trials.digest; 3: epochs.metrics (a task's other metrics, JSON). An older store gains the
# columns when opened.
SCHEMA_VERSION = 3
MIGRATIONS = {
    1: ("ALTER TABLE trials ADD COLUMN digest TEXT", "ALTER TABLE epochs ADD COLUMN metrics TEXT"),
    2: ("ALTER TABLE epochs ADD COLUMN metrics TEXT",),
}
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    optimizer TEXT NOT NULL,
    seed INTEGER NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    init_fingerprint TEXT,
    final_fingerprint TEXT,
    first_batch_loss REAL,
    env TEXT,
    error TEXT,
    started_at REAL,
    finished_at REAL,
    digest TEXT
);
CREATE TABLE IF NOT EXISTS epochs (
    trial_id TEXT NOT NULL REFERENCES trials(id),
    epoch INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL, val_acc REAL,
    lr REAL, grad_norm REAL, seconds REAL, metrics TEXT,
    PRIMARY KEY (trial_id, epoch)
);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trial_id TEXT, epoch INTEGER,
    code TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL, fix TEXT NOT NULL
);
"""
EPOCH_COLUMNS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm", "seconds")


class Store:
    """Read and write one study's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit txns
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable per commit
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a usable optbench store ({exc}). "
                "Move it away or choose another study folder with --out."
            ) from exc
        self._check_version()

    def _check_version(self) -> None:
        found = self.get_meta("schema_version")
        if found is not None and found.isdigit() and int(found) in MIGRATIONS:
            for statement in MIGRATIONS[int(found)]:  # the same tables, with fewer columns
                self._db.execute(statement)
            found = None
        if found is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(found) != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by an optbench with store schema {found}; this one "
                f"reads schema {SCHEMA_VERSION}. Use a new study folder."
            )

    def close(self) -> None:
        self._db.close()

    # -- meta -------------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- writes -----------------------------------------------------------------------------
    def add_trial(self, spec: TrialSpec, position: int) -> None:
        """Register a trial (pending) unless it is already known from an earlier run."""
        self._db.execute(
            "INSERT OR IGNORE INTO trials (id, position, label, optimizer, seed, spec) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                spec.id,
                position,
                spec.label,
                spec.group,
                spec.seed,
                json.dumps(spec.to_dict(), sort_keys=True),
            ),
        )

    def start_trial(self, event: TrialStarted) -> None:
        """A trial (re)starts: forget what an interrupted earlier run recorded after the epoch
        it resumes from (everything, for a fresh start), so no epoch is ever stored twice."""
        after = event.resumed_from
        with self._transaction():
            self._db.execute(
                "DELETE FROM epochs WHERE trial_id = ? AND epoch > ?", (event.trial_id, after)
            )
            self._db.execute(
                "DELETE FROM findings WHERE trial_id = ? AND (? = 0 OR epoch IS NULL OR epoch > ?)",
                (event.trial_id, after, after),
            )
            if after:
                self._db.execute(
                    "UPDATE trials SET status='running', error=NULL, finished_at=NULL, "
                    "digest=NULL WHERE id=?",
                    (event.trial_id,),
                )
                return
            self._db.execute(
                "UPDATE trials SET status='running', init_fingerprint=?, first_batch_loss=?, "
                "env=?, error=NULL, started_at=?, finished_at=NULL, digest=NULL WHERE id=?",
                (
                    event.init_fingerprint,
                    event.first_batch_loss,
                    json.dumps(event.env),
                    time.time(),
                    event.trial_id,
                ),
            )

    def add_epoch(self, record: EpochRecord) -> None:
        """One epoch and the findings that came with it, in one transaction."""
        values = [getattr(record, c) for c in EPOCH_COLUMNS]
        metrics = json.dumps(record.metrics, sort_keys=True) if record.metrics else None
        with self._transaction():
            self._db.execute(
                f"INSERT INTO epochs (trial_id, epoch, {', '.join(EPOCH_COLUMNS)}, metrics) "
                f"VALUES (?, ?, {', '.join('?' * len(EPOCH_COLUMNS))}, ?)",
                (record.trial_id, record.epoch, *values, metrics),
            )
            for finding in record.findings:
                self.add_finding(finding)

    def add_finding(self, finding: Finding) -> None:
        self._db.execute(
            "INSERT INTO findings (trial_id, epoch, code, severity, message, fix) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                finding.trial_id,
                finding.epoch,
                finding.code,
                finding.severity,
                finding.message,
                finding.fix,
            ),
        )

    def finish_trial(self, result: TrialResult) -> None:
        """Record how a trial ended, with its digest (core/digest.py) over the epochs stored."""
        digest = None
        if result.status in ("finished", "stopped"):
            digest = trial_digest(self.epochs(result.trial_id), result.final_fingerprint)
        self._db.execute(
            "UPDATE trials SET status=?, final_fingerprint=?, error=?, finished_at=?, digest=? "
            "WHERE id=?",
            (
                result.status,
                result.final_fingerprint,
                result.error,
                time.time(),
                digest,
                result.trial_id,
            ),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- reads ------------------------------------------------------------------------------
    def trials(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM trials ORDER BY position").fetchall()
        return [_decode_trial(dict(r)) for r in rows]

    def epochs(self, trial_id: str | None = None) -> list[dict[str, Any]]:
        """Epoch rows; `metrics` decoded ({} when the task has no others)."""
        sql = "SELECT * FROM epochs"
        args: tuple[str, ...] = ()
        if trial_id is not None:
            sql, args = sql + " WHERE trial_id = ?", (trial_id,)
        rows = [dict(r) for r in self._db.execute(sql + " ORDER BY trial_id, epoch", args)]
        for row in rows:
            row["metrics"] = json.loads(row["metrics"]) if row.get("metrics") else {}
        return rows

    def findings(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute("SELECT * FROM findings ORDER BY id")]

    def finished_ids(self) -> set[str]:
        """Trials with a result: finished, or stopped by the study's stop policy."""
        rows = self._db.execute("SELECT id FROM trials WHERE status IN ('finished', 'stopped')")
        return {r[0] for r in rows}

    def last_epoch(self, trial_id: str) -> int:
        row = self._db.execute(
            "SELECT MAX(epoch) FROM epochs WHERE trial_id = ?", (trial_id,)
        ).fetchone()
        return row[0] or 0


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _decode_trial(row: dict[str, Any]) -> dict[str, Any]:
    row["spec"] = json.loads(row["spec"])
    row["env"] = json.loads(row["env"]) if row["env"] else {}
    return row
