"""A pool worker never outlives the driver that started it.

If the driver dies without shutting its pool down (SIGKILL, the OOM killer), its workers
would otherwise train on for nothing, and a forked worker holds the driver's copy of the study
folder's lock, so rerunning the study was refused ("Another optbench process is running…")
until they finished. Two guards, both set up first thing in each worker:

* on Linux, the kernel kills the worker the moment its parent dies (PR_SET_PDEATHSIG);
* everywhere, a watchdog thread notices the parent has changed (the worker was re-parented)
  within WATCH_SECONDS and leaves at once, without the interpreter's teardown.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

WATCH_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when `parent_pid` (its parent) ends."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # it died before the guard was set
        os._exit(1)
    watchdog = threading.Thread(
        target=_watch, args=(parent_pid,), name="optbench-lifeline", daemon=True
    )
    watchdog.start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def leave_quietly_on_ctrl_c() -> None:
    """End this worker at once, without a traceback, when Ctrl-C reaches it.

    A terminal sends Ctrl-C (SIGINT) to the whole process group: the driver turns it into
    one line and exit code 130, but each worker printed a KeyboardInterrupt traceback
    (`tests/resume/test_interrupt_and_resume.py`). What the worker had sent is kept; the
    rest resumes from its checkpoint, as after a kill.
    """
    signal.signal(signal.SIGINT, _leave)


def _leave(_signum: int, _frame: object) -> None:
    os._exit(130)
