"""Optimizer cards: measured state sizes, the seed comparison, renderers, and the CLI."""

from __future__ import annotations

import json

import pytest
import torch
import typer
from typer.testing import CliRunner

import optbench.cli as cli_package
from optbench.cli import optimizers_cmd
from optbench.cli.app import main
from optbench.optim import OPTIMIZERS, parse_optimizer
from optbench.optim.cards import (
    MEASURED_HEADERS,
    active_hparams,
    cards_json,
    cards_markdown,
    defaults_rows,
    measure_state,
    measured_rows,
    optimizer_card,
    optimizer_cards,
)

# float32 bytes of state per parameter, besides small per-tensor counters (`step`)
EXPECTED_BYTES = {
    "sgd": 0,
    "momentum": 4,
    "adagrad": 4,
    "rmsprop": 4,
    "adam": 8,
    "adamw": 8,
    "lars": 4,
}


@pytest.fixture(scope="module")
def torch_cards():
    return optimizer_cards()


@pytest.mark.parametrize("profile", ["torch", "keras"])
@pytest.mark.parametrize(("name", "expected"), EXPECTED_BYTES.items())
def test_measured_state_bytes_per_param(name, expected, profile):
    state = measure_state(parse_optimizer(name, profile))
    assert state.bytes_per_param == expected
    assert state.dtype == "float32"
    # the counters are small: torch keeps `step` as a 4-byte float32 tensor per parameter
    # tensor (none for sgd, none for momentum), our ports and LARS a Python int
    assert state.counter_bytes_per_tensor in (0, 4)


def test_float64_doubles_the_bytes():
    assert measure_state(parse_optimizer("adam"), torch.float64).bytes_per_param == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rmsprop:centered=true", 8),
        ("rmsprop:momentum=0.9", 8),
        ("rmsprop:centered=true,momentum=0.9", 12),
        ("adam:amsgrad=true", 12),
        ("lars:momentum=0", 0),
        ("sgd:momentum=0.5", 4),
    ],
)
def test_settings_that_add_buffers(text, expected):
    for profile in ("torch", "keras"):
        assert measure_state(parse_optimizer(text, profile)).bytes_per_param == expected


def test_table_lists_every_registry_optimizer(torch_cards):
    labels = [row[0] for row in measured_rows(torch_cards)]
    assert set(OPTIMIZERS.names()) <= set(labels)
    assert [row[0] for row in defaults_rows(torch_cards)] == OPTIMIZERS.names()
    assert all(len(row) == len(MEASURED_HEADERS) for row in measured_rows(torch_cards))


def test_seed_claims_are_compared(torch_cards):
    by_label = {card.label: card for card in torch_cards}
    assert by_label["adam"].disagreements == ()
    assert by_label["sgd"].disagreements == ()
    # torch AdamW decays by default (0.01): four hyperparameters act, the seed counts three
    assert any("seed claims 3" in d for d in by_label["adamw"].disagreements)
    assert by_label["nadam"].claim is None and by_label["nadam"].disagreements == ()
    assert by_label["rmsprop:centered=true"].claim is None  # claims are about the defaults


def test_active_hparams():
    assert active_hparams({"lr": 0.1, "momentum": 0.0, "nesterov": False}) == ("lr",)
    assert active_hparams({"betas": (0.9, 0.999), "amsgrad": True}) == ("betas", "amsgrad")


def test_markdown_and_json(torch_cards):
    text = cards_markdown(torch_cards)
    assert text.startswith("# Optimizers")
    assert "| adam | torch | 8 | exp_avg, exp_avg_sq |" in text
    assert "You, Gitman & Ginsburg 2017" in text
    data = json.loads(json.dumps(cards_json(torch_cards)))
    adam = next(c for c in data["optimizers"] if c["label"] == "adam")
    assert adam["state"]["bytes_per_param"] == 8
    assert adam["hparams"]["betas"] == [0.9, 0.999]
    assert adam["keras_defaults"]["eps"] == 1e-7


def test_card_for_an_import_path():
    card = optimizer_card(parse_optimizer("torch.optim:Adam"))
    assert card.state.bytes_per_param == 8
    assert card.class_name == "torch.optim.adam.Adam"
    assert card.claim is None


# ---- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a group, so the command is called by name
        pass

    optimizers_cmd.register(app)
    return app


def test_cli_table(app):
    result = CliRunner().invoke(
        app, ["optimizers", "-o", "adam,sgd", "-o", "lars"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "Optimizers, measured" in result.output
    assert "exp_avg_sq" in result.output and "momentum_buffer" in result.output
    assert "Defaults and update rules" in result.output


def test_cli_json_keras_profile(app):
    result = CliRunner().invoke(
        app, ["optimizers", "--format", "json", "--profile", "keras", "--optimizer", "rmsprop"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [card] = data["optimizers"]
    assert card["profile"] == "keras" and card["hparams"]["alpha"] == 0.9


def test_cli_markdown_import_path(app):
    result = CliRunner().invoke(
        app, ["optimizers", "--format", "markdown", "--optimizer", "torch.optim:Adagrad"]
    )
    assert result.exit_code == 0, result.output
    assert "| torch.optim:Adagrad | torch | 4 |" in result.output


@pytest.fixture
def registered(monkeypatch):
    """main() as it will be once optimizers_cmd is in cli.COMMAND_MODULES."""
    modules = list(cli_package.COMMAND_MODULES)
    if optimizers_cmd not in modules:
        monkeypatch.setattr(cli_package, "COMMAND_MODULES", [*modules, optimizers_cmd])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["optimizers", "--optimizer", "adamm"], "Did you mean 'adam'"),
        (["optimizers", "--optimizer", "adam:lrr=1"], "Did you mean 'lr'?"),
        (["optimizers", "--optimizer", "torch.nn:Linear"], "is not a torch.optim.Optimizer"),
        (["optimizers", "--profile", "tf"], "Unknown profile 'tf'"),
        (["optimizers", "--format", "html"], "Invalid value for '--format'"),
    ],
)
def test_cli_bad_input_exits_2(registered, args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


def test_cli_via_main(registered, capsys):
    assert main(["optimizers", "--format", "json", "-o", "sgd"]) == 0
    assert json.loads(capsys.readouterr().out)["optimizers"][0]["state"]["bytes_per_param"] == 0
