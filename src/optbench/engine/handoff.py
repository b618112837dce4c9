"""Moving a replica to another group between two epochs, as if it had never moved.

Three trials on two cores do not split evenly: one process trains two replicas while the
other trains one and then sits idle. An executor balances that by asking the busy group
(`Handoff.request`) to give replicas away: at its next epoch boundary the group lets them go
as `Carried` states, yields a `HandedOff` event for each, and goes on with the rest; the
executor continues each carried replica in the idle worker.

Nothing about a trial's results depends on the move. A Carried holds the replica's checkpoint
(weights, optimizer state, batch order: a resume is bit for bit) and its monitors as they are
(history, findings already raised), so findings come out as in an uninterrupted run. And a
replica's arithmetic does not depend on which replicas share its group: with this machine's
BLAS the numbers are equal bit for bit, for a shared batch and for a batch per replica
(tests/engine/test_handoff.py, tests/e2e/test_pool_handoff.py check it; a BLAS that blocked
its GEMMs by their width could differ in the last bit, as stacked and separate runs may).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from optbench.core.specs import Finding, TrialSpec
from optbench.engine.callbacks import Callback


@dataclass(frozen=True)
class Carried:
    """A replica between two groups: everything needed to continue it."""

    spec: TrialSpec
    checkpoint: bytes  # see engine/checkpoint.py (it holds the epoch it continues after)
    monitors: bytes  # pickled (callbacks, findings so far, how many were already reported)

    @staticmethod
    def pack(
        spec: TrialSpec,
        checkpoint: bytes,
        callbacks: list[Callback],
        findings: list[Finding],
        reported: int,
    ) -> Carried:
        # Pickled as one object so the monitors keep sharing their History on the other side.
        return Carried(spec, checkpoint, pickle.dumps((callbacks, findings, reported)))

    def unpack_monitors(self) -> tuple[list[Callback], list[Finding], int]:
        """Fresh copies every call: a group that is re-run after an error starts clean."""
        callbacks, findings, reported = pickle.loads(self.monitors)
        return callbacks, findings, reported


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
