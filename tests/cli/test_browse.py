"""`optbench ls`, `show`, `report` and `export` on a real (tiny) study, and their bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest

from optbench.cli import app as cli_app
from optbench.cli import browse_cmd
from optbench.cli.app import main


@pytest.fixture(scope="module", autouse=True)
def _commands():
    """`ls` and `export` (until browse_cmd is listed in COMMAND_MODULES this registers it)."""
    cli_app._register_commands()
    if not any(c.name == "ls" for c in cli_app.app.registered_commands):
        browse_cmd.register(cli_app.app)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    args = [
        "compare",
        "--dataset",
        "digits",
        "--optimizers",
        "adam,sgd:lr=0.1",
        "--epochs",
        "2",
        "--batch-size",
        "64",
        "--seeds",
        "0,1,2",
        "--workers",
        "1",
        "--train-size",
        "400",
        "--test-size",
        "200",
        "--histogram-freq",
        "0",
    ]
    assert main([*args, "--out", str(root / "tiny")]) == 0
    return root


def test_ls_lists_studies_with_status(runs, capsys):
    assert main(["ls", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "finished" in out and "6/6" in out and "sgd(lr=0.1)" in out


def test_show_prints_intervals_and_paired_verdicts(runs, capsys):
    assert main(["show", str(runs / "tiny")]) == 0
    out = capsys.readouterr().out
    assert "95% CI" in out and "Paired by seed" in out and "3 seeds" in out
    assert "adam" in out and "sgd(lr=0.1)" in out


def test_report_regenerates_identical_files_from_the_store(runs, capsys):
    folder = runs / "tiny"
    names = ["report.md", "report.html", *sorted(p.name for p in (folder / "figures").iterdir())]
    paths = [folder / n if n.startswith("report") else folder / "figures" / n for n in names]
    before = [p.read_bytes() for p in paths]
    assert main(["report", str(folder)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert [p.read_bytes() for p in paths] == before


def test_export_csv_to_stdout(runs, capsys):
    assert main(["export", str(runs / "tiny"), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 6 * 2 and {r["group"] for r in rows} == {"adam", "sgd(lr=0.1)"}


def test_export_json_to_a_file(runs, tmp_path, capsys):
    out = tmp_path / "tiny.json"
    assert main(["export", str(runs / "tiny"), "-f", "json", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert len(data["trials"]) == 6 and data["analysis"]["workloads"][0]["dataset"] == "digits"


@pytest.mark.parametrize("command", ["ls", "export"])
def test_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ls", "no-such-folder"], "No folder no-such-folder"),
        (["export", "no-such-study"], "No study in"),
        (["report", "no-such-study"], "No study in"),
        (["export", ".", "--format", "xml"], "`--format` must be one of csv, json"),
    ],
)
def test_bad_input_exits_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_ls_on_a_folder_without_studies(tmp_path, capsys):
    assert main(["ls", str(tmp_path)]) == 0
    assert "No studies in" in capsys.readouterr().out
