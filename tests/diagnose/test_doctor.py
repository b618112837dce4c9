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
