"""Fault injection: SIGKILL a running study at random points, resume it, compare.

Acceptance (issue "Nothing lost"): >= 10 random SIGKILLs across a 12-trial study; the resumed
study's store holds exactly one row per trial per epoch, and its metrics, digests and findings
equal an uninterrupted run's (the monitors travel in the checkpoints: a resumed trial used to
get a false `train.diverged` against a first loss of NaN).
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import optbench

STUDY = """
name = "kill-me"
epochs = 15
batch_size = 32
seeds = [0, 1, 2]
workers = 1
optimizers = ["adam", "sgd:lr=0.05", "rmsprop", "adagrad:lr=0.05"]

[dataset]
name = "digits"

[model]
name = "mlp"
hidden = [32]
"""
KILLS = 10
METRICS = "trial_id, epoch, train_loss, train_acc, val_loss, val_acc, lr, grad_norm"
FINDINGS = "SELECT trial_id, epoch, code, severity, message FROM findings ORDER BY 1, 2, 3, 5"


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def _run_until_killed(study: Path, out: Path, rng: random.Random) -> bool:
    """Start the study and SIGKILL it at a random point: mostly just after new epoch rows
    land (in the middle of the next epoch, or while the driver is still writing rows and
    checkpoints), sometimes blindly during start-up. True if it was killed."""
    before = _rows(out / "study.sqlite")
    blind = rng.random() < 0.2
    wanted = before + (10**9 if blind else 1)
    blind_deadline = time.monotonic() + rng.uniform(0.5, 3.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "optbench", "run", str(study), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and _rows(out / "study.sqlite") < wanted:
        if blind and time.monotonic() > blind_deadline:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("study made no progress for 120 s")
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 0.1))
    if proc.poll() is not None:
        assert proc.returncode == 0, proc.stderr.read().decode()
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def test_sigkill_and_resume_matches_uninterrupted(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(STUDY)
    reference = optbench.run_study(study, tmp_path / "reference", cache_dir=tmp_path / "c")
    assert reference.finished == 12

    out, rng, kills = tmp_path / "killed", random.Random(20261127), 0
    while kills < KILLS:
        assert _run_until_killed(study, out, rng), "the study finished before 10 kills"
        kills += 1
    finished = subprocess.run(
        [sys.executable, "-m", "optbench", "resume", str(out)], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr

    db = sqlite3.connect(out / "study.sqlite")
    counts = db.execute("SELECT trial_id, epoch, COUNT(*) FROM epochs GROUP BY 1, 2").fetchall()
    assert len(counts) == 12 * 15 and {n for *_, n in counts} == {1}
    assert db.execute("SELECT DISTINCT status FROM trials").fetchall() == [("finished",)]
    got = db.execute(f"SELECT {METRICS} FROM epochs ORDER BY 1, 2").fetchall()
    ref = sqlite3.connect(tmp_path / "reference" / "study.sqlite")
    assert got == ref.execute(f"SELECT {METRICS} FROM epochs ORDER BY 1, 2").fetchall()
    final = "SELECT id, final_fingerprint, digest FROM trials ORDER BY id"
    assert db.execute(final).fetchall() == ref.execute(final).fetchall()
    assert db.execute(FINDINGS).fetchall() == ref.execute(FINDINGS).fetchall()
