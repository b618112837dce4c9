"""The forecast that moves a replica of the driver's group to a pool worker early: now, when
the worker will be free before the group's next epoch end; not when that would only make the
worker finish last; never without the pace of both sides."""

from __future__ import annotations

import pytest

from optbench.executors.forecast import Forecast

OWN_EPOCH = 0.84  # a group of two replicas in the driver (the seed study's, measured)
ALONE_EPOCH = 0.47  # one replica alone in a worker


def forecast(*, own: bool = True, pool: bool = True) -> Forecast:
    """The seed study's shape: the driver trains 2 replicas, the worker 1, 10 epochs each."""
    f = Forecast()
    if own:
        f.own_epoch(1, 10.0)
        f.own_epoch(1, 10.01)  # the group's second replica reports the same epoch
        f.own_epoch(2, 10.0 + OWN_EPOCH)
    if pool:
        f.pool_epoch("w", 7, 10, 9.0, alone=True)
        f.pool_epoch("w", 8, 10, 9.0 + ALONE_EPOCH, alone=True)
    return f


def test_the_pace_comes_from_consecutive_epoch_ends() -> None:
    f = forecast()
    # The worker's trial has 2 epochs left at 0.47 s each after its epoch 8 ended at 9.47.
    assert f.free_at([["w"]]) == pytest.approx(9.0 + ALONE_EPOCH * 3)
    f.pool_epoch("w", 10, 10, 20.0, alone=True)  # an epoch was skipped: no pace from it
    assert f.free_at([["w"]]) is None


def test_a_group_is_free_when_its_slowest_trial_ends_and_the_pool_when_its_first_group_does() -> (
    None
):
    f = Forecast()
    for trial, pace in (("a", 1.0), ("b", 2.0), ("c", 0.5)):
        f.pool_epoch(trial, 1, 5, 0.0, alone=False)
        f.pool_epoch(trial, 2, 5, pace, alone=False)
    # a ends at 1 + 3·1 = 4, b at 2 + 3·2 = 8, c at 0.5 + 3·0.5 = 2.
    assert f.free_at([["a", "b"]]) == pytest.approx(8.0)
    assert f.free_at([["a", "b"], ["c"]]) == pytest.approx(2.0)
    assert f.free_at([["a", "unknown"], ["c"]]) == pytest.approx(2.0)
    assert f.free_at([["unknown"]]) is None


def test_moves_now_when_the_worker_frees_before_the_next_epoch_end() -> None:
    f = forecast()
    now = 20.0
    assert f.move_now(now, live=2, epochs_left=5, free_at=now + 0.1)
    assert f.move_now(now, live=2, epochs_left=5, free_at=now - 1.0)  # idle already


def test_waits_when_the_worker_is_busy_for_longer() -> None:
    f = forecast()
    now = 20.0
    # Free in 2 s: moving now would queue the replica behind 2 s of the worker's own work.
    assert not f.move_now(now, live=2, epochs_left=5, free_at=now + 2.0)


def test_at_the_last_epochs_a_move_must_still_pay_off() -> None:
    f = forecast()
    now = 20.0
    # One epoch left for both replicas (0.84 s together here): moving one to a worker that is
    # free only in 0.5 s ends at 0.97 s, later than keeping it.
    assert not f.move_now(now, live=2, epochs_left=1, free_at=now + 0.5)
    assert f.move_now(now, live=2, epochs_left=1, free_at=now)


def test_never_without_both_paces_or_a_replica_to_spare() -> None:
    now = 20.0
    assert not forecast(own=False).move_now(now, live=2, epochs_left=5, free_at=now)
    assert not forecast().move_now(now, live=2, epochs_left=5, free_at=None)
    assert not forecast().move_now(now, live=1, epochs_left=5, free_at=now)
    assert not forecast().move_now(now, live=2, epochs_left=0, free_at=now)


def test_a_forgotten_trial_has_no_pace() -> None:
    f = forecast()
    f.forget("w")
    assert f.free_at([["w"]]) is None
