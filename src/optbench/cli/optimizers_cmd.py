"""`optbench optimizers`: the optimizer table, measured on a real model, vs the seed's claims;
`optbench optimizers NAME`: one card in full, with strengths, weaknesses, guidance and sources.

Cards are measured once per machine and kept in the cache (`optbench.optim.card_cache`), so
the command answers without importing torch; `--remeasure` measures them again.
"""

from __future__ import annotations

import json
from enum import StrEnum

import typer
from rich.console import Console

from optbench.cli.cards_view import card_view, print_tables
from optbench.cli.study_cmd import _cache_dir
from optbench.optim.card_cache import cached_cards
from optbench.optim.cards import OptimizerCard, card_markdown, cards_json, cards_markdown
from optbench.optim.info import check_profile
from optbench.optim.parse import split_optimizer_list

console = Console()


class OutputFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


def print_cards(cards: list[OptimizerCard], output: OutputFormat, wide: bool = False) -> None:
    """The tables (or lists, in a narrow terminal), Markdown or JSON of many cards."""
    if output is OutputFormat.json:
        console.print_json(json.dumps(cards_json(cards)))
    elif output is OutputFormat.markdown:
        console.print(cards_markdown(cards), markup=False, highlight=False, soft_wrap=True)
    else:
        print_tables(console, cards, wide)


def print_full(cards: list[OptimizerCard], output: OutputFormat) -> None:
    """Each card in full (`optbench optimizers NAME`)."""
    if output is OutputFormat.json:
        console.print_json(json.dumps(cards_json(cards)))
        return
    for i, card in enumerate(cards):
        if i:
            console.print()
        if output is OutputFormat.markdown:
            console.print(card_markdown(card), markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(card_view(card))


def optimizers(
    names: list[str] | None = typer.Argument(
        None,
        help="Show these optimizers' cards in full, e.g. adam or 'rmsprop:centered=true'.",
        show_default=False,
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="table (terminal), markdown or json."
    ),
    optimizer: list[str] | None = typer.Option(
        None,
        "--optimizer",
        "-o",
        help="Repeatable; the rows of the tables (default: every registered optimizer plus a "
        "few settings). Takes hyperparameters ('rmsprop:centered=true') and your own class "
        "('mypkg.optim:Lion').",
    ),
    profile: str = typer.Option("torch", help="Defaults and update rules: torch or keras."),
    wide: bool = typer.Option(
        False, "--wide", help="The full tables at their natural width, however narrow the terminal."
    ),
    remeasure: bool = typer.Option(
        False, "--remeasure", help="Measure the cards again instead of reading the cache."
    ),
) -> None:
    """Measure every optimizer's state memory and list its defaults, rule and paper."""
    check_profile(profile)
    texts = [t for text in [*(names or ()), *(optimizer or ())] for t in split_optimizer_list(text)]
    cards = cached_cards(texts or None, profile, _cache_dir(), remeasure=remeasure)  # type: ignore[arg-type]
    if names:
        print_full(cards, output)
    else:
        print_cards(cards, output, wide)


def register(app: typer.Typer) -> None:
    app.command("optimizers")(optimizers)
