"""Acceptance 3: the seed study's own mistakes produce their findings.

The homework trained one model object through Adam, then Adagrad, then RMSprop, on unscaled
pixels. The static checks name both mistakes; the runtime monitors see the reused model in
the later trials' first loss (far below ln 10: the model starts out trained).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import optbench
from optbench.core.specs import DatasetSpec, EpochRecord, ModelSpec, TrialResult, TrialSpec
from optbench.data import load_dataset
from optbench.diagnose import build_monitors, check_data
from optbench.engine import KeepFinalWeights, TrainOptions, train_trial
from optbench.optim import parse_optimizer

OPTIMIZERS = ("adam", "adagrad", "rmsprop")
UNSCALED = DatasetSpec("digits", scale=False)


def test_one_model_through_three_optimizers_is_caught(tmp_path) -> None:
    data = load_dataset(UNSCALED, tmp_path)
    assert [f.code for f in check_data(data)] == ["data.unscaled_inputs"]
    state, codes = None, {}
    for name in OPTIMIZERS:  # the homework's loop: the same weights go on training
        spec = TrialSpec(
            UNSCALED, ModelSpec(init="keras"), parse_optimizer(name, profile="keras"), 0, 2, 32
        )
        keep = KeepFinalWeights()
        events = list(
            train_trial(
                spec, data, TrainOptions(histogram_freq=0), [keep, *build_monitors()], state
            )
        )
        codes[name] = _codes(events)
        state = keep.state
    assert "init.loss_too_low" not in codes["adam"]
    assert "init.loss_too_low" in codes["adagrad"] and "init.loss_too_low" in codes["rmsprop"]


@pytest.fixture
def monitored_executors() -> Iterator[None]:
    """Attach the monitors the way the executors will (TrainOptions.monitors → build_monitors),
    until they do so themselves; then this fixture changes nothing."""
    local = importlib.import_module("optbench.executors.local")
    base = importlib.import_module("optbench.executors.base")
    if hasattr(local, "build_monitors") or hasattr(base, "build_monitors"):
        yield
        return
    original = local.train_trial

    def with_monitors(spec, data, options, callbacks=(), *args, **kwargs):
        extra = build_monitors(options.stop_on) if options.monitors else []
        return original(spec, data, options, [*callbacks, *extra], *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local, "train_trial", with_monitors)
        yield


def test_homework_study_reports_the_reused_model_at_runtime(tmp_path, monitored_executors):
    raw = {
        "name": "homework",
        "dataset": {"name": "digits", "scale": False},
        "optimizers": list(OPTIMIZERS),
        "profile": "keras",
        "epochs": 2,
        "batch_size": 32,
        "reuse_model": True,
    }
    outcome = optbench.run_study(raw, tmp_path / "hw", cache_dir=tmp_path)
    view = optbench.open_study(outcome.folder)
    labels = {t.row["id"]: t.row["label"] for t in view.trials}
    runtime = {(labels.get(f["trial_id"]), f["code"]) for f in view.findings}
    assert ("adagrad seed=0", "init.loss_too_low") in runtime
    assert ("rmsprop seed=0", "init.loss_too_low") in runtime
    assert ("adam seed=0", "init.loss_too_low") not in runtime
    assert {(None, "data.unscaled_inputs"), (None, "fairness.reused_model")} <= runtime
    report = (outcome.folder / "report.md").read_text()
    assert "init.loss_too_low" in report and "data.unscaled_inputs" in report
    texts = set()
    for run in (outcome.folder / "tb").iterdir():
        events = EventAccumulator(str(run)).Reload()
        texts |= {t for t in events.Tags()["tensors"] if t.startswith("findings")}
    assert texts  # findings are written to TensorBoard as text


def _codes(events: list[object]) -> set[str]:
    found = {f.code for e in events if isinstance(e, EpochRecord) for f in e.findings}
    result = events[-1]
    assert isinstance(result, TrialResult)
    return found | {f.code for f in result.findings}
