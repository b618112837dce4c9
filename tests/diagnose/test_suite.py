"""The suite: every faulty setup raises its finding early; no healthy setup raises an alarm."""

from __future__ import annotations

import pytest
from diagnose_suite import FAULTY, HAVE_FASHION, HEALTHY, Setup, describe, run_setup

from optbench.diagnose import CODES
from optbench.diagnose.codes import DATA_CODES, MONITOR_CODES


def needs_data(setup: Setup) -> None:
    """Skip a Fashion-MNIST setup when Debian's dataset-fashion-mnist is not installed."""
    if setup.needs_fashion and not HAVE_FASHION:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")


@pytest.mark.parametrize("setup", FAULTY, ids=lambda s: s.name)
def test_faulty_setup_raises_its_finding_early(setup: Setup, suite_data) -> None:
    needs_data(setup)
    outcome = run_setup(setup, suite_data)
    epoch = outcome.first_epoch(setup.expect)
    assert epoch is not None, describe(outcome)
    assert epoch <= setup.within, describe(outcome)


@pytest.mark.parametrize("setup", HEALTHY, ids=lambda s: s.name)
def test_healthy_setup_raises_no_warning_or_error(setup: Setup, suite_data) -> None:
    needs_data(setup)
    outcome = run_setup(setup, suite_data)
    assert outcome.alarms() == [], describe(outcome)
    assert outcome.result.status == "finished"


def test_suite_is_large_enough_and_covers_every_symptom() -> None:
    assert len(FAULTY) >= 20 and len(HEALTHY) >= 10
    names = [s.name for s in FAULTY + HEALTHY]
    assert len(names) == len(set(names))
    expected = {s.expect for s in FAULTY}
    assert expected == {*MONITOR_CODES, *DATA_CODES}
    assert expected <= set(CODES.names())


def test_healthy_suite_is_varied() -> None:
    optimizers = {s.optimizer.partition(":")[0] for s in HEALTHY}
    activations = {s.model.activation for s in HEALTHY}
    assert len(optimizers) >= 6 and {"adam", "sgd", "rmsprop", "adagrad"} <= optimizers
    assert {s.profile for s in HEALTHY} == {"torch", "keras"}
    assert len({s.dataset.name for s in HEALTHY}) >= 2
    assert len(activations) >= 4
    assert len({s.model.hidden for s in HEALTHY}) >= 4
