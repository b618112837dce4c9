"""Monitors work unchanged on replica groups (trials of one architecture trained together).

Each replica keeps its own nn.Module, gradients and monitors inside the group's one step, so
a broken replica is diagnosed and its healthy neighbours are not.
"""

from __future__ import annotations

from dataclasses import replace

from diagnose_suite import DIGITS, FAULTY, HEALTHY, trial_spec

from optbench.core.specs import EpochRecord, TrialResult
from optbench.diagnose import build_monitors
from optbench.engine import TrainOptions, can_group, train_group


def test_a_diverging_replica_is_diagnosed_and_its_neighbours_are_not(digits) -> None:
    healthy = next(s for s in HEALTHY if s.name == "digits-adam-relu")
    faulty = next(s for s in FAULTY if s.name == "sgd-lr10-diverges")
    specs = [trial_spec(replace(s, dataset=DIGITS, epochs=3)) for s in (healthy, faulty)]
    assert all(can_group(s) for s in specs)
    events = list(
        train_group(
            specs,
            digits,
            TrainOptions(histogram_freq=0),
            callbacks_for=lambda spec: build_monitors(),
        )
    )
    found: dict[str, set[tuple[str, str]]] = {s.id: set() for s in specs}
    for event in events:
        if isinstance(event, EpochRecord | TrialResult):
            found[event.trial_id] |= {(f.code, f.severity) for f in event.findings}
    assert not any(sev in ("warning", "error") for _, sev in found[specs[0].id])
    assert ("train.diverged", "error") in found[specs[1].id]
