"""Your model, your data, your task: user factories, loaders and losses train through the same
engine as the built-ins — every task's metrics, and the reproducibility invariant (a replica's
numbers do not depend on its group; a resume continues exactly, dropout included)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import optbench
from optbench.core.errors import ConfigError, DataError
from optbench.core.specs import EpochRecord, TrialResult
from optbench.data import load_dataset
from optbench.engine import TrainOptions, train_group, train_trial
from optbench.plan import expand

HERE = Path(__file__).parent
CODE = HERE / "user_code.py"


def ref(name: str) -> str:
    return f"{CODE}:{name}"


def study(task="classification", model="mlp", loader="blobs", loss=None, **extra):
    raw = {
        "name": "user",
        "task": task,
        "dataset": {"loader": ref(loader)},
        "model": {"factory": ref(model)},
        "optimizers": ["adam:lr=0.01", "sgd:lr=0.05"],
        "epochs": 3,
        "batch_size": 32,
        **extra,
    }
    if loss:
        raw["loss"] = loss
    return optbench.parse_study(raw)


def data_of(spec, cache):
    return load_dataset(spec.dataset, cache, task=spec.task)


def records(events):
    out: dict[str, list[tuple]] = {}
    for e in events:
        if isinstance(e, EpochRecord):
            row = (
                e.epoch,
                repr(e.train_loss),
                repr(e.val_loss),
                repr(e.val_acc),
                repr(sorted(e.metrics.items())),
            )
            out.setdefault(e.trial_id, []).append(row)
        elif isinstance(e, TrialResult):
            out.setdefault(e.trial_id, []).append((e.status, e.final_fingerprint))
    return out


def test_a_factory_model_trains_on_a_loader_classification(tmp_path):
    spec = study(model="mlp")
    data = data_of(spec, tmp_path)
    assert data.num_outputs == 3 and data.task == "classification"
    trial = expand(spec)[0]
    events = list(train_trial(trial, data, TrainOptions(histogram_freq=0)))
    epochs = [e for e in events if isinstance(e, EpochRecord)]
    assert len(epochs) == 3 and epochs[-1].val_acc > 0.9  # the blobs are easy
    assert epochs[-1].train_loss < epochs[0].train_loss


def test_regression_reports_r2_and_mae_not_accuracy(tmp_path):
    spec = study(task="regression", loader="line", epochs=8)
    data = data_of(spec, tmp_path)
    assert data.num_outputs == 1 and data.train.y.dtype == torch.float32
    trial = expand(spec)[0]
    last = [e for e in train_trial(trial, data) if isinstance(e, EpochRecord)][-1]
    assert math.isnan(last.val_acc) and math.isnan(last.train_acc)
    assert set(last.metrics) == {"train/r2", "train/mae", "val/r2", "val/mae"}
    assert last.metrics["val/r2"] > 0.5  # a line is learnable
    # R² as defined: 1 - SSE/SST over the validation split, with the model's predictions.


def test_a_user_loss_by_reference(tmp_path):
    spec = study(task="regression", loader="line", loss=ref("half_mse"))
    assert spec.loss.endswith("user_code.py:half_mse") and spec.loss_source
    data = data_of(spec, tmp_path)
    trial = expand(spec)[0]
    a = [e for e in train_trial(trial, data) if isinstance(e, EpochRecord)]
    mse = [e for e in train_trial(replace(trial, loss="mse"), data) if isinstance(e, EpochRecord)]
    assert a[0].val_loss == pytest.approx(0.5 * mse[0].val_loss, rel=0.3)  # half of an MSE


def test_language_model_reports_perplexity(tmp_path):
    spec = study(task="language_model", model="tiny_lm", loader="tokens", epochs=4)
    data = data_of(spec, tmp_path)
    assert data.num_outputs == 11 and data.train.x.dtype == torch.int64
    trial = expand(spec)[0]
    last = [e for e in train_trial(trial, data) if isinstance(e, EpochRecord)][-1]
    assert last.metrics["val/perplexity"] == pytest.approx(math.exp(last.val_loss))
    assert last.metrics["val/perplexity"] < 11  # better than a uniform guess over 11 tokens
    assert 0 <= last.val_acc <= 1  # next-token accuracy


def test_binary_task_has_one_output_and_accuracy(tmp_path):
    spec = study(task="binary", loader="binary_blobs")
    data = data_of(spec, tmp_path)
    assert data.num_outputs == 1 and spec.loss == "bce_logits"
    last = [e for e in train_trial(expand(spec)[0], data) if isinstance(e, EpochRecord)][-1]
    assert last.val_acc > 0.9


@pytest.mark.parametrize("loader", ["blobs", "blobs_dict", "blobs_datasets"])
def test_a_loader_may_return_arrays_a_dict_or_torch_datasets(tmp_path, loader):
    data = data_of(study(loader=loader), tmp_path)
    assert data.train.x.dtype == torch.float32 and data.train.y.dtype == torch.int64
    assert data.input_shape == (5,) and data.num_classes == 3


def test_dropout_draws_from_each_replicas_own_stream(tmp_path):
    """A replica with dropout computes the same alone and in a group: each draws from its own
    random stream, never from its neighbours' or from what ran before in the process."""
    spec = study(model="dropout_mlp", seeds=[0, 1])
    data = data_of(spec, tmp_path)
    trials = expand(spec)
    options = TrainOptions(histogram_freq=0)
    together = records(train_group(trials, data, options))
    torch.manual_seed(12345)  # whatever the process's global generator holds
    for trial in trials:
        assert records(train_trial(trial, data, options))[trial.id] == together[trial.id]


