"""Diagnosis on every task (issue 19: "the chance level and the metrics come from the task").

Regression is judged by R² against predicting the training mean, a language model by its
per-token loss against the unigram entropy of its targets; classification rules (accuracy at
chance, half of ln C as "still high") must not fire on them. The curves below are the suite's
own measured runs (tests/diagnose/diagnose_suite.py), fed through the real monitors.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from curves import codes, context, feed
from suite_data import python_text

from optbench.diagnose import task_for
from optbench.diagnose.history import History
from optbench.diagnose.monitors.divergence import DivergenceMonitor
from optbench.diagnose.task import chance_from_batch
from optbench.engine.batches import BatchOrder

NAN = math.nan
# Standardised diabetes targets of one probe batch (mean ≈ 0, variance ≈ 1).
TARGETS = torch.linspace(-1.7, 1.7, 32)
# The probe batch the engine takes of the suite's text for seed 0: 32 sequences of 32
# characters of Python source (86 characters, ln V = 4.45; the unigram entropy of the whole
# training text is 2.97 nats).
TEXT = python_text()
VOCAB = int(TEXT["vocab_size"])
TOKENS = torch.from_numpy(TEXT["y_train"])[next(BatchOrder(len(TEXT["y_train"]), 32, 0).epoch())]


def r2(train: list[float], val: list[float]) -> list[dict[str, float]]:
    return [{"train/r2": a, "val/r2": b} for a, b in zip(train, val, strict=True)]


# -- the chance levels ----------------------------------------------------------------------


def test_regression_chance_is_the_best_constant_prediction() -> None:
    y = torch.tensor([1.0, 2.0, 3.0, 10.0])
    chance, initial = chance_from_batch("regression", y, 0, F.mse_loss)
    assert math.isclose(chance, float(y.var(unbiased=False)), rel_tol=1e-6)  # the mean's MSE
    assert math.isclose(initial, float((y**2).mean()), rel_tol=1e-6)  # outputs of 0
    chance, _ = chance_from_batch("regression", y, 0, F.l1_loss)
    # MAE: the median (2, torch's lower median) beats the mean (4): |1-2|+0+1+8 = 10 → 2.5
    assert math.isclose(chance, 2.5, rel_tol=1e-6)


def test_language_model_chance_is_the_unigram_entropy_and_the_start_ln_v() -> None:
    tokens = torch.tensor([[0, 0, 1, 2], [0, 0, 1, 3]])  # shares 1/2, 1/4, 1/8, 1/8
    chance, initial = chance_from_batch("language_model", tokens, 50, None)
    assert math.isclose(chance, 1.75 * math.log(2), rel_tol=1e-6)
    assert math.isclose(initial, math.log(50))
    task = task_for("cross_entropy", 50, "language_model", chance_loss=chance)
    assert task.metric == "loss" and task.at_chance(chance) and not task.at_chance(0.5 * chance)


def test_regression_is_judged_by_r2_and_its_gap() -> None:
    task = task_for("mse", 0, "regression", chance_loss=0.9)
    assert task.metric == "r2" and task.higher_is_better and task.chance_metric == 0
    assert task.at_chance(0.01) and task.at_chance(-0.3) and not task.at_chance(0.3)
    assert math.isclose(task.gap(train=0.95, val=0.25), 0.7) and task.gap_threshold == 0.2


# -- classification rules stay off healthy regression and language-model runs ---------------

# regression-user-residual-adam, as measured: converged at R² ≈ 0.55 (a loss of half the
# variance), the loss moving by under 1% an epoch from epoch 8.
RESIDUAL = dict(
    train_loss=[0.684, 0.539, 0.511, 0.509, 0.478, 0.468, 0.469, 0.449, 0.446, 0.451, 0.446, 0.428],
    val_loss=[0.548, 0.533, 0.506, 0.514, 0.492, 0.503, 0.512, 0.509, 0.492, 0.479, 0.486, 0.499],
    r2_train=[0.316, 0.461, 0.489, 0.491, 0.522, 0.532, 0.531, 0.551, 0.554, 0.55, 0.554, 0.572],
    r2_val=[0.454, 0.469, 0.495, 0.488, 0.509, 0.499, 0.489, 0.493, 0.51, 0.522, 0.516, 0.503],
)


def test_a_converged_regression_is_not_stuck() -> None:
    c = RESIDUAL
    n = len(c["train_loss"])
    found = feed(
        c["train_loss"], [NAN] * n, c["val_loss"], [NAN] * n, first=0.779, loss="mse",
        classes=0, task="regression", probe_y=TARGETS, metrics=r2(c["r2_train"], c["r2_val"]),
    )  # fmt: skip
    assert codes(found) == []  # before: train.not_decreasing (a loss above half the first)


def test_a_plateau_below_the_unigram_entropy_is_not_stuck() -> None:
    # A small character model that has learned what the previous character says (2.4 nats,
    # 0.82 of the unigram entropy, 0.54 of ln V) and stays there.
    losses = [3.1, 2.6, 2.45, 2.42, 2.41, 2.405, 2.40, 2.40]
    found = feed(
        losses, [0.4] * 8, [v + 0.05 for v in losses], [0.4] * 8, first=4.45, classes=VOCAB,
        task="language_model", probe_y=TOKENS,
    )  # fmt: skip
    assert codes(found) == []


# -- at chance, per task ----------------------------------------------------------------------


def test_a_regression_no_better_than_the_mean_is_at_chance() -> None:
    # regression-shuffled-targets (SGD, lr 0.01), as measured.
    train = [1.032, 1.015, 1.006, 1.002, 0.999, 0.993, 0.998]
    val = [1.064, 0.973, 1.005, 1.037, 0.965, 1.087, 1.191]
    found = feed(
        train, [NAN] * 7, val, [NAN] * 7, first=1.08, loss="mse", classes=0, task="regression",
        probe_y=TARGETS,
        metrics=r2([-0.032, -0.015, -0.006, -0.002, 0.001, 0.007, 0.002],
                   [-0.061, 0.03, -0.002, -0.034, 0.038, -0.083, -0.187]),
    )  # fmt: skip
    (stuck,) = [f for f in found if f.code == "train.at_chance"]
    assert "R²" in stuck.message and "training mean" in stuck.message
    assert "train.acc_at_chance" not in codes(found)


def test_a_language_model_at_the_unigram_entropy_is_at_chance() -> None:
    # lm-shuffled-targets, as measured: the token frequencies learned in epoch 1, then nothing.
    train = [3.2799, 2.9770, 2.9744, 2.9727, 2.9727, 2.9711]
    val = [3.0193, 3.0132, 3.0151, 3.0278, 3.0106, 3.0137]
    found = feed(
        train, [0.3] * 6, val, [0.27] * 6, first=4.68, classes=VOCAB, task="language_model",
        probe_y=TOKENS,
    )  # fmt: skip
    (stuck,) = [f for f in found if f.code == "train.at_chance"]
    assert "unigram entropy" in stuck.message


# -- overfitting in the task's metric ---------------------------------------------------------


def test_a_memorised_regression_is_overfitting() -> None:
    # regression-60-patients-memorised, as measured: train R² → 0.78, validation 0.35; the
    # validation loss climbs (before: nothing, the rules wanted a finite accuracy).
    train = [0.685, 0.436, 0.316, 0.290, 0.233, 0.202]
    val = [0.538, 0.582, 0.671, 0.722, 0.662, 0.654]
    found = feed(
        train, [NAN] * 6, val, [NAN] * 6, first=0.84, loss="mse", classes=0, task="regression",
        probe_y=TARGETS,
        metrics=r2(
            [0.247, 0.521, 0.653, 0.682, 0.744, 0.778], [0.464, 0.42, 0.331, 0.28, 0.34, 0.348]
        ),
    )  # fmt: skip
    (found,) = [f for f in found if f.code == "val.overfitting"]
    assert found.epoch == 4 and "Best epoch: 1 (validation loss 0.538, R² 0.464)" in found.message


def test_a_regression_gap_in_r2_is_overfitting_though_val_loss_only_wobbles() -> None:
    # Made up in the shape of the run above, with a validation loss that never climbs 5%
    # above its best: the training R² pulls 0.3-0.6 ahead of the validation R².
    train = [0.70, 0.45, 0.32, 0.25, 0.19, 0.14, 0.10, 0.07]
    val = [0.60, 0.55, 0.56, 0.57, 0.555, 0.565, 0.56, 0.57]
    r2_train, r2_val = [1 - v for v in train], [0.4, 0.45, 0.44, 0.43, 0.445, 0.435, 0.44, 0.43]
    assert max(val[1:]) < 1.05 * min(val)
    found = feed(
        train, [NAN] * 8, val, [NAN] * 8, first=0.84, loss="mse", classes=0, task="regression",
        probe_y=TARGETS, metrics=r2(r2_train, r2_val),
    )  # fmt: skip
    (found,) = [f for f in found if f.code == "val.overfitting"]
    assert found.epoch <= 7 and "of R²" in found.message


def test_a_memorising_language_model_is_overfitting_by_its_gap_in_nats() -> None:
    # lm-48-sequences-memorised, as measured: validation loss 0.8-1.1 nats above training,
    # wobbling below the 5% rise that Prechelt's rule needs until epoch 14.
    train = [4.234, 3.063, 2.738, 2.484, 2.303, 2.163, 2.027, 1.909, 1.798, 1.678]
    val = [3.056, 2.963, 2.857, 2.776, 2.726, 2.692, 2.685, 2.726, 2.756, 2.757]
    found = feed(
        train, [0.3] * 10, val, [0.3] * 10, first=4.46, classes=VOCAB, task="language_model",
        probe_y=TOKENS,
    )  # fmt: skip
    (found,) = [f for f in found if f.code == "val.overfitting"]
    assert found.epoch == 9 and "nats per token" in found.message


# -- the start and divergence -------------------------------------------------------------------


def test_a_trained_regressor_is_caught_at_the_start_and_an_untrained_one_is_not() -> None:
    kw = dict(loss="mse", classes=0, task="regression", probe_y=TARGETS)
    fresh = 1.05 * float((TARGETS**2).mean())
    assert codes(feed([1.0], [NAN], [1.0], [NAN], first=fresh, metrics=r2([0], [0]), **kw)) == []
    trained = 0.5 * float(TARGETS.var(unbiased=False))
    found = feed([1.0], [NAN], [1.0], [NAN], first=trained, metrics=r2([0], [0]), **kw)
    assert "init.loss_too_low" in codes(found)


@pytest.mark.parametrize(("factor", "diverged"), [(4.0, False), (25.0, True)])
def test_a_regression_batch_must_be_far_above_the_start_to_count_as_divergence(
    factor, diverged
) -> None:
    # A batch of 32 diabetes targets reaches 2.5 × the first batch's loss in healthy runs.
    ctx = context(0, "mse", "regression", TARGETS)
    history = History()
    history.on_trial_start(ctx, 1.0)
    monitor = DivergenceMonitor(history)
    found = monitor.on_step_end(ctx, torch.tensor(factor * history.reference))
    assert bool(found) is diverged
