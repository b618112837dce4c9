"""The report revises a stuck verdict by the trial's own task: R² for regression, not
accuracy (which a regression trial does not have)."""

from __future__ import annotations

from optbench.report.diagnosis import diagnose_trials
from optbench.report.view import StudyView, TrialView


def _view(task: str | None, val: dict[int, dict[str, float]]) -> StudyView:
    spec = {"loss": "mse", "task": task} if task else {"loss": "cross_entropy"}
    epochs = [
        {"epoch": e, "train/loss": loss, **val[e]} for e, loss in ((1, 1.0), (2, 0.6), (3, 0.3))
    ]
    trial = TrialView(
        {"id": "t1", "optimizer": "adam", "seed": 0, "spec": spec, "status": "finished"}, epochs
    )
    stuck = {
        "code": "train.loss_frozen",
        "severity": "warning",
        "message": "frozen",
        "fix": "",
        "trial_id": "t1",
        "epoch": 1,
    }
    return StudyView("s", {}, {"num_classes": 0 if task else 10}, [trial], [stuck])


def test_a_regression_trial_that_recovers_has_its_stuck_verdict_revised_by_r2() -> None:
    view = _view("regression", {1: {"val/r2": 0.0}, 2: {"val/r2": 0.5}, 3: {"val/r2": 0.8}})
    (group,) = diagnose_trials(view)["t1"].groups
    assert group.revised is not None and "R²" in group.revised


def test_a_regression_trial_still_at_the_mean_keeps_its_verdict() -> None:
    view = _view("regression", {1: {"val/r2": 0.0}, 2: {"val/r2": 0.01}, 3: {"val/r2": 0.02}})
    (group,) = diagnose_trials(view)["t1"].groups
    assert group.revised is None


def test_a_classification_trial_is_revised_by_accuracy() -> None:
    view = _view(None, {1: {"val/acc": 0.1}, 2: {"val/acc": 0.6}, 3: {"val/acc": 0.9}})
    (group,) = diagnose_trials(view)["t1"].groups
    assert group.revised is not None and "accuracy" in group.revised
