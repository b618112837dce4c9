"""Moving a replica to another group between two epochs, as if it had never moved.

Three trials on two cores do not split evenly: one process trains two replicas while the
other trains one and then sits idle. An executor balances that by asking the busy group
(`Handoff.request`) to give replicas away: at its next epoch boundary the group lets them go
as `Carried` states, yields a `HandedOff` event for each, and goes on with the rest; the
executor continues each carried replica in the idle worker.

Nothing about a trial's results depends on the move. A Carried holds the replica's checkpoint:
weights, optimizer state, batch order, random stream and its monitors as they are (history,
findings already raised), so a moved trial ends with the numbers and findings of one that
stayed. And a replica's arithmetic never depends on which replicas share its group
(engine/group_step.py; tests/engine/test_reproducible.py checks it on the seed's shape).

Measured gain on the README command (benchmarks/results/tricks.md): 2.10 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from optbench.core.specs import TrialSpec


@dataclass(frozen=True)
class Carried:
    """A replica between two groups: everything needed to continue it."""

    spec: TrialSpec
    checkpoint: bytes  # see engine/checkpoint.py (the epoch it continues after, its monitors)


@dataclass(frozen=True)
class HandedOff:
    """Event: `carried` left its group; the executor continues it in another one."""

    carried: Carried

    @property
    def trial_id(self) -> str:
        return self.carried.spec.id


class Handoff:
    """How an executor asks a running group to give replicas away at its next epoch end."""

    def __init__(self) -> None:
        self._wanted = 0

    def request(self, replicas: int) -> None:
        """Ask for up to `replicas` (a standing request; asking again does not add up)."""
        self._wanted = max(self._wanted, replicas)

    def take(self, live: int) -> int:
        """How many of a group's `live` replicas to give away now (it always keeps one)."""
        given = max(0, min(self._wanted, live - 1))
        self._wanted = 0
        return given
