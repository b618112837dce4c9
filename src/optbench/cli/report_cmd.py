"""`optbench report` and `optbench show`: results of a stored study, without retraining."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from optbench import api
from optbench.cli.render import print_results

console = Console()


def report(
    study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study."),
) -> None:
    """Regenerate report.md, report.html and the figures from the study's store alone."""
    path = api.report(study_dir)
    console.print(f"Report: {path}", highlight=False, markup=False)
    html = path.with_name("report.html")
    if html.is_file():
        console.print(f"HTML:   {html}", highlight=False, markup=False)


def show(study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study.")) -> None:
    """Print a study's results: mean ± sd, 95% intervals and paired comparisons."""
    print_results(console, api.open_study(study_dir))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("show")(show)
