"""`optbench optimizers`: the optimizer table, measured on a real model, vs the seed's claims."""

from __future__ import annotations

import json
from enum import StrEnum

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from optbench.optim import split_optimizer_list
from optbench.optim.cards import (
    DEFAULTS_HEADERS,
    MEASURED_HEADERS,
    OptimizerCard,
    cards_json,
    cards_markdown,
    defaults_rows,
    measured_rows,
    method_notes,
    optimizer_cards,
)
from optbench.optim.info import check_profile

console = Console()


class OutputFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


def _table(title: str, headers: tuple[str, ...], rows: list[list[str]]) -> Table:
    table = Table(title=title, show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        style = "red" if any(cell.startswith("NO:") for cell in row) else None
        table.add_row(*(Text(cell) for cell in row), style=style)  # text, not markup
    return table


def print_cards(cards: list[OptimizerCard], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        console.print_json(json.dumps(cards_json(cards)))
        return
    if output is OutputFormat.markdown:
        console.print(cards_markdown(cards), markup=False, highlight=False, soft_wrap=True)
        return
    console.print(_table("Optimizers, measured", MEASURED_HEADERS, measured_rows(cards)))
    for note in method_notes(cards):
        console.print(f"  {note}", style="dim", markup=False, highlight=False)
    console.print(_table("Defaults and update rules", DEFAULTS_HEADERS, defaults_rows(cards)))


def optimizers(
    output: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="table (terminal), markdown or json."
    ),
    optimizer: list[str] | None = typer.Option(
        None,
        "--optimizer",
        "-o",
        help="Repeatable; default: every registered optimizer plus a few settings. Takes "
        "hyperparameters ('rmsprop:centered=true') and your own class ('mypkg.optim:Lion').",
    ),
    profile: str = typer.Option("torch", help="Defaults and update rules: torch or keras."),
) -> None:
    """Measure every optimizer's state memory and list its defaults, rule and paper."""
    check_profile(profile)
    texts = [t for text in optimizer for t in split_optimizer_list(text)] if optimizer else None
    print_cards(optimizer_cards(texts, profile=profile), output)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    app.command("optimizers")(optimizers)
