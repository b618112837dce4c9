"""`optbench doctor` checks everything knowable before training (issue 19, acceptance 3).

A study file that reproduces the homework's mistakes (`scale = false`, `reuse_model = true`)
must exit 1 and name both; the seed study's own file must exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from diagnose_suite import HAVE_FASHION

from optbench.cli import doctor_cmd
from optbench.core.errors import OptbenchError

STUDIES = Path(__file__).resolve().parents[2] / "studies"
needs_fashion = pytest.mark.skipif(
    not HAVE_FASHION,
    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
)


def run(args: list[str]) -> int:
    """The doctor command on its own Typer app, with the CLI's error → exit-code mapping."""
    app = typer.Typer()
    doctor_cmd.register(app)
    app.command("noop")(lambda: None)  # a second command, so `doctor` is a subcommand
    try:
        app(args=args, standalone_mode=False)
    except OptbenchError as exc:
        print(f"Error: {exc}")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    return 0


@needs_fashion
def test_the_homework_mistakes_exit_1_and_are_both_named(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    assert run(["doctor", str(STUDIES / "homework-mistakes.toml")]) == 1
    out = capsys.readouterr().out
    assert "data.unscaled_inputs" in out and "fairness.reused_model" in out
    assert "Fix:" in out


@needs_fashion
def test_the_seed_study_file_exits_0(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    assert run(["doctor", str(STUDIES / "seed-fashion-mnist.toml")]) == 0
    out = capsys.readouterr().out
    assert "error" not in out.lower().replace("0 head(s) with errors", "")


def test_a_reused_model_on_digits_is_named_before_training(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    study = tmp_path / "hw.toml"
    study.write_text(
        'name = "hw"\nepochs = 1\nreuse_model = true\nprofile = "keras"\n'
        '[dataset]\nname = "digits"\nscale = false\n'
        '[[optimizers]]\nname = "adam"\n[[optimizers]]\nname = "adagrad"\n'
    )
    assert run(["doctor", str(study)]) == 1
    out = capsys.readouterr().out
    assert "fairness.reused_model" in out and "data.unscaled_inputs" in out
    # The first batch's loss is checked too: 0-16 inputs give huge initial logits.
    assert "init.loss_too_high" in out


def test_a_tuning_grid_that_is_too_narrow_is_named(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    study = tmp_path / "tune.toml"
    study.write_text(
        'name = "t"\nepochs = 1\ntune = "lr"\nlr_grid = [0.001, 0.002]\n'
        '[dataset]\nname = "digits"\n[[optimizers]]\nname = "sgd"\n'
    )
    assert run(["doctor", str(study), "--fail-on", "warning"]) == 1
    out = capsys.readouterr().out
    assert "tune.lr_grid_narrow" in out


# -- regression and language-model studies: the data read as the task reads it ---------------

HERE = Path(__file__).resolve().parent


def study_file(
    tmp_path: Path, task: str, loader: str, factory: str, data: str = "", **model: object
) -> Path:
    """A study of `task` on the suite's data loader (its arguments `data`, TOML) and a
    user-written model (its arguments `model`), both by reference."""
    kwargs = ", ".join(f"{k} = {toml(v)}" for k, v in model.items())
    path = tmp_path / f"{task}.toml"
    path.write_text(
        f'name = "{task}"\ntask = "{task}"\nepochs = 1\nbatch_size = 32\nseeds = [0]\n'
        f'[dataset]\nname = "{loader}"\nloader = "{HERE / "suite_data.py"}:{loader}"\n'
        + (f"kwargs = {{ {data} }}\n" if data else "")
        + f'[model]\nfactory = "{HERE / "user_modules.py"}:{factory}"\n'
        + (f"kwargs = {{ {kwargs} }}\n" if kwargs else "")
        + '[[optimizers]]\nname = "adam"\n'
    )
    return path


def toml(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else f'"{value}"'


@pytest.mark.parametrize(
    ("task", "loader", "factory"),
    [
        ("regression", "diabetes", "mlp"),
        ("regression", "diabetes", "residual_regressor"),
        ("language_model", "python_text", "char_transformer"),
        ("language_model", "python_text", "gru_lm"),
    ],
)
def test_healthy_regression_and_language_model_studies_exit_0(
    task, loader, factory, capsys, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    # Before: the data was loaded as classes (diabetes scores as 214 classes: imbalanced and
    # "unrelated"; token sequences refused, exit 2) and the heads checked as classifiers.
    assert run(["doctor", str(study_file(tmp_path, task, loader, factory))]) == 0
    out = capsys.readouterr().out
    assert out.count("— no findings") == 3  # the study, the data and the one model
    assert "0 head(s) with errors, 0 with warnings only" in out


def test_raw_targets_and_a_sigmoid_regression_head_are_named(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    study = study_file(
        tmp_path, "regression", "diabetes", "mlp", data="scale_targets = false", head="sigmoid"
    )
    assert run(["doctor", str(study)]) == 1
    out = capsys.readouterr().out
    assert "data.unscaled_targets" in out and "head.range_mismatch" in out


def test_a_language_model_that_sees_the_future_is_named(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path))
    study = study_file(tmp_path, "language_model", "python_text", "char_transformer", causal=False)
    assert run(["doctor", str(study)]) == 1
    out = capsys.readouterr().out
    assert "model.sees_future" in out and "86 tokens" in out
