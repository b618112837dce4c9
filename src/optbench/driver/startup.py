"""Start-up: matplotlib's import, which the report needs at the end, taken off the critical
path (~0.4 s). Measured with benchmarks/tricks.py on the README command (AMD EPYC, 5 rounds,
median): switching this off costs 0.53 s (benchmarks/results/tricks.md).

Where no worker is forked after it (one process, a GPU) the import runs in a thread beside the
data's reading, which mostly releases the interpreter lock. Where the pool forks workers, a
fork must not copy a thread midway, so the workers would wait for it: the import then waits
until they have started (the StudyWriter's first event) and delays only this process's own
group, which the hand-off of replicas between epochs evens out (engine/handoff.py).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from optbench.core.specs import StudySpec
from optbench.plots import pyplot


def import_pyplot() -> None:
    """An early import only: if it fails, the report imports it again and reports why."""
    with contextlib.suppress(Exception):
        pyplot()


@contextlib.contextmanager
def pyplot_beside(forks_workers: bool) -> Iterator[None]:
    """Import matplotlib in a thread while the block runs (the data's reading), unless workers
    are forked later; joined before the block's end, so before any fork."""
    if forks_workers:
        yield
        return
    thread = threading.Thread(target=import_pyplot, name="optbench-import-pyplot", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def forks_workers(study: StudySpec, parallel: int) -> bool:
    """Whether the study's trials may train in forked pool workers (engine threads aside:
    see executors/pool.py): on the CPU, more than one at a time, not chained."""
    pooled = study.executor == "local" and not study.reuse_model
    return pooled and study.device == "cpu" and parallel > 1
