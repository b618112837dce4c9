"""Start-up: heavy imports (torch and the rest) without the cyclic collector walking them.

Importing torch creates ~190,000 objects, none of them garbage. The cyclic collector would walk
them all several times while they are made (~0.2 s of a 1.4 s start): it is paused meanwhile,
and what the import made then goes straight to its oldest generation (`gc.freeze()` moves every
object aside unexamined, `gc.unfreeze()` puts them back there), which it rarely visits.

`import optbench` and the CLI import nothing heavy until a command needs it (`optbench --help`
answers without torch); whatever first needs the heavy parts imports them inside
`collector_paused()`. Measured gain: 0.32 s
on the README command (benchmarks/results/tricks.md).
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; move what it made to the oldest generation.

    Whether the collector runs, and what a caller froze, are left as they were: with frozen
    objects already present (a caller's own), freeze/unfreeze would release them, so it only
    pauses then.
    """
    collecting, frozen_already = gc.isenabled(), gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        if not frozen_already:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


def import_quietly(name: str) -> ModuleType:
    """`importlib.import_module(name)` inside `collector_paused()`."""
    with collector_paused():
        return importlib.import_module(name)
