"""`optbench.compare(...)`: the notebook form — callables or references for the model, the
data and the loss; a result with the task's metrics as a tidy frame, a summary and the figure."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from torch import nn

import optbench
from optbench.core.errors import ConfigError

CODE = Path(__file__).with_name("user_code.py")


def build(input_shape, num_outputs, width=8):
    """A factory defined in this (importable) test module."""
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], width), nn.ReLU(),
                         nn.Linear(width, num_outputs))  # fmt: skip


def test_compare_with_references_returns_a_tidy_frame(tmp_path):
    result = optbench.compare(
        model=f"{CODE}:mlp",
        data=f"{CODE}:line",
        task="regression",
        optimizers=["adam:lr=0.01", "sgd:lr=0.05"],
        epochs=3,
        seeds=[0, 1],
        batch_size=32,
        out=tmp_path / "study",
        cache_dir=tmp_path,
    )
    frame = result.to_pandas()
    assert len(frame) == 2 * 2 * 3  # trials × epochs
    for column in ("optimizer", "seed", "epoch", "train/loss", "val/loss", "val/r2", "val/mae"):
        assert column in frame.columns
    assert "val/acc" not in frame.columns  # regression has no accuracy
    assert frame["val/r2"].notna().all()
    summary = result.summary()
    assert [row["optimizer"] for row in summary] == ["adam(lr=0.01)", "sgd(lr=0.05)"]
    assert all(row["ranked_by"] == "val/r2" and row["finished"] == 2 for row in summary)
    low, high = summary[0]["val/r2 ci"]
    assert low <= summary[0]["val/r2"] <= high
    assert result.plot().is_file() and result.report.is_file()
    assert "Test R²" in result.report.read_text()


def test_compare_with_python_functions(tmp_path):
    result = optbench.compare(
        model=build,
        data=lambda: __import__("user_code").blobs(),  # a notebook's closure
        optimizers=["adam:lr=0.01"],
        epochs=2,
        out=tmp_path / "study",
        cache_dir=tmp_path,
    )
    frame = result.to_pandas()
    assert len(frame) == 2 and frame["val/acc"].iloc[-1] > 0.5
    assert result.outcome.finished == 1


@pytest.mark.slow  # a fresh interpreter or a spawned worker
def test_an_object_cannot_travel_to_a_spawned_worker(tmp_path, monkeypatch):
    """A function handed over as an object exists in this process only: a study whose workers
    are spawned says how to pass it instead (a reference)."""
    from optbench.executors import pool

    monkeypatch.setattr(pool, "start_method", lambda request: "spawn")
    result = optbench.compare(
        model=lambda shape, outputs: build(shape, outputs),
        data=f"{CODE}:blobs",
        optimizers=["adam", "sgd"],
        epochs=1,
        workers=2,
        out=tmp_path / "study",
        cache_dir=tmp_path,
    )
    rows = result.view().trials
    failed = [t for t in rows if t.row["status"] == "failed"]
    assert failed and all("Give it as 'module:name'" in t.row["error"] for t in failed)


def test_to_pandas_without_pandas_says_how_to_get_it(tmp_path, monkeypatch):
    result = optbench.compare(
        model=f"{CODE}:mlp", data=f"{CODE}:blobs", optimizers=["adam"], epochs=1,
        out=tmp_path / "study", cache_dir=tmp_path,
    )  # fmt: skip
    import builtins

    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(optbench.OptbenchError, match="pip install pandas"):
        result.to_pandas()
    assert result.summary()  # plain data, no pandas needed


def test_a_bad_task_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="`task` must be one of"):
        optbench.compare(model=build, data=f"{CODE}:blobs", task="ranking", out=tmp_path)


def test_perplexity_has_no_overflow():
    from optbench.models import TASKS

    metrics = TASKS.get("language_model").finish([10.0, 1e5, 3.0])
    assert math.isfinite(metrics["perplexity"])


def test_paths_may_be_strings_as_a_notebook_writes_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = {"name": "strings", "dataset": "digits", "optimizers": ["adam"], "epochs": 1}
    outcome = optbench.run_study(study, "runs/strings", cache_dir="cache")
    assert outcome.folder == Path("runs/strings") and outcome.report.is_file()
    assert optbench.report("runs/strings").is_file()
    assert [c.verdict for c in optbench.verify("runs/strings", cache_dir="cache")] == ["match"]
    result = optbench.compare(data="digits", optimizers=["sgd"], epochs=1, out="runs/c",
                              cache_dir="cache")  # fmt: skip
    assert result.report.is_file()
