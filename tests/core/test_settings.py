"""The study's settings, declared once on StudySpec: the file parser and `compare` options
come from the same declaration and say the same things."""

from __future__ import annotations

import doctest

import pytest

import optbench.core.settings as settings_module
from optbench.cli.app import main
from optbench.cli.study_cmd import COMPARE_SETTINGS
from optbench.core.errors import ConfigError
from optbench.core.settings import Choice, Integer, ListOf, Optional, positive, settings_of
from optbench.core.specs import StudySpec
from optbench.plan import parse_study

GOOD = {"dataset": "digits", "optimizers": ["adam"], "name": "s"}


def test_the_module_examples_hold() -> None:
    result = doctest.testmod(settings_module)
    assert result.attempted >= 2 and result.failed == 0


def test_checks_return_the_value_or_the_problem() -> None:
    assert Integer(1, 10)("epochs", 3) == (3, None)
    assert Integer(1, 10)("epochs", True)[1] == "`epochs` must be an integer. Received: epochs=True"
    assert Optional(Integer(1, 10))("workers", None) == (None, None)
    grid = ListOf("must list at least two positive learning rates", positive, float, min_items=2)
    assert grid("lr_grid", [1, 0.1]) == ((1.0, 0.1), None)
    assert grid("lr_grid", [0.1])[1].startswith("`lr_grid` must list at least two")
    assert grid.from_text("1e-3, 1e-2") == [0.001, 0.01]
    with pytest.raises(ValueError):
        grid.from_text("a,b")
    assert "Did you mean 'ray'" in Choice("local", "ray")("executor", "rya")[1]


def test_every_setting_has_help_and_a_valid_default() -> None:
    for name, (spec_field, declared) in settings_of(StudySpec).items():
        assert declared.help.strip(), name
        if spec_field.default is not None:
            raw = spec_field.default
            value = list(raw) if isinstance(raw, tuple) else raw
            assert declared.check(name, value)[1] is None, name


def test_compare_has_an_option_for_every_setting_that_asks_for_one(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["compare", "--help"]) == 0
    text = capsys.readouterr().out
    declared = [n for n, (_, s) in settings_of(StudySpec).items() if s.option]
    assert list(COMPARE_SETTINGS) == declared
    for name in declared:
        assert "--" + name.replace("_", "-") in text, name
    assert "--no-stack" in text and "--no-native" in text  # bools come in pairs


@pytest.mark.parametrize(
    ("key", "value", "flag"),
    [
        ("epochs", 0, ["--epochs", "0"]),
        ("batch_size", 0, ["--batch-size", "0"]),
        ("workers", 0, ["--workers", "0"]),
        ("seeds", [1, 1], ["--seeds", "1,1"]),
        ("device", "gpu", ["--device", "gpu"]),
        ("executor", "rya", ["--executor", "rya"]),
        ("tune", "x", ["--tune", "x"]),
        ("max_trials", 0, ["--max-trials", "0"]),
    ],
)
def test_a_file_and_a_flag_get_the_same_message(key, value, flag, tmp_path, capsys) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_study({**GOOD, key: value})
    (from_file,) = caught.value.problems
    args = ["compare", "-d", "digits", "-o", "adam", "--out", str(tmp_path / "o"), *flag]
    assert main(args) == 2
    assert from_file in " ".join(capsys.readouterr().err.split())
