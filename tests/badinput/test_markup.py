"""Text a user chose (optimizer labels, study names, paths) is printed as text: `[/red]` in a
label used to end the run with a rich MarkupError traceback after training (found by
benchmarks/fuzz_cli.py)."""

from __future__ import annotations

import pytest

from optbench.cli.app import main

ANYTHING = """
import torch

class Anything(torch.optim.SGD):
    def __init__(self, params, lr=0.05, **extra):
        super().__init__(params, lr=lr)
"""
TINY = ["--dataset", "digits", "--train-size", "96", "--test-size", "32", "--epochs", "1"]


@pytest.fixture
def module(tmp_path, monkeypatch):
    (tmp_path / "anything_markup.py").write_text(ANYTHING)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTBENCH_CACHE", str(tmp_path / "cache"))


@pytest.mark.slow
def test_markup_in_a_label_is_printed_as_text(module, capsys) -> None:
    label = "anything_markup:Anything:tag=[/red]"
    code = main(["compare", *TINY, "--workers", "1", "-o", label, "--name", "[bold]x"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "tag=[/red]" in out.out and "Study [bold]x" in out.out
    assert main(["ls", "runs"]) == 0
    assert "[bold]x" in capsys.readouterr().out


def test_markup_in_the_optimizer_table_is_printed_as_text(module, capsys) -> None:
    assert main(["optimizers", "--optimizer", "anything_markup:Anything:tag=[/red]"]) == 0
    out = capsys.readouterr().out
    assert "red]" in out  # the cell's text (folded in a narrow table), not markup
