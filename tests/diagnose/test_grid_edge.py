"""Tuning at the edge of the grid (issue 19): `--tune lr` and `landscape --tune-lr` say when
the best learning rate is the grid's largest or smallest, and suggest a wider grid."""

from __future__ import annotations

import json
import re

import typer
from typer.testing import CliRunner

import optbench
from optbench.api import parse_study
from optbench.cli import landscape_cmd
from optbench.landscape import DEFAULT_GRID, run_landscape


def _grid(message: str) -> list[float]:
    """The wider grid a message suggests: the numbers inside its last [...]."""
    inside = re.findall(r"\[([^\]]+)\]", message)[-1]
    return [float(v) for v in inside.split(",")]


def test_the_largest_grid_value_winning_is_an_edge_finding_with_a_wider_grid() -> None:
    from optbench.diagnose import lr_edge_findings

    study = parse_study(
        {
            "name": "t",
            "dataset": "digits",
            "optimizers": ["adam", "sgd"],
            "tune": "lr",
            "lr_grid": [1e-4, 1e-3, 1e-2, 1e-1],
        }
    )
    findings = lr_edge_findings(study, {"adam": 1e-3, "sgd": 0.1})
    (edge,) = findings
    assert (edge.code, edge.severity) == ("tune.lr_at_edge", "warning")
    assert "sgd" in edge.message and "0.1" in edge.message and "largest" in edge.message
    wider = _grid(edge.message + " " + edge.fix)
    assert min(wider) <= 1e-4 and max(wider) >= 1.0  # keeps the grid, goes beyond its edge


def test_the_smallest_grid_value_winning_is_an_edge_finding_too() -> None:
    from optbench.diagnose import lr_edge_findings

    study = parse_study(
        {
            "name": "t",
            "dataset": "digits",
            "optimizers": ["adam"],
            "tune": "lr",
            "lr_grid": [1e-3, 1e-2, 1e-1],
        }
    )
    (edge,) = lr_edge_findings(study, {"adam": 1e-3})
    assert "smallest" in edge.message and min(_grid(edge.message + " " + edge.fix)) < 1e-3


def test_a_tuned_study_records_the_edge_finding(tmp_path) -> None:
    raw = {
        "name": "edge",
        "dataset": "digits",
        "optimizers": ["sgd"],
        "epochs": 1,
        "batch_size": 32,
        "tune": "lr",
        "lr_grid": [1e-4, 3e-4, 1e-3],
    }
    outcome = optbench.run_study(raw, tmp_path / "t", cache_dir=tmp_path)
    view = optbench.open_study(outcome.folder)
    edges = [f for f in view.findings if f["code"] == "tune.lr_at_edge"]
    assert len(edges) == 1 and "0.001" in edges[0]["message"]
    assert "tune.lr_at_edge" in (outcome.folder / "report.md").read_text()


def test_the_landscape_says_when_its_tuned_lr_sits_at_the_edge() -> None:
    result = run_landscape("rosenbrock", ["adam"], 500, DEFAULT_GRID)
    (run,) = result.runs
    assert run.lr == max(DEFAULT_GRID) and run.lr_edge == "high"
    app = typer.Typer()
    app.callback()(lambda: None)
    landscape_cmd.register(app)
    out = CliRunner().invoke(app, ["landscape", "-f", "rosenbrock", "-o", "adam", "--tune-lr"])
    assert out.exit_code == 0, out.output
    assert "tune.lr_at_edge" in out.output and "--lr-range" in out.output
    js = CliRunner().invoke(
        app, ["landscape", "-f", "rosenbrock", "-o", "adam", "--tune-lr", "--format", "json"]
    )
    assert json.loads(js.stdout)["runs"][0]["lr_at_edge"] == "high"
