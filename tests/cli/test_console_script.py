"""The console script (`optbench`, `python -m optbench`) leaves without the interpreter's
teardown: everything it printed and wrote must still be complete, and its exit code right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _optbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "optbench", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_a_study_prints_and_writes_everything_before_it_exits(tmp_path: Path) -> None:
    done = _optbench(
        "compare", "--dataset", "digits", "--optimizers", "adam,sgd", "--epochs", "2",
        "--workers", "2", "--out", "study", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    last = done.stdout.rstrip().splitlines()[-1]
    assert last.startswith("TensorBoard: tensorboard --logdir"), done.stdout  # flushed
    html = (tmp_path / "study" / "report.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    assert not list((tmp_path / "study").rglob("*.tmp"))


def test_bad_input_still_exits_2(tmp_path: Path) -> None:
    done = _optbench("compare", "--dataset", "digits", "--optimizers", "adamm", cwd=tmp_path)
    assert done.returncode == 2
    assert "adamm" in done.stderr and "Traceback" not in done.stderr
