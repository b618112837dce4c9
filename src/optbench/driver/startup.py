"""The process around a study: matplotlib's import, which the report needs at the end, taken
off the critical path (~0.4 s), and the garbage collector kept off what lives throughout
(`collector_skips_what_lives_now`). Measured with benchmarks/tricks.py on the README command
(AMD EPYC, 5 rounds, median): switching the import off costs 0.53 s
(benchmarks/results/tricks.md).

Where no worker is forked after it (one process, a GPU) the import runs in a thread beside the
data's reading, which mostly releases the interpreter lock. Where the pool forks workers, a
fork must not copy a thread midway, so the workers would wait for it: the import then waits
until they have started (the StudyWriter's first event) and delays only this process's own
group, which the hand-off of replicas between epochs evens out (engine/handoff.py).
"""

from __future__ import annotations

import contextlib
import gc
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


@contextlib.contextmanager
def collector_skips_what_lives_now() -> Iterator[None]:
    """Everything alive now (torch, matplotlib, the dataset) lives through the study: the
    cyclic collector leaves it aside meanwhile (a full collection walked it for ~0.18 s during
    the report), and forked workers share its memory pages instead of copying the ones the
    collector would write to (the gc module's advice for fork). Put back after, for a caller
    that goes on; a caller's own frozen objects are left as they are. Measured gain: 0.24 s
    on the README command, under the 0.3 s rule, but the three tricks that fell under it cost
    5.2 % together, over the 5 % the command may lose (benchmarks/results/tricks.md)."""
    owned = gc.get_freeze_count() == 0
    if owned:
        gc.freeze()
    try:
        yield
    finally:
        if owned:
            gc.unfreeze()
