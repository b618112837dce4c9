"""The study store: one SQLite file, one row per finished epoch, committed as it lands.

WAL mode keeps readers (`optbench show` while a study runs) off the writer's back, and every
epoch is its own transaction, so a killed study loses at most the epoch in flight. Only the
driver process writes here; workers send records.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from optbench.core.digest import trial_digest
from optbench.core.errors import StoreError
from optbench.core.specs import EpochRecord, Finding, TrialResult, TrialSpec, TrialStarted
from optbench.store.folder import is_nearly_full, is_read_only

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
    """Read and write one study's SQLite file.

    `readonly=True` (show, export, report, ls, verify) opens it without writing anything, so
    a study on read-only media, or one another process is writing, can still be read.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._db = _Guarded(path, open_readonly(path) if readonly else _open_writable(path))
        try:
            self._check_version()
        except BaseException:
            self._db.close()
            raise

    def _check_version(self) -> None:
        if self.readonly and not self._has_meta():
            raise StoreError(
                f"{self.path} is not an optbench store (it has no `meta` table). "
                "Check the path: a study folder holds the study.sqlite optbench wrote."
            )
        found = self.get_meta("schema_version")
        if found is not None and found.isdigit() and int(found) in MIGRATIONS:
            if self.readonly:  # read as it is: the missing columns read as empty
                return
            for statement in MIGRATIONS[int(found)]:  # the same tables, with fewer columns
                self._db.execute(statement)
            found = None
        if found is None and not self.readonly:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif found not in (None, str(SCHEMA_VERSION)):
            raise StoreError(
                f"{self.path} was written by an optbench with store schema {found}; this one "
                f"reads schema {SCHEMA_VERSION}. Use a new study folder."
            )

    def _has_meta(self) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        return self._db.execute(sql).fetchone() is not None

    def close(self) -> None:
        self._db.close()

    # -- meta -------------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- writes -----------------------------------------------------------------------------
    def add_trials(self, specs: list[TrialSpec]) -> None:
        """Register trials (see add_trial) in one transaction: 10,000 trials in one commit,
        not 10,000 commits."""
        with self._transaction():
            for position, spec in enumerate(specs):
                self.add_trial(spec, position)

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

    def epoch_spans(self) -> dict[str, tuple[int, int]]:
        """Trial id → (stored epochs, highest epoch): equal when no epoch is missing."""
        rows = self._db.execute(
            "SELECT trial_id, COUNT(*), MAX(epoch) FROM epochs GROUP BY trial_id"
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def statuses(self) -> dict[str, str]:
        """Trial id → status (pending, running, finished, failed, stopped)."""
        return {r[0]: r[1] for r in self._db.execute("SELECT id, status FROM trials")}

    def whole_epochs(self, trial_id: str) -> int:
        """The last epoch k such that epochs 1..k are all stored (0: none): where a trial can
        resume without leaving a gap."""
        rows = self._db.execute(
            "SELECT epoch FROM epochs WHERE trial_id = ? ORDER BY epoch", (trial_id,)
        )
        whole = 0
        for (epoch,) in rows:
            if epoch != whole + 1:
                break
            whole = epoch
        return whole


def _open_writable(path: Path) -> sqlite3.Connection:
    """The store for the driver: WAL, durable per commit, tables created when missing."""
    db = None
    try:
        db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit transactions
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable per commit
        db.executescript(SCHEMA)
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        raise store_error(path, exc) from exc
    return db


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open for reading: nothing is created or changed. Where the file may be written, it is
    opened `mode=rw` (closing it then tidies the -wal and -shm files away, as the driver's
    does); elsewhere `mode=ro`, and on read-only media, where a WAL store whose -shm file is
    gone (a study closed cleanly) cannot be opened so, as `immutable`, which such media are."""
    if os.access(path, os.R_OK | os.W_OK) and not is_read_only(path):
        attempts = ["mode=rw"]
    elif is_read_only(path):
        attempts = ["mode=ro", "mode=ro&immutable=1"]
    else:
        attempts = ["mode=ro"]
    for i, flags in enumerate(attempts):
        try:
            return _connect_uri(path, flags)
        except sqlite3.OperationalError as exc:
            if i == len(attempts) - 1:
                raise store_error(path, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise store_error(path, exc) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")


def _connect_uri(path: Path, flags: str) -> sqlite3.Connection:
    uri = f"file:{quote(str(Path(path).absolute()))}?{flags}"
    db = sqlite3.connect(uri, uri=True, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        db.close()
        raise
    return db


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """One clear message for what SQLite refused: a full disk, read-only media, a lock, damage."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"{path} is not a usable optbench store ({exc}). "
            "Move it away or choose another study folder with --out."
        )
    return StoreError(f"Could not use the study store {path} ({exc}). {_advice(path, text)}")


def _advice(path: Path, text: str) -> str:
    if "full" in text or is_nearly_full(path):
        return (
            "The disk is full: free space and run the same command again (every finished "
            "epoch is kept)."
        )
    if "readonly" in text or "read-only" in text or is_read_only(path):
        return (
            "The store is on read-only storage: `optbench show` and `optbench export` read it "
            "there; to run or resume the study, copy its folder to writable storage."
        )
    if "i/o error" in text:  # a write refused below SQLite: a full disk, a file size limit
        return (
            "If the disk is full, free space and run the same command again (every finished "
            "epoch is kept); otherwise check the disk."
        )
    if "locked" in text or "busy" in text:
        return "Another process holds the store: wait for it to finish, then try again."
    return "Check that the file exists and that you may read and write it and its folder."


class _Guarded:
    """The connection, with SQLite's refusals turned into StoreError (see store_error).

    Integrity and programming errors stay what they are: they are bugs, not the user's disk.
    """

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path, self._db = path, db

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc) from exc

    def close(self) -> None:
        self._db.close()


class _Transaction:
    def __init__(self, db: _Guarded) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _decode_trial(row: dict[str, Any]) -> dict[str, Any]:
    row["spec"] = json.loads(row["spec"])
    row["env"] = json.loads(row["env"]) if row["env"] else {}
    return row
