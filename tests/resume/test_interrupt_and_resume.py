"""Ctrl-C at random moments of a running study, as a terminal sends it (SIGINT to the whole
process group: the driver and its pool workers): every interrupted run says one line and
exits 130, no worker prints a traceback, and the resumed study equals an uninterrupted one.

The moments are after the study has started training (a row was stored): a Ctrl-C while
Python is still importing torch is the interpreter's, before optbench runs. Eight workers
for six one-trial groups leave two idle, where the traceback used to come from.
"""

from __future__ import annotations

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
name = "interrupt-me"
epochs = 12
batch_size = 32
seeds = [0, 1]
workers = 8
stack = false
optimizers = ["adam", "sgd:lr=0.05", "rmsprop"]

[dataset]
name = "digits"

[model]
name = "mlp"
hidden = [32]
"""
INTERRUPTS = 5
METRICS = "trial_id, epoch, train_loss, train_acc, val_loss, val_acc, lr, grad_norm"

pytestmark = pytest.mark.slow


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _interrupt(study: Path, out: Path, rng: random.Random) -> subprocess.CompletedProcess[str]:
    """Start the study; once a new row lands, wait a random moment and press Ctrl-C."""
    before = _rows(out / "study.sqlite")
    proc = subprocess.Popen(
        [sys.executable, "-m", "optbench", "run", str(study), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and _rows(out / "study.sqlite") <= before:
        assert time.monotonic() < deadline, "no progress for 120 s"
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 0.3))
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def test_ctrl_c_at_random_moments_then_resume(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(STUDY)
    reference = optbench.run_study(study, tmp_path / "reference", cache_dir=tmp_path / "c")
    out, rng = tmp_path / "interrupted", random.Random(21)
    for _ in range(INTERRUPTS):
        done = _interrupt(study, out, rng)
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode == 0:
            break  # it finished first: nothing left to interrupt
        assert done.returncode == 130, done.stderr
        assert "Aborted. Finished epochs are saved" in done.stderr
    finished = subprocess.run(
        [sys.executable, "-m", "optbench", "resume", str(out)], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    db, ref = (
        sqlite3.connect(out / "study.sqlite"),
        sqlite3.connect(reference.folder / "study.sqlite"),
    )
    query = f"SELECT {METRICS} FROM epochs ORDER BY 1, 2"
    assert db.execute(query).fetchall() == ref.execute(query).fetchall()
    digests = "SELECT id, digest FROM trials ORDER BY id"
    assert db.execute(digests).fetchall() == ref.execute(digests).fetchall()
