"""When to move a replica of the driver's group to a pool worker: forecast both finishes.

A replica moves between two epochs of its group (engine/handoff.py). Moving one only once a
worker has gone idle leaves that core waiting for the group's next epoch end: half a group
epoch on average, 0.44 s in the seed study. Moving it shortly before the worker frees up
costs nothing (the driver's core goes on with the replicas it kept), and moving it too early
makes the worker the last to finish. So at each epoch end of its group the driver compares
the forecast end of the study for a move now and for one at the next epoch end, from the
measured pace of both sides, and moves a replica now only if that ends sooner.

The forecast needs each side's pace: the driver's group's from its own epoch ends, a worker's
from when its epochs were sent (executors/channel.py stamps them). Until both are known,
replicas move only to a worker that is already idle.

Measured gain on the README command (benchmarks/results/tricks.md): 0.39 s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class _Pace:
    epoch: int  # the last epoch the trial ended
    ended_at: float  # when it ended (time.monotonic())
    epochs: int  # how many the trial trains
    alone: bool  # the only trial of its worker's group
    seconds: float | None = None  # between its last two epoch ends

    def end(self) -> float | None:
        """When its last epoch will end, at this pace."""
        if self.seconds is None:
            return None
        return self.ended_at + (self.epochs - self.epoch) * self.seconds


class Forecast:
    """The pace of the driver's group and of the pool's trials, from their epoch ends."""

    def __init__(self) -> None:
        self._pool: dict[str, _Pace] = {}
        self._own_epoch = 0
        self._own_ended_at: float | None = None
        self._own_seconds: float | None = None  # the driver's group's last whole epoch

    def own_epoch(self, epoch: int, at: float) -> None:
        """An epoch of the driver's group ended (its replicas report it one after another)."""
        if epoch != self._own_epoch:
            if self._own_ended_at is not None and epoch == self._own_epoch + 1:
                self._own_seconds = at - self._own_ended_at
            self._own_epoch, self._own_ended_at = epoch, at

    def pool_epoch(self, trial_id: str, epoch: int, epochs: int, at: float, alone: bool) -> None:
        """A pool trial ended `epoch` of `epochs` at `at` (when its worker sent it); `alone`:
        it is the only trial of its worker's group."""
        last = self._pool.get(trial_id)
        seconds = at - last.ended_at if last and epoch == last.epoch + 1 else None
        self._pool[trial_id] = _Pace(epoch, at, epochs, alone, seconds)

    def forget(self, trial_id: str) -> None:
        """The trial ended, or moved: its pace from here on is measured anew."""
        self._pool.pop(trial_id, None)

    def free_at(self, groups: Iterable[Iterable[str]]) -> float | None:
        """When the first of the pool's running `groups` (trial ids per worker) ends; None
        if no group's pace is known yet."""
        ends = []
        for group in groups:
            trial_ends = [pace.end() if (pace := self._pool.get(t)) else None for t in group]
            if trial_ends and None not in trial_ends:
                ends.append(max(e for e in trial_ends if e is not None))
        return min(ends) if ends else None

    def move_now(self, now: float, live: int, epochs_left: int, free_at: float | None) -> bool:
        """Whether moving one of the driver group's `live` replicas at this epoch end, with
        `epochs_left` epochs to go, ends the study sooner than moving it at the next one."""
        if free_at is None or self._own_seconds is None or live < 2 or epochs_left < 1:
            return False
        per_replica = self._own_seconds / live
        alone = self._alone_seconds(per_replica)

        def group(n: int) -> float:  # an epoch of a group of n replicas
            return alone if n == 1 else n * per_replica

        now_end = max(
            now + epochs_left * group(live - 1),  # the driver, with the replicas it keeps
            max(free_at, now) + epochs_left * alone,  # the worker, with the one it gets
        )
        next_boundary = now + group(live)
        if epochs_left == 1:  # no later move: the group ends at its next epoch end
            return now_end < max(next_boundary, free_at)
        later_end = max(
            next_boundary + (epochs_left - 1) * group(live - 1),
            max(free_at, next_boundary) + (epochs_left - 1) * alone,
        )
        return now_end < later_end

    def _alone_seconds(self, per_replica: float) -> float:
        """An epoch of one replica alone: as a pool trial alone in its worker runs, where one
        does (a replica in a group shares its overheads and runs a little faster)."""
        alone = [p.seconds for p in self._pool.values() if p.alone and p.seconds is not None]
        return min(alone) if alone else per_replica
