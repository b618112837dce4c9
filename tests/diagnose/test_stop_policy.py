"""The stop policy (`--stop-on`) and the monitors' switch (`--no-monitors`)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from diagnose_suite import FAULTY, NanAfter, Setup, run_setup

from optbench.core.errors import ConfigError
from optbench.diagnose import build_monitors, resolve_stop_on
from optbench.diagnose.monitors.nan import NAN_SAMPLE_EVERY

SGD_LR10 = next(s for s in FAULTY if s.name == "sgd-lr10-diverges")


@pytest.mark.parametrize(
    ("names", "codes"),
    [
        (["train.nan_loss"], {"train.nan_loss"}),
        (["nan_loss"], {"train.nan_loss"}),
        (["nan"], {"train.nan_loss", "train.nonfinite_grad"}),
        ([" Diverged "], {"train.diverged"}),
        (["nan", "diverged"], {"train.nan_loss", "train.nonfinite_grad", "train.diverged"}),
        (["overfitting", "grad.exploding"], {"val.overfitting", "grad.exploding"}),
        ([], set()),
    ],
)
def test_stop_on_accepts_codes_short_forms_and_aliases(names, codes) -> None:
    assert resolve_stop_on(names) == codes


def test_unknown_stop_codes_are_all_reported_with_suggestions() -> None:
    with pytest.raises(ConfigError) as info:
        build_monitors(["diverge", "nan_los"])
    text = str(info.value)
    assert "'diverge'" in text and "Did you mean 'diverged'" in text
    assert "'nan_los'" in text and "nan_loss" in text


def test_stop_on_diverged_ends_the_trial_in_its_first_epoch(suite_data) -> None:
    outcome = run_setup(replace(SGD_LR10, stop_on=("nan", "diverged")), suite_data)
    assert outcome.result.status == "stopped"
    assert outcome.result.error == "train.diverged"
    assert len(outcome.records) == 1


def test_without_a_stop_policy_a_diverged_trial_goes_on(suite_data) -> None:
    outcome = run_setup(SGD_LR10, suite_data)  # default policy: stop on NaN only
    assert "train.diverged" in outcome.codes()
    assert outcome.result.status == "finished"
    assert len(outcome.records) == SGD_LR10.epochs


def test_nan_monitor_stops_mid_epoch_and_reports_once(suite_data) -> None:
    setup = Setup("nan-after-20", "train.nan_loss", module=NanAfter, epochs=3)
    outcome = run_setup(setup, suite_data)
    nan = [f for f in outcome.findings if f.code == "train.nan_loss"]
    assert len(nan) == 1  # the engine's epoch-end guard does not repeat it
    step = int(re.search(r"at step (\d+)", nan[0].message).group(1))
    assert 21 <= step <= 21 + NAN_SAMPLE_EVERY  # found within one sampling period
    assert outcome.result.status == "stopped" and len(outcome.records) == 1


def test_no_monitors_leaves_only_the_engine_guard(suite_data) -> None:
    quiet = run_setup(SGD_LR10, suite_data, monitors=False)
    assert quiet.codes() == set()
    nan = run_setup(
        next(s for s in FAULTY if s.name == "module-emits-nan"), suite_data, monitors=False
    )
    assert nan.codes() == {"train.nan_loss"}  # the last-resort guard stays
