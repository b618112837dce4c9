"""The chance level and the metric a finding judges by come from the loss and the task."""

from __future__ import annotations

import math

import pytest

from optbench.diagnose import task_for
from optbench.models import LOSSES


def test_classification_chance_is_ln_c_and_one_in_c() -> None:
    task = task_for("cross_entropy", 10)
    assert task.kind == "classification" and task.metric == "accuracy"
    assert math.isclose(task.chance_loss, math.log(10)) and task.chance_metric == 0.1
    assert task.higher_is_better and 0.1 < task.chance_ceiling < 0.2


@pytest.mark.parametrize("loss", ["bce", "bce_logits", "keras_bce"])
def test_binary_losses_are_binary_tasks_at_one_half(loss) -> None:
    task = task_for(loss, 2)
    assert task.kind == "binary" and task.chance_metric == 0.5
    assert math.isclose(task.chance_loss, math.log(2))


def test_two_class_cross_entropy_is_binary() -> None:
    assert task_for("cross_entropy", 2).kind == "binary"


def test_every_registered_loss_has_a_task() -> None:
    for info in LOSSES:
        task = task_for(info.name, 3)
        assert task.metric and task.chance_metric is not None


def test_an_unknown_loss_has_no_chance_loss_but_still_a_metric() -> None:
    task = task_for("my.module:loss", 4)
    assert task.chance_loss is None and task.chance_metric == 0.25


def test_the_gap_is_in_metric_units_and_oriented_train_minus_val() -> None:
    task = task_for("cross_entropy", 10)
    assert math.isclose(task.gap(train=1.0, val=0.73), 0.27)
