"""`optbench landscape` on a fresh Typer app, and through optbench.cli.app.main (exit code 2)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch
import typer
from PIL import Image
from typer.testing import CliRunner

from optbench.cli import landscape_cmd
from optbench.core.errors import ConfigError


def cone(p: torch.Tensor) -> torch.Tensor:
    return (p[0] + 1) ** 2 + (p[1] - 2) ** 2


def fresh_app(with_command: bool = True) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a callback keeps `landscape` a subcommand
        pass

    if with_command:
        landscape_cmd.register(app)
    return app


def invoke(*args: str):
    return CliRunner().invoke(fresh_app(), ["landscape", *args])


def test_table_and_files(tmp_path: Path) -> None:
    result = invoke(
        "--function",
        "rosenbrock",
        "--optimizers",
        "sgd,momentum,adam,rmsprop",
        "--steps",
        "60",
        "--tune-lr",
        "--lr-points",
        "3",
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "lr tuned over 3-point log grid" in result.output and "momentum" in result.output
    for ext in ("png", "gif", "json"):
        assert (tmp_path / f"landscape-rosenbrock.{ext}").stat().st_size > 0
    with Image.open(tmp_path / "landscape-rosenbrock.gif") as im:
        assert im.n_frames <= 60


def test_json_with_hyperparameters_that_contain_commas() -> None:
    result = invoke(
        "-f",
        "beale",
        "-o",
        "adam:lr=0.05,betas=0.9,0.99,sgd:lr=0.01",
        "--steps",
        "30",
        "--format",
        "json",
        "--clip",
        "5",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [r["optimizer"] for r in doc["runs"]] == ["adam", "sgd"]
    assert doc["runs"][0]["spec"]["hparams"]["betas"] == [0.9, 0.99]
    assert doc["clip"] == 5.0 and doc["lr_note"] == "lr given"


def test_user_function_with_start_and_minimum() -> None:
    result = invoke(
        "-f",
        f"{__name__}:cone",
        "--start",
        "2,2",
        "--minimum",
        "-1,2",
        "-o",
        "adam:lr=0.1",
        "--steps",
        "300",
        "--format",
        "markdown",
    )
    assert result.exit_code == 0, result.output
    assert f"{__name__}:cone (f* = 0)" in result.output
    assert "| adam | 0.1 | given |" in result.output


def test_bad_format_is_a_usage_error() -> None:
    result = invoke("--format", "xml")
    assert result.exit_code == 2 and "'xml' is not one of" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-f", "rosenbruck"], "Did you mean 'rosenbrock'?"),
        (["-o", "adamm"], "Did you mean 'adam'"),
        (["--start", "1"], "`--start` must be two numbers"),
        (["--bounds", "1,0,0,1"], "`--bounds` must be 'xmin,xmax,ymin,ymax'"),
        (["--lr-range", "a,b", "--tune-lr"], "`--lr-range` must be comma-separated numbers"),
        (["--steps", "0"], "`steps` must be an integer between 1 and"),
    ],
)
def test_bad_flags_raise_config_error(args: list[str], expected: str) -> None:
    result = invoke(*args)
    assert isinstance(result.exception, ConfigError), result.output
    assert expected in str(result.exception)


def test_main_maps_config_error_to_exit_code_2(monkeypatch, capsys) -> None:
    cli_pkg = importlib.import_module("optbench.cli")
    app_module = importlib.import_module("optbench.cli.app")
    monkeypatch.setattr(app_module, "app", fresh_app(with_command=False))
    monkeypatch.setattr(cli_pkg, "COMMAND_MODULES", [landscape_cmd])
    code = app_module.main(["landscape", "--function", "rosenbruck"])
    assert code == 2
    assert "Did you mean 'rosenbrock'?" in capsys.readouterr().err
