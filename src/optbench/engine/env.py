"""The environment a trial ran in, and the thread policy that makes small models fast.

Small models on CPU are bound by per-op overhead, not arithmetic: a second OpenMP thread only
pays when a step has enough arithmetic to split, and it costs dearly when the other core is
busy (the threads spin and wait for each other; the plain loop in benchmarks/ runs 3× slower
when another process keeps one core busy). So the driver chooses threads per trial from the
machine (cores idle right now, trials side by side) and the model (work per step), and every
trial records the choice in its environment.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from threadpoolctl import threadpool_limits

# Below this many multiply-accumulates per optimizer step a second thread costs more than it
# gives (measured here: the digits MLP 64-128-10 at batch 64, 0.6 M MACs, is slower with two
# threads; the seed MLP 784-128-10, 6.5 M MACs, is 1.2× faster; a 784-512-512-10 MLP 1.5×).
MIN_MACS_PER_THREAD = 2_000_000
IDLE_SAMPLE_SECONDS = 0.1


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def idle_cores(window: float = IDLE_SAMPLE_SECONDS) -> float:
    """Cores nobody is using right now, this process included: /proc/stat sampled over
    `window` seconds on Linux, else the cores minus the one-minute load average."""
    sample = IdleSample()
    time.sleep(window)
    return sample.idle(count_own=True)


class IdleSample:
    """Idle cores, measured across work this process does itself (reading the dataset).

    Created before that work and read after it: the machine's busy time minus this process's
    own CPU time is what others use. So the measurement costs no waiting of its own, except
    that a window shorter than `IDLE_SAMPLE_SECONDS` is slept out (/proc/stat counts in
    10 ms ticks).
    """

    def __init__(self) -> None:
        self._wall, self._own = time.monotonic(), _own_cpu_seconds()
        self._machine = _cpu_times_or_none()

    def idle(self, count_own: bool = False) -> float:
        """`count_own`: this process's own use counts as load too."""
        rest = IDLE_SAMPLE_SECONDS - (time.monotonic() - self._wall)
        if rest > 0:
            time.sleep(rest)
        cores = available_cores()
        after = _cpu_times_or_none()
        if self._machine is None or after is None:
            try:
                return max(0.0, cores - os.getloadavg()[0])
            except OSError:
                return float(cores)
        busy, total = after[0] - self._machine[0], after[1] - self._machine[1]
        if total <= 0:
            return float(cores)
        wall, own = time.monotonic() - self._wall, _own_cpu_seconds() - self._own
        # /proc/stat counts every CPU of the machine; scale to the cores this process may use.
        machine = os.cpu_count() or cores
        others = busy / total * machine - (0.0 if count_own else own / wall)  # in cores
        return max(0.0, min(float(cores), machine - max(0.0, others)))


def _cpu_times_or_none() -> tuple[int, int] | None:
    try:
        return _cpu_times()
    except (OSError, ValueError, IndexError):
        return None


def _own_cpu_seconds() -> float:
    """CPU time of this process, all its threads (not its children)."""
    times = os.times()
    return times.user + times.system


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from the first line of /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user/nice
    return total - idle, total


@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    reason: str


def choose_threads(parallel_trials: int, macs_per_step: float, idle: float) -> ThreadChoice:
    """Threads per trial (or replica group) when `parallel_trials` run side by side.

    Idle cores are shared out among the trials, but only when a step has the arithmetic to
    use them (`MIN_MACS_PER_THREAD` each); otherwise, and on a busy machine, one thread.
    """
    parallel = max(1, parallel_trials)
    share = round(idle) // parallel
    by_work = int(macs_per_step // MIN_MACS_PER_THREAD)
    threads = max(1, min(share, by_work))
    reason = (
        f"{threads} thread(s) per trial: {parallel} side by side, {idle:.1f} of "
        f"{available_cores()} cores idle at start, {macs_per_step / 1e6:.1f} M MACs per step"
    )
    return ThreadChoice(threads, reason)


def use_threads(threads: int) -> None:
    """Give this process `threads` threads: torch's pool, and the BLAS that numpy and scipy
    bring (OpenBLAS).

    The BLAS matters although trials never train with it: one numpy call on a long vector (a
    TensorBoard histogram's sum of squares, every epoch) wakes its pool of one thread per core,
    and those threads then spin for a while waiting for more work, on the core the other trial
    trains on. Measured on the seed study (2 cores): 11.0 s → 10.1 s end to end.
    """
    torch.set_num_threads(threads)
    threadpool_limits(limits=threads, user_api="blas")


@contextmanager
def threads_restored() -> Iterator[None]:
    """On leaving, this process's thread settings are as they were on entering: a study run
    from a notebook leaves torch and numpy with the threads they had, not a trial's share."""
    threads = torch.get_num_threads()
    with threadpool_limits(limits=None):  # on exit, puts back every pool as it is now
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def describe_env(threads: int, device: str, policy: str = "") -> dict[str, object]:
    env: dict[str, object] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "threads": threads,
        "cores": available_cores(),
    }
    if policy:
        env["thread_policy"] = policy
    return env


def available_memory(device: str = "cpu") -> int:
    """Bytes free for new tensors: the GPU's free memory, or the system's MemAvailable."""
    if device.startswith("cuda"):
        return int(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30  # unknown: assume a modest 4 GiB
