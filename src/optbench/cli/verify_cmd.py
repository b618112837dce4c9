"""`optbench verify`: retrain a study's trials and check they give the stored numbers."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()


def verify(
    study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study."),
    trials: int | None = typer.Option(
        None, "--trials", "-n", help="Retrain a random sample of this many trials (default: all)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample drawn with --trials."),
) -> None:
    """Retrain trials from scratch and compare every epoch and the final weights with the
    store. Exit code 1 if any trial differs."""
    from optbench import api

    checks = api.verify(study_dir, trials=trials, seed=seed)
    table = Table("trial", "digest", "verdict", box=None, show_edge=False)
    styles = {"match": "green", "mismatch": "bold red", "other numerics": "yellow"}
    for c in checks:
        table.add_row(escape(c.label), c.digest or "—", f"[{styles[c.verdict]}]{c.verdict}[/]")
    console.print(table)
    for c in checks:  # what differs, in full, below the table (it fits 80 columns)
        if c.verdict != "match":
            label, detail = escape(c.label), escape(c.detail)
            console.print(f"[{styles[c.verdict]}]{label}[/]: {detail}", highlight=False)
    counts = {v: sum(c.verdict == v for c in checks) for v in styles}
    console.print(
        f"{counts['match']} match, {counts['mismatch']} differ, "
        f"{counts['other numerics']} trained under other numerics (not compared)",
        highlight=False,
    )
    if counts["mismatch"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
