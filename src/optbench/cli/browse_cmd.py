"""`optbench ls` (the studies in a folder) and `optbench export` (a study as CSV or JSON).

Both read the store only: neither imports torch, so they answer at once.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from optbench.cli.render import print_listing
from optbench.core.errors import ConfigError
from optbench.report import export_csv, export_json, list_studies, open_study
from optbench.report.catalog import DEFAULT_RUNS_DIR
from optbench.store.folder import folder_error

console = Console()
FORMATS = {"csv": export_csv, "json": export_json}


def ls(
    folder: Path = typer.Argument(
        DEFAULT_RUNS_DIR, help="Where to look for studies (searched recursively)."
    ),
    wide: bool = typer.Option(
        False, "--wide", help="One table row per study however narrow the terminal."
    ),
) -> None:
    """List the studies in a folder with their status (finished, running, interrupted, …)."""
    print_listing(console, list_studies(folder), folder, wide=wide)


def export(
    study_dir: Path = typer.Argument(..., help="A study folder, e.g. runs/my-study."),
    format: str = typer.Option("csv", "--format", "-f", help="csv (one row per epoch) or json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
) -> None:
    """Export a study's trials and epochs (json: also findings and statistics)."""
    render = FORMATS.get(format.lower())
    if render is None:
        raise ConfigError(f"`--format` must be one of {', '.join(FORMATS)}. Received: {format}")
    text = render(open_study(study_dir))
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:  # a folder in the way, read-only media, a full disk
        raise folder_error(out, exc) from exc
    console.print(f"Wrote {out}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("ls")(ls)
    app.command("export")(export)
