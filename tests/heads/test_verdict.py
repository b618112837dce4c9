"""verdict(): one label per finished trial, from its epoch metrics alone."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optbench.diagnose.verdict import LABELS, verdict


def epochs(train_loss, train_acc, val_loss=None, val_acc=None):
    val_loss = val_loss or train_loss
    val_acc = val_acc or train_acc
    return [
        {"epoch": i + 1, "train/loss": tl, "train/acc": ta, "val/loss": vl, "val/acc": va}
        for i, (tl, ta, vl, va) in enumerate(
            zip(train_loss, train_acc, val_loss, val_acc, strict=True)
        )
    ]


def test_learns():
    label, text = verdict(epochs([0.6, 0.4, 0.3], [0.7, 0.82, 0.86]), 2)
    assert label == "learns" and "best 0.8600 in epoch 3" in text and "Unstable" not in text


def test_a_learning_run_that_keeps_collapsing_says_so():
    # 2 × tanh under Adam: learns, collapses to chance, partly recovers (seed-heads-adam)
    train = [2.35, 0.75, 1.83, 1.13, 1.27, 0.66, 1.80, 2.27, 1.11, 1.18]
    val = [0.83, 0.82, 0.83, 0.82, 0.77, 0.83, 0.5, 0.81, 0.84, 0.5]
    label, text = verdict(epochs(train, val), 2)
    assert label == "learns"
    assert "fell back to chance in epoch(s) 7, 10" in text and "1.8× its lowest" in text


def test_stuck_at_chance_with_a_moving_loss_is_the_seeds_single_unit_softmax():
    # tf.keras: loss from the cached logit falls, the softmax output stays 1.0
    label, text = verdict(epochs([0.41, 0.40, 0.39], [0.5, 0.5, 0.5]), 2)
    assert label == "stuck at chance"
    assert "exactly 0.5000" in text and "still moved" in text


def test_loss_frozen_is_the_seeds_tanh_head():
    label, text = verdict(epochs([2.1, 7.6685, 7.6685, 7.6685], [0.6, 0.5, 0.5, 0.5]), 2)
    assert label == "loss frozen" and "7.6685 from epoch 2 to 4" in text and "no gradient" in text


def test_a_loss_that_jumps_and_then_freezes_is_frozen_not_diverged():
    run = epochs([0.508, 6.81, *[7.6895] * 8], [0.81, 0.54, *[0.5] * 8])
    label, text = verdict(run, 2)
    assert label == "loss frozen" and "from epoch 3 to 10" in text and "collapsed" in text


def test_frozen_takes_precedence_over_chance_and_says_both():
    label, text = verdict(epochs([7.6666] * 3, [0.5] * 3), 2)
    assert label == "loss frozen" and "exactly 0.5000" in text


def test_converged_to_zero_is_not_frozen():
    assert verdict(epochs([1e-4, 1e-4, 1e-4], [1.0, 1.0, 1.0]), 2)[0] == "learns"


@pytest.mark.parametrize(
    "losses", [[0.7, math.nan, math.nan], [0.7, math.inf, 0.5], [0.5, 2.0, 9.0]]
)
def test_diverged(losses):
    assert verdict(epochs(losses, [0.6, 0.5, 0.5]), 2)[0] == "diverged"


def test_chance_uses_the_majority_share_when_given():
    run = epochs([0.6, 0.59, 0.58], [0.7, 0.7, 0.7])
    assert verdict(run, 2)[0] == "learns"
    assert verdict(run, 2, chance=0.7)[0] == "stuck at chance"


def test_accepts_engine_field_names_and_empty_runs():
    rows = [{"epoch": 1, "train_loss": 0.5, "train_acc": 0.9, "val_loss": 0.5, "val_acc": 0.9}]
    assert verdict(rows, 2)[0] == "learns"
    assert verdict([], 2)[0] == "not run"


finite = st.floats(min_value=0.011, max_value=50, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=8), st.integers(2, 10))
def test_constant_chance_accuracy_is_never_learning(losses, classes):
    run = epochs(losses, [1 / classes] * len(losses))
    label, text = verdict(run, classes)
    assert label in LABELS and label != "learns" and text
