"""The three examples of issue 18, each run from its documented command in a shortened form
(fewer epochs and examples): your CNN on Fashion-MNIST, regression on scikit-learn's diabetes
data, and a character-level transformer language model on the standard library's sources."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from optbench.cli.app import main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]
SHORT = {
    "fashion_cnn.py": ["--epochs", "1", "--train-size", "600", "--test-size", "300"],
    "diabetes.py": ["--epochs", "4"],
    "char_lm.py": ["--epochs", "1", "--train-size", "200", "--test-size", "60"],
}


def documented_command(example: str) -> list[str]:
    """The `.venv/bin/optbench …` command in the example's docstring, as arguments."""
    text = (ROOT / "examples" / example).read_text()
    found = re.search(r"\.venv/bin/optbench (.+?)\n\n", text, re.S)
    assert found, f"{example} documents no command"
    return shlex.split(found.group(1).replace("\\\n", " "))


def _replace(args: list[str], overrides: list[str]) -> list[str]:
    """`args` with each `--flag value` of `overrides` set (added or replaced)."""
    args = list(args)
    for flag, value in zip(overrides[::2], overrides[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    return args


@pytest.mark.parametrize("example", sorted(SHORT))
def test_each_example_runs_from_its_documented_command(example, tmp_path, monkeypatch, capsys):
    if example == "fashion_cnn.py":
        pytest.importorskip("optbench.data.fashion_mnist")
    monkeypatch.chdir(ROOT)  # the commands name examples/… relative to the checkout
    args = _replace(documented_command(example), SHORT[example])
    code = main([*args, "--out", str(tmp_path / "study")])
    out = capsys.readouterr()
    assert code == 0, out.err
    report = (tmp_path / "study" / "report.md").read_text()
    if example == "char_lm.py":
        # perplexity per optimizer with intervals over the two seeds
        assert "Test perplexity" in report and "95% CI" in report
        rows = set(re.findall(r"\| (\w+(?:\(lr=0\.1\))?) \|", report))
        assert {"adamw", "adam", "momentum(lr=0.1)"} <= rows
    elif example == "diabetes.py":
        assert "Test R²" in report
    else:
        assert "Test acc" in report
