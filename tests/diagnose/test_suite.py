"""The suite: every faulty setup gets a finding that names its cause, early, and that finding
is a root cause (not grouped under another); no healthy setup raises a warning or error."""

from __future__ import annotations

import pytest
from diagnose_suite import FAULTY, HAVE_FASHION, HEALTHY, Setup, describe, run_setup

from optbench.diagnose import CODES, group_findings
from optbench.diagnose.codes import DATA_CODES, MONITOR_CODES


def needs_data(setup: Setup) -> None:
    """Skip a Fashion-MNIST setup when Debian's dataset-fashion-mnist is not installed."""
    if setup.needs_fashion and not HAVE_FASHION:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")


@pytest.mark.parametrize("setup", FAULTY, ids=lambda s: s.name)
def test_faulty_setup_names_its_cause_early(setup: Setup, suite_data) -> None:
    needs_data(setup)
    outcome = run_setup(setup, suite_data)
    epoch = outcome.first_epoch(setup.expect)
    assert epoch is not None, describe(outcome)
    assert epoch <= setup.within, describe(outcome)
    roots = {g.root.code for g in group_findings(outcome.findings)}
    assert setup.expect in roots, describe(outcome)  # the cause, not a symptom under another
    for code in setup.also:
        assert code in outcome.codes(), describe(outcome)


@pytest.mark.parametrize("setup", HEALTHY, ids=lambda s: s.name)
def test_healthy_setup_raises_no_warning_or_error(setup: Setup, suite_data) -> None:
    needs_data(setup)
    outcome = run_setup(setup, suite_data)
    assert outcome.alarms() == [], describe(outcome)
    assert outcome.result.status == "finished"


def test_suite_is_large_enough_and_covers_every_symptom() -> None:
    assert len(FAULTY) >= 40 and len(HEALTHY) >= 20
    names = [s.name for s in FAULTY + HEALTHY]
    assert len(names) == len(set(names))
    expected = {s.expect for s in FAULTY} | {c for s in FAULTY for c in s.also}
    assert {*MONITOR_CODES, *DATA_CODES} <= expected
    assert expected <= set(CODES.names())


def test_suite_spans_tasks_and_user_written_modules() -> None:
    for group in (FAULTY, HEALTHY):
        tasks = {s.task for s in group}
        assert tasks == {"classification", "binary", "regression", "language_model"}
        assert sum(s.user_written for s in group) >= 3
    heads = {s.model.head_activation for s in FAULTY + HEALTHY}
    assert {"linear", "sigmoid", "softmax", "tanh"} <= heads


def test_regression_and_language_models_have_their_own_faults_and_healthy_runs() -> None:
    new_tasks = ("regression", "language_model")
    faulty = [s for s in FAULTY if s.task in new_tasks]
    healthy = [s for s in HEALTHY if s.task in new_tasks]
    assert len(faulty) >= 8 and len(healthy) >= 5
    for task in new_tasks:
        assert (
            sum(s.task == task for s in FAULTY) >= 5 and sum(s.task == task for s in HEALTHY) >= 3
        )
        assert any(s.user_written for s in FAULTY if s.task == task)
        assert any(s.user_written for s in HEALTHY if s.task == task)
    # Models handed over by reference, as a study file does (`[model] factory = …`).
    assert any(s.model.factory for s in FAULTY if s.task == "classification")
    losses = {s.loss for s in HEALTHY if s.task == "regression"}
    assert {"mse", "mae", "huber"} <= losses


def test_healthy_suite_is_varied() -> None:
    optimizers = {s.optimizer.partition(":")[0] for s in HEALTHY}
    activations = {s.model.activation for s in HEALTHY}
    assert len(optimizers) >= 6 and {"adam", "sgd", "rmsprop", "adagrad"} <= optimizers
    assert {s.profile for s in HEALTHY} == {"torch", "keras"}
    assert len({s.dataset.name for s in HEALTHY}) >= 2
    assert len(activations) >= 4
    assert len({s.model.hidden for s in HEALTHY}) >= 4
    assert max(s.epochs for s in HEALTHY) >= 15  # long enough for the overfitting rules to look
