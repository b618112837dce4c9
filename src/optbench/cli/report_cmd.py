"""`optbench report` and `optbench show`: results of a stored study, without retraining.

`show` reads the store only and answers without importing torch; `report` draws the figures,
so it imports matplotlib (and torch, for a head study's section).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from optbench.cli.render import print_results
from optbench.core.startup import collector_paused
from optbench.report import open_study

console = Console()


def report(
    study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study."),
) -> None:
    """Regenerate report.md, report.html and the figures from the study's store alone."""
    with collector_paused():
        from optbench import api

    path = api.report(study_dir)  # read-only media and a full disk said as such
    console.print(f"Report: {path}", highlight=False, markup=False)
    html = path.with_name("report.html")
    if html.is_file():
        console.print(f"HTML:   {html}", highlight=False, markup=False)


def show(
    study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study."),
    wide: bool = typer.Option(
        False, "--wide", help="Tables at their full width however narrow the terminal."
    ),
) -> None:
    """Print a study's results: mean ± sd, 95% intervals and paired comparisons."""
    print_results(console, open_study(study_dir), wide=wide)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("show")(show)
