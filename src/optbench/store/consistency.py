"""Checks of a store against itself before a study resumes from it.

A trial counts as done only when its stored epochs are all there: epochs 1..N for a finished
trial (N = its spec's epochs), 1..k without a gap for one a stop rule ended. A store that says
"finished" over missing rows (a store restored from a backup beside newer checkpoints, rows
lost to a power cut) would otherwise be skipped forever, its last stored epoch called final.
"""

from __future__ import annotations

from optbench.core.specs import TrialSpec
from optbench.store.sqlite import Store


def complete_ids(store: Store, trials: list[TrialSpec]) -> set[str]:
    """Ids of `trials` the store holds a whole result for (see the module docstring)."""
    done = store.finished_ids()
    spans = store.epoch_spans()
    status = store.statuses()
    complete = set()
    for trial in trials:
        if trial.id not in done:
            continue
        count, last = spans.get(trial.id, (0, 0))
        whole = count == last  # epochs 1..last, none missing
        if whole and (status[trial.id] == "stopped" or last == trial.epochs):
            complete.add(trial.id)
    return complete
