"""The environment a trial ran in, its numerics configuration, and the thread rule.

A trial's numbers depend on its spec and on its *numerics configuration* only: the device, the
step path (compiled or autograd), the update path (an optimizer's native kernel, or its plain
rule), the dtype, torch's version (and the BLAS it ships), the CPU (or GPU) and the build of
optbench's compiled code where any of it runs. `numerics()` records exactly those, in every
trial's environment; `optbench verify` compares them before it compares numbers.

Threads are not in that list because they never vary: a training process uses **one** torch
thread on the CPU, always. A GEMM or a fused optimizer kernel split over two threads can round
differently from one thread (measured here: 4.5e-8 on the seed MLP's weights after 200 steps),
and a thread count chosen from the machine's load would make results depend on the load. Small
models are overhead-bound anyway: two one-thread trials on two cores beat one two-thread trial
(see benchmarks/), so the cores are used by trials side by side.
"""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

THREADS = 1  # torch threads of every training process on the CPU (see above)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


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


def describe_env(
    threads: int, device: str, policy: str = "", step: str = "", update: str = "plain"
) -> dict[str, object]:
    env: dict[str, object] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "threads": threads,
        "cores": available_cores(),
        "numerics": numerics(device, step, threads, update),
    }
    if policy:
        env["thread_policy"] = policy
    return env


def numerics(
    device: str, step: str, threads: int = THREADS, update: str = "plain"
) -> dict[str, object]:
    """What a trial's numbers may depend on besides its spec (see the module's docstring).

    `step`: "native" (the compiled MLP group step) or "autograd"; `update`: "native" (the
    optimizer's native kernel, optim/native_update.py) or "plain" (its Python rule or torch's
    kernels). Either native one brings the build of the compiled code (`native_build`).
    """
    kind = torch.device(device).type
    config: dict[str, object] = {
        "device": kind,
        "step": step,
        "update": update,
        "dtype": "float32",
        "torch": torch.__version__,
        "threads": threads,
        "cpu": cpu_name(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    if kind == "cuda":
        config["gpu"] = torch.cuda.get_device_name(torch.device(device))
        config["cuda"] = torch.version.cuda
    if "native" in (step, update):
        from optbench import native  # its key names the compiled code's build

        config["native_build"] = native.build_key()
    return config


@functools.cache
def cpu_name() -> str:
    """The CPU's vendor and model, as the kernel reports them (`AMD EPYC`, `Intel(R) Xeon…`)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache
def shared_cache() -> tuple[int, int]:
    """The CPU's last-level cache as Linux reports it: (bytes, how many CPUs share it);
    (0, 1) where it does not say (another OS, a VM that hides it)."""
    best = (0, 1)
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            if (index / "type").read_text().strip() == "Instruction":
                continue
            size = _cache_bytes((index / "size").read_text().strip())
            sharers = _cpu_count((index / "shared_cpu_list").read_text().strip())
        except (OSError, ValueError):
            continue
        best = max(best, (size, sharers))
    return best


def _cache_bytes(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)


def _cpu_count(cpu_list: str) -> int:
    """CPUs in a list like `0-3,8-11`."""
    count = 0
    for part in cpu_list.split(","):
        first, _, last = part.partition("-")
        count += int(last or first) - int(first) + 1
    return count


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