def test_a_resume_continues_dropout_exactly(tmp_path):
    spec = study(model="tiny_lm", task="language_model", loader="tokens")
    data = data_of(spec, tmp_path)
    trial = expand(spec)[0]
    events = list(train_trial(trial, data, TrainOptions(histogram_freq=0)))
    first = next(e for e in events if isinstance(e, EpochRecord) and e.epoch == 1)
    resumed = list(
        train_trial(trial, data, TrainOptions(histogram_freq=0), resume=first.checkpoint)
    )
    assert records(resumed)[trial.id] == records(events)[trial.id][1:]


def test_an_edited_model_file_makes_new_trials(tmp_path):
    source = tmp_path / "nets.py"
    source.write_text(CODE.read_text())
    raw = {"name": "x", "dataset": {"loader": ref("blobs")}, "optimizers": ["adam"],
           "model": {"factory": f"{source}:mlp"}}  # fmt: skip
    before = expand(optbench.parse_study(raw))[0].id
    source.write_text(CODE.read_text() + "\n# an edit\n")
    after = expand(optbench.parse_study(raw))[0].id
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "nets.py").write_text(CODE.read_text() + "\n# an edit\n")
    there = expand(optbench.parse_study({**raw, "model": {"factory": f"{moved}/nets.py:mlp"}}))
    assert before != after and there[0].id == after  # the content counts, not the place


def test_factory_arguments_reach_the_factory(tmp_path):
    spec = study(model="mlp")
    wide = optbench.parse_study(
        {
            "name": "w",
            "dataset": {"loader": ref("blobs")},
            "optimizers": ["adam"],
            "model": {"factory": ref("mlp"), "kwargs": {"width": 40}},
        }
    )
    data = data_of(spec, tmp_path)
    from optbench.models import build_model

    model = build_model(wide.model, data.input_shape, data.num_outputs, seed=0)
    assert model[1].out_features == 40


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("raises", "The model factory raised RuntimeError: no GPU found"),
        ("not_a_module", "returned str, not a torch.nn.Module"),
        ("NOT_CALLABLE", "is not callable"),
    ],
)
def test_a_bad_factory_is_one_clear_error(tmp_path, model, message):
    spec = study(model=model)
    data = data_of(spec, tmp_path)
    from optbench.models import build_model

    with pytest.raises(ConfigError, match=message):
        build_model(spec.model, data.input_shape, data.num_outputs, seed=0)


@pytest.mark.parametrize(
    ("loader", "task", "message"),
    [
        ("loader_raises", "classification", "raised FileNotFoundError"),
        ("returns_string", "classification", "returned str"),
        ("wrong_lengths", "classification", "x_train has 300 examples but y_train has 295"),
        ("nan_inputs", "classification", "x_train holds NaN"),
        ("labels_outside_classes", "classification", "labels outside the classes 0..2"),
        ("text_labels", "classification", "not numbers"),
        ("fractional_labels", "classification", "holds fractions"),
        ("float_tokens", "language_model", "must hold integer token ids"),
        ("empty_test", "classification", "the test split is empty"),
        ("shape_mismatch", "classification", "both splits need one shape"),
        ("blobs", "binary", "a binary task takes labels 0 and 1"),
    ],
)
def test_a_bad_loader_is_one_clear_error(tmp_path, loader, task, message):
    spec = study(loader=loader, task=task, model="mlp")
    with pytest.raises(DataError, match=message):
        data_of(spec, tmp_path)
