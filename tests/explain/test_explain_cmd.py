"""`optbench explain` on a fresh Typer app, and through optbench.cli.app.main (exit code 2)."""

from __future__ import annotations

import importlib

import pytest
import typer
from typer.testing import CliRunner

from optbench.cli import explain_cmd
from optbench.core.errors import ConfigError


def fresh_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a callback keeps `explain` a subcommand
        pass

    explain_cmd.register(app)
    return app


def invoke(*args: str):
    return CliRunner().invoke(fresh_app(), ["explain", *args])


def test_no_arguments_show_the_seed_example() -> None:
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "Seed HW2 Q2" in result.output and "0.880797" in result.output
    assert "illegible" in result.output


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_formats(fmt: str) -> None:
    result = invoke("--example", "seed-q2", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert ("## Step 2" if fmt == "markdown" else r"\subsection*{Step 2}") in result.output


def test_own_neuron_with_negative_numbers() -> None:
    result = invoke(
        "--x",
        "-1,2",
        "--w",
        "2,1",
        "--b",
        "-2",
        "--y",
        "1",
        "--loss",
        "bce",
        "--lr",
        "0.1",
        "--steps",
        "2",
        "--format",
        "markdown",
    )
    assert result.exit_code == 0, result.output
    row = "| **Forward pass** | z | w₁·x₁ + w₂·x₂ + b | 2·(−1) + 1·2 + (−2) | −2 |"
    assert row in result.output
    assert "## Step 2" in result.output


def test_hidden_layer_from_flags() -> None:
    result = invoke(
        "--x",
        "1,-2",
        "--hidden-w",
        "0.5,-0.3;0.2,0.8",
        "--hidden-b",
        "0.1,-0.1",
        "--w",
        "1.5,-1",
        "--hidden-activation",
        "relu",
        "--format",
        "markdown",
    )
    assert result.exit_code == 0, result.output
    assert "h = max(0, u)" in result.output and "∂L/∂V₂,₂" in result.output


def test_bad_format_is_a_usage_error() -> None:
    result = invoke("--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--x", "1,a", "--w", "1,2"], "`--x` must be comma-separated numbers"),
        (["--x", "1,2"], "`--w` must be given"),
        (["--x", "1,2", "--w", "1,2", "--lr", "-0.1"], "`lr` must be > 0. Received: lr=-0.1"),
        (["--activation", "sigmod"], "Did you mean 'sigmoid'?"),
        (["--x", "1", "--w", "1", "--hidden-b", "0"], "`--hidden-b` needs --hidden-w"),
        (["--hidden-w", "1;x", "--x", "1", "--w", "1"], "`--hidden-w` must be rows"),
        (["--example", "seed-q2", "--hidden-w", "1,2"], "has no hidden_w"),
    ],
)
def test_bad_flags_raise_config_error(args: list[str], expected: str) -> None:
    result = invoke(*args)
    assert isinstance(result.exception, ConfigError)
    assert expected in str(result.exception)


def test_main_maps_config_error_to_exit_code_2(monkeypatch, capsys) -> None:
    cli_pkg = importlib.import_module("optbench.cli")
    app_module = importlib.import_module("optbench.cli.app")
    monkeypatch.setattr(app_module, "app", fresh_app_without_command())
    monkeypatch.setattr(cli_pkg, "COMMAND_MODULES", [explain_cmd])
    code = app_module.main(["explain", "--lr", "-0.1"])
    assert code == 2
    assert "`lr` must be > 0. Received: lr=-0.1" in capsys.readouterr().err


def fresh_app_without_command() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    return app
