"""Without Ray installed, `--executor ray` says how to install it (runs with or without Ray)."""

from __future__ import annotations

import sys

import pytest

from optbench.cli.app import main
from optbench.core.errors import ConfigError
from optbench.executors import get_executor

INSTALL = "pip install 'optbench[ray]'"


@pytest.fixture
def no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import ray` fails as it does where Ray is not installed."""
    monkeypatch.setitem(sys.modules, "ray", None)
    for name in ("optbench.executors.ray_executor", "optbench.executors.ray_task"):
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_get_executor_says_how_to_install_ray(no_ray):
    with pytest.raises(ConfigError, match=r"The ray executor needs Ray") as info:
        get_executor("ray", 1, "auto")
    assert INSTALL in str(info.value)


def test_cli_reports_it_with_exit_code_2(no_ray, tmp_path, capsys):
    argv = ["compare", "--dataset=digits", "--optimizers=adam", "--epochs=1", "--executor=ray"]
    assert main([*argv, f"--out={tmp_path / 'study'}"]) == 2
    assert INSTALL in capsys.readouterr().err.replace("\n", "")
