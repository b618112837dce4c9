"""draw_on_two_cores: a report's figures drawn by this process and a forked copy, results in
order, the same files as one process draws, and every failure drawn again here."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from synthetic import build_study

from optbench.api import open_study
from optbench.report import figures, write_reports
from optbench.report.fanout import draw_on_two_cores


def _pid_and(value: int, seconds: float = 0.0):
    def job():
        time.sleep(seconds)  # long enough that the copy takes some jobs before they run out
        return os.getpid(), value

    return job


def test_results_in_order_and_both_processes_draw() -> None:
    results = draw_on_two_cores([_pid_and(i, 0.05) for i in range(8)])
    assert [value for _, value in results] == list(range(8))
    pids = {pid for pid, _ in results}
    assert os.getpid() in pids and len(pids) == 2  # this process and its forked copy


def test_serial_when_another_thread_is_alive() -> None:
    # A lock held by another thread at the fork would stay locked in the copy: no fork.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = draw_on_two_cores([_pid_and(i) for i in range(4)])
    finally:
        stop.set()
        other.join()
    assert results == [(os.getpid(), i) for i in range(4)]


def test_what_the_copy_failed_to_draw_is_drawn_here(tmp_path: Path) -> None:
    here = os.getpid()

    def fails_in_the_copy() -> int:
        if os.getpid() != here:
            raise ValueError("cannot draw")
        return 7

    def dies_in_the_copy() -> int:
        if os.getpid() != here:
            os._exit(3)  # a crash: nothing sent back
        return 8

    for job, value in ((fails_in_the_copy, 7), (dies_in_the_copy, 8)):
        jobs = [_pid_and(0, 0.2), job, _pid_and(2), _pid_and(3)]  # this process is busy first
        results = draw_on_two_cores(jobs)
        assert results[1] == value  # drawn again here
        assert [r[1] for r in (results[0], results[2], results[3])] == [0, 2, 3]


def test_an_error_is_raised_here_with_its_own_message() -> None:
    def always_fails() -> int:
        raise ValueError("cannot draw figure 2")

    with pytest.raises(ValueError, match="cannot draw figure 2"):
        draw_on_two_cores([_pid_and(0, 0.1), always_fails, _pid_and(2)])


def test_the_report_draws_the_same_files_as_one_process(tmp_path: Path, monkeypatch) -> None:
    two = write_reports(open_study(build_study(tmp_path / "two")), tmp_path / "two")
    monkeypatch.setattr(figures, "draw_on_two_cores", lambda jobs: [job() for job in jobs])
    one = write_reports(open_study(build_study(tmp_path / "one")), tmp_path / "one")
    assert [p.name for p in two.figures] == [p.name for p in one.figures]
    assert len(one.figures) >= 6
    for a, b in zip(two.figures, one.figures, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert two.html.read_text() == one.html.read_text()


COPY_RUNS_TORCH = """
import torch
from optbench.report.fanout import draw_on_two_cores

torch.set_num_threads(2)
torch.ones(2048, 2048) @ torch.ones(2048, 2048)  # this process's OpenMP pool is now running

def conv():
    x = torch.ones(8, 3, 64, 64)
    return float(torch.nn.functional.conv2d(x, torch.ones(16, 3, 3, 3)).sum())

print(draw_on_two_cores([conv, conv, conv]))
"""


def test_the_copy_runs_torch_after_this_process_ran_openmp() -> None:
    # The head figure runs a model, maybe in the copy; a forked OpenMP pool would hang it.
    done = subprocess.run(
        [sys.executable, "-c", COPY_RUNS_TORCH], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[13284864.0, 13284864.0, 13284864.0]"


def test_no_process_to_fork_means_this_one_draws_everything(monkeypatch) -> None:
    def cannot_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", cannot_fork)
    before = len(os.listdir("/proc/self/fd"))
    assert draw_on_two_cores([_pid_and(i) for i in range(4)]) == [
        (os.getpid(), i) for i in range(4)
    ]
    assert len(os.listdir("/proc/self/fd")) == before  # no pipe left open


def test_more_figures_than_a_pipe_surely_holds_are_drawn_here() -> None:
    # Their numbers are written before the fork; a pipe may hold one page (1,024 numbers).
    results = draw_on_two_cores([_pid_and(i) for i in range(1025)])
    assert results == [(os.getpid(), i) for i in range(1025)]


CTRL_C_DURING_FORK = """
import os, signal, sys
from optbench.report.fanout import draw_on_two_cores

def ctrl_c():  # Ctrl-C reaching each process while its fork handlers run
    os.kill(os.getpid(), signal.SIGINT)
    sum(range(1000))  # Python code, where a KeyboardInterrupt would be raised

os.register_at_fork(after_in_child=ctrl_c, after_in_parent=ctrl_c)
try:
    draw_on_two_cores([lambda: None, lambda: None, lambda: None])
except KeyboardInterrupt:
    print("interrupted")
else:
    print("drew on")
"""


def test_ctrl_c_during_the_fork_interrupts_quietly():
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_DURING_FORK], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "interrupted", (done.stdout, done.stderr)
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr
