"""Every command's help, a real run, and bad input → one clear message and exit code 2."""

import pytest

from optbench.cli.app import main

COMMANDS = [
    "compare",
    "run",
    "resume",
    "report",
    "show",
    "ls",
    "export",
    "optimizers",
    "landscape",
    "explain",
]


def test_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_compare_runs_on_digits(tmp_path, capsys):
    out = tmp_path / "study"
    code = main(
        [
            "compare",
            "--dataset",
            "digits",
            "--optimizers",
            "adam,sgd:lr=0.1",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--out",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "sgd(lr=0.1)" in text and "Report:" in text
    assert (out / "report.md").exists()
    assert main(["show", str(out)]) == 0
    assert "adam" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "--dataset", "digits", "--optimizers", "adamm"], "Did you mean 'adam'"),
        (["compare", "--dataset", "digits", "--optimizers", "adam:lrr=0.1"], "lrr"),
        (["compare", "--dataset", "digits", "--optimizers", "adam:lr=-1"], "lr"),
        (["compare", "--dataset", "mnsit"], "Did you mean 'mnist'"),
        (["compare", "--dataset", "digits", "--seeds", "a,b"], "--seeds must be"),
        (["compare", "--dataset", "digits", "--epochs", "0"], "`epochs` must be between"),
        (["compare", "--dataset", "digits", "--model", "mlp:x"], "neither a hidden size"),
        (["compare", "--dataset", "digits", "--profile", "tf"], "`profile` must be one of"),
        (["run", "missing.toml"], "does not exist"),
        (["show", "no-such-study"], "No study in"),
        (["compare"], "Missing option '--dataset'"),
        (["compare", "--dataset", "digits", "--no-such-flag"], "No such option"),
    ],
)
def test_bad_input_exits_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err
