"""Running a report's figure jobs on several cores, in forked copies of this process.

matplotlib draws one figure at a time (~0.2 s each for the seed study's: layout, text,
rasterising, PNG), and a report is written after training, when every core is free: with
five figures that is most of the report's time. A forked copy of this process already has
matplotlib imported and the study in memory, so it starts drawing at once (a spawned one
would spend longer importing than drawing). Each helper sends its jobs' results back
through a pipe.

Forking is used only where it is safe: on Linux, from a process with no other thread (a lock
held by another thread at the fork stays locked in the child), and helpers run torch on one
thread (a forked OpenMP pool would hang the first parallel region). A helper that fails leaves its
figures to this process, which then draws them itself, so an error surfaces here, with its
traceback, exactly as in a serial run.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1


def run_forked(
    jobs: Sequence[Callable[[], T]], processes: int, weights: Sequence[float] | None = None
) -> list[T]:
    """Run every job and return their results in order; with `processes` > 1 (and forking
    safe), forked helpers run a share each and send their results back pickled.

    `weights` (the jobs' relative costs) balance the shares; this process takes the
    lightest, as it has the rest of the report to write afterwards.
    """
    shares = _shares(weights or [1.0] * len(jobs), min(processes, len(jobs)))
    if len(shares) <= 1 or not can_fork():
        return [job() for job in jobs]
    _prepare()
    results: list[T] = [None] * len(jobs)  # type: ignore[list-item]  # all filled below
    helpers: dict[int, tuple[list[int], int]] = {}  # pid → (its jobs, read end of its pipe)
    try:
        mine = list(shares[0])
        for share in shares[1:]:
            read, write = os.pipe()
            try:
                pid = _fork()
            except OSError:  # no process to be had (memory, limits): this one draws it
                os.close(read)
                os.close(write)
                mine += share
                continue
            if pid == 0:
                os.close(read)
                _run_share_and_exit([jobs[i] for i in share], write)
            os.close(write)
            helpers[pid] = (share, read)
        for i in mine:
            results[i] = jobs[i]()
    finally:
        sent = [(share, _collect(pid, read)) for pid, (share, read) in helpers.items()]
    for share, share_results in sent:
        # A helper that failed: its share runs here, so an error is raised where it can be
        # reported, with its traceback.
        for n, i in enumerate(share):
            results[i] = share_results[n] if share_results is not None else jobs[i]()
    return results


def _fork() -> int:
    """`os.fork` with Ctrl-C (SIGINT) held back over it. Arriving during a fork, Python raised
    it inside the at-fork hooks, where it was printed as "Exception ignored" and lost: the
    study went on. Held, this process raises it right after, where the CLI turns it into
    exit code 130; a helper lets it in once its own handler is in place."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return pid


def _shares(weights: Sequence[float], count: int) -> list[list[int]]:
    """Job indices in `count` shares of near-equal weight (heaviest job first onto the
    lightest share), lightest share first; empty shares dropped."""
    shares: list[list[int]] = [[] for _ in range(max(1, count))]
    totals = [0.0] * len(shares)
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        lightest = totals.index(min(totals))
        shares[lightest].append(i)
        totals[lightest] += weights[i]
    order = sorted(range(len(shares)), key=lambda k: totals[k])
    return [sorted(shares[k]) for k in order if shares[k]]


def _prepare() -> None:
    """Before forking: flush what is buffered (else both copies would write it), and import
    pyplot once here rather than in every helper."""
    from optbench.plots import pyplot

    sys.stdout.flush()
    sys.stderr.flush()
    pyplot()


def _run_share_and_exit(jobs: Sequence[Callable[[], object]], write: int) -> None:
    """In a helper: run its jobs, send their results, then leave at once (no atexit
    handlers, no flushing of the parent's buffers, nothing closed that the parent uses)."""
    status = 1
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held by _fork
        torch = sys.modules.get("torch")
        if torch is not None:  # a job may run a model (the head figure's setup check)
            # OpenMP's thread pool does not survive a fork: a parallel region here would
            # wait forever for its threads. One thread never enters one.
            torch.set_num_threads(1)
        payload = pickle.dumps([job() for job in jobs])
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        status = 0
    except BaseException:  # the parent re-runs this share and reports what goes wrong
        pass
    finally:
        os._exit(status)


def _collect(pid: int, read: int) -> list | None:
    """A helper's results, or None when it failed."""
    with os.fdopen(read, "rb") as pipe:
        payload = pipe.read()  # before waiting: a full pipe would block the helper
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return pickle.loads(payload)
