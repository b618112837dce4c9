"""Disk full while a study writes: one clear error, exit code 2, finished epochs kept.

The disk is "filled" with RLIMIT_FSIZE in a child process: any write past the limit fails
with EFBIG, exactly where a full disk fails with ENOSPC.
"""

import resource
import signal
import sqlite3
import subprocess
import sys


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, don't kill the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))


def test_disk_full_is_a_clear_error_and_loses_nothing(tmp_path):
    out = tmp_path / "study"
    cmd = [
        sys.executable,
        "-m",
        "optbench",
        "compare",
        "--dataset",
        "digits",
        "--optimizers",
        "adam,sgd",
        "--epochs",
        "30",
        "--batch-size",
        "64",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=_limit_file_size)
    assert proc.returncode == 2, proc.stderr
    assert "free space and run the same command again" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(out.rglob("*.tmp"))  # no half-written file left behind
    rows = sqlite3.connect(out / "study.sqlite").execute("SELECT COUNT(*) FROM epochs")
    kept = rows.fetchone()[0]
    assert kept > 0  # what was finished before the disk filled is still there
    resumed = subprocess.run(cmd, capture_output=True, text=True)  # space is back
    assert resumed.returncode == 0, resumed.stderr
    total = (
        sqlite3.connect(out / "study.sqlite")
        .execute("SELECT COUNT(*), COUNT(DISTINCT trial_id || '/' || epoch) FROM epochs")
        .fetchone()
    )
    assert total == (60, 60)
