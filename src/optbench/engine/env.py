"""The environment a trial ran in, and the thread policy that makes small models fast.

Small models on CPU are bound by per-op overhead, not arithmetic; extra OpenMP threads then
mostly spin and contend (measured: a 784-128-10 MLP step is several times slower with two
threads when the other core is busy). So each trial gets a deliberate thread count.
"""

from __future__ import annotations

import os
import platform

import torch


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def choose_threads(parallel_trials: int = 1) -> int:
    """Threads per trial. One: the models optbench studies are overhead-bound, where one thread
    per trial and one trial per core beats fewer trials with more threads (measured in
    benchmarks/: a second OpenMP thread on the seed MLP slows a step down, badly so when the
    other core is busy). `parallel_trials` is how many trials share the machine; the choice is
    recorded in every trial's environment.
    """
    del parallel_trials  # every trial gets one thread, however many run side by side
    return 1


def describe_env(threads: int, device: str) -> dict[str, object]:
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "threads": threads,
        "cores": available_cores(),
    }
