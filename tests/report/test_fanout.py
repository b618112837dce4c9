"""run_forked: a report's figure jobs shared out over forked helpers, results in order."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from optbench.report.fanout import _shares, run_forked


def _pid_and(value: int):
    return lambda: (os.getpid(), value)


def test_results_come_back_in_order_from_every_process() -> None:
    jobs = [_pid_and(i) for i in range(7)]
    results = run_forked(jobs, processes=3, weights=[5, 1, 1, 2, 1, 3, 1])
    assert [value for _, value in results] == list(range(7))
    pids = {pid for pid, _ in results}
    assert os.getpid() in pids and len(pids) == 3  # this process and two forked helpers


def test_serial_when_another_thread_is_alive() -> None:
    # A lock held by another thread at the fork would stay locked in the child: no fork.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = run_forked([_pid_and(i) for i in range(4)], processes=2)
    finally:
        stop.set()
        other.join()
    assert results == [(os.getpid(), i) for i in range(4)]


def test_a_failing_helper_share_runs_here_and_raises_here(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    def fails_in_helpers() -> int:
        if not marker.exists():  # only the first run (the helper's) fails
            marker.write_text(str(os.getpid()))
            raise ValueError("cannot draw")
        return 2

    # The heavier job goes to the helper; this process takes the lighter share.
    results = run_forked([lambda: 1, fails_in_helpers], processes=2, weights=[1, 2])
    assert results == [1, 2]
    assert int(marker.read_text()) != os.getpid()  # it failed in the helper first

    def always_fails() -> int:
        raise ValueError("cannot draw")

    with pytest.raises(ValueError, match="cannot draw"):  # the real error, raised here
        run_forked([lambda: 1, always_fails], processes=2)


def test_shares_are_balanced_and_lightest_first() -> None:
    shares = _shares([4, 2, 2, 2, 2], 2)  # the seed study: overlay, strips, three groups
    totals = [sum([4, 2, 2, 2, 2][i] for i in share) for share in shares]
    assert sorted(i for s in shares for i in s) == [0, 1, 2, 3, 4]
    assert totals == sorted(totals) and max(totals) - min(totals) <= 2
    assert _shares([1, 1], 5) == [[0], [1]]  # no empty shares


HELPER_RUNS_TORCH = """
import torch
from optbench.report.fanout import run_forked

torch.set_num_threads(2)
torch.ones(2048, 2048) @ torch.ones(2048, 2048)  # this process's OpenMP pool is now running

def conv():
    x = torch.ones(8, 3, 64, 64)
    return float(torch.nn.functional.conv2d(x, torch.ones(16, 3, 3, 3)).sum())

print(run_forked([conv, conv], processes=2))
"""


def test_a_helper_runs_torch_after_this_process_ran_openmp() -> None:
    # The head figure runs a model in a helper; a forked OpenMP pool would hang it.
    done = subprocess.run(
        [sys.executable, "-c", HELPER_RUNS_TORCH], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[13284864.0, 13284864.0]"


def test_no_process_to_fork_means_this_one_runs_everything(monkeypatch) -> None:
    def cannot_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", cannot_fork)
    assert run_forked([_pid_and(i) for i in range(4)], processes=2) == [
        (os.getpid(), i) for i in range(4)
    ]
