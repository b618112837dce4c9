"""A report's figures drawn on two cores: this process and one forked copy of it.

A report is written after training, when every core is free, and most of its time is
matplotlib drawing one figure after another (~0.15 s each). A forked copy already has
matplotlib imported and the study in memory, so it starts drawing at once (a spawned process
would take longer to import matplotlib than to draw). Measured on the README command
(benchmarks/results/tricks.md, AMD EPYC): its five figures 0.73 → 0.43 s; the command 0.32 s
faster (tricks.py, median of 7) and 0.57 s (ab_readme.py against the tree without it); the
63-trial sweep's whole report (25 figures), regenerated in a fresh process, 4.8-5.3 → 2.9-3.1 s.

Both processes take the next figure from one queue, a pipe holding the figures' numbers (a
read of a few bytes from a pipe is atomic), so neither waits while the other has several left.
It forks only where that is safe: on Linux, from a process with no other thread (a lock held
by another thread at the fork would stay locked in the copy). The copy sends back what it
drew; if it fails, this process draws those figures again itself, so an error surfaces here
with its traceback, as in a serial run.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

FigureJob = Callable[[], Path | None]  # draws one figure (a head figure may have none: None)

_NUMBER = struct.Struct("<I")  # a figure's number in the queue
# Numbers written before the fork, at once: 4 KiB, what a pipe holds at the least (Linux gives
# a user over their pipe quota one-page pipes; a write that did not fit would wait forever).
_QUEUED = 1024


def draw_on_two_cores(jobs: Sequence[FigureJob]) -> list[Path | None]:
    """Every job's result, in order; a forked copy of this process draws some of them."""
    forkable = sys.platform == "linux" and threading.active_count() == 1
    if len(jobs) < 2 or len(jobs) > _QUEUED or not forkable:
        return [job() for job in jobs]
    sys.stdout.flush()  # else both processes would write what is buffered
    sys.stderr.flush()
    # Ctrl-C is held back across the fork: one arriving while the fork's handlers run (the
    # logging module's, in both processes) would be "ignored" with a traceback printed, and
    # this process would draw on as if no key had been pressed. It arrives once both are set.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        queue_read, back_read, back_write, pid = _fork_with_queue(len(jobs))
    except OSError:  # no pipe or no process to be had (limits, memory): this one draws all
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return [job() for job in jobs]
    if pid == 0:  # the copy: draw from the queue, send the results, leave without teardown
        os.close(back_read)
        signal.signal(signal.SIGINT, _leave_quietly)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        _draw_and_exit(jobs, queue_read, back_write)
    os.close(back_write)
    results: dict[int, Path | None] = {}
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back: raised here
        for k in _taken(queue_read):
            results[k] = jobs[k]()
    finally:
        os.close(queue_read)
        with os.fdopen(back_read, "rb") as pipe:
            sent = pipe.read()  # before waiting: a full pipe would block the copy
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        results.update(pickle.loads(sent))
    # What the copy drew, or (it failed) everything this process has not: drawn here.
    return [results[k] if k in results else jobs[k]() for k in range(len(jobs))]


def _fork_with_queue(count: int) -> tuple[int, int, int, int]:
    """A queue of the numbers 0..count-1 and a pipe back, then the fork: (the queue's read
    end, the pipe's two ends, the fork's pid); every descriptor closed if anything fails."""
    opened: list[int] = []
    try:
        queue_read, queue_write = os.pipe()
        opened += [queue_read, queue_write]
        os.write(queue_write, b"".join(_NUMBER.pack(k) for k in range(count)))
        os.close(queue_write)  # once the numbers run out, a read returns nothing
        opened.remove(queue_write)
        back_read, back_write = os.pipe()
        opened += [back_read, back_write]
        return queue_read, back_read, back_write, os.fork()
    except OSError:
        for fd in opened:
            os.close(fd)
        raise


def _taken(queue: int) -> Iterator[int]:
    """The figures' numbers this process takes from the queue, until it is empty."""
    while number := os.read(queue, _NUMBER.size):
        yield _NUMBER.unpack(number)[0]


def _leave_quietly(_signum: int, _frame: object) -> None:
    """The copy's Ctrl-C: it ends at once and silently; this process says what happened."""
    os._exit(130)


def _draw_and_exit(jobs: Sequence[FigureJob], queue: int, back: int) -> None:
    status = 1
    try:
        torch = sys.modules.get("torch")
        if torch is not None:  # a head figure may run a model; OpenMP's pool does not
            torch.set_num_threads(1)  # survive a fork, and one thread never enters it
        payload = pickle.dumps({k: jobs[k]() for k in _taken(queue)})
        with os.fdopen(back, "wb") as pipe:
            pipe.write(payload)
        status = 0
    except BaseException:  # this process draws the share again and reports what went wrong
        pass
    finally:
        os._exit(status)
