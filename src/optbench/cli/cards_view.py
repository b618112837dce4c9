"""Optimizer cards in the terminal: the tables (or, in a narrow terminal, lists) and one card
in full, from `optbench.optim.cards`' records.

At 80 columns the measured table keeps only short columns (the long texts, the seed's
differences and the per-tensor counters, follow it as sentences) and the defaults-and-rules
table folds into one block per optimizer. `--wide` prints the full tables instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from optbench.cli.fit import fits, new_table, print_table
from optbench.optim.cards import (
    DEFAULTS_HEADERS,
    MEASURED_HEADERS,
    OptimizerCard,
    agreement,
    card_facts,
    choosing_lines,
    claim_text,
    defaults_rows,
    measured_rows,
    method_notes,
)
from optbench.optim.guidance import CHOOSING, SOURCES, Claim, guidance_for

COMPACT_HEADERS = ("optimizer", "B/param", "state buffers", "temp B/el", "in use", "seed")


def _table(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    table = new_table(title, title_justify="left")
    for header in headers:
        table.add_column(header)
    for row in rows:
        style = "red" if any(cell.startswith("NO") for cell in row) else None
        table.add_row(*(Text(cell) for cell in row), style=style)  # text, not markup
    return table


def full_tables(cards: Sequence[OptimizerCard]) -> tuple[Table, Table]:
    """The two tables with every column (what `--wide` and a wide terminal show)."""
    measured = _table("Optimizers, measured", MEASURED_HEADERS, measured_rows(cards))
    for column in measured.columns[:3]:
        column.no_wrap = True
    defaults = _table("Defaults and update rules", DEFAULTS_HEADERS, defaults_rows(cards))
    defaults.columns[0].no_wrap = True
    return measured, defaults


def compact_table(cards: Sequence[OptimizerCard]) -> Table:
    """The measured table with short columns only; long texts follow it as sentences."""
    rows = [
        (
            c.label,
            f"{c.state.bytes_per_param:g}",
            ", ".join(c.state.buffers) or "none",
            f"{c.state.peak_temp_per_element:.2f}",
            f"{len(c.active)}/{len(c.tunable)}",
            "—" if c.claim is None else "yes" if not c.disagreements else "NO",
        )
        for c in cards
    ]
    title = f"Optimizers, measured ({', '.join(sorted({c.profile for c in cards}))} profile)"
    table = _table(title, COMPACT_HEADERS, rows)
    for i in (0, 1, 3, 4, 5):
        table.columns[i].no_wrap = True
    for i in (1, 3):
        table.columns[i].justify = "right"
    return table


def print_tables(console: Console, cards: Sequence[OptimizerCard], wide: bool) -> None:
    """Full tables where they fit (or with --wide); otherwise the compact table and lists."""
    measured, defaults = full_tables(cards)
    if wide or fits(console, measured):
        print_table(console, measured, lambda: (), wide=True)
        _print_notes(console, cards, differences=False)
        console.print()
        print_table(console, defaults, lambda: defaults_blocks(cards), wide)
    else:
        print_table(console, compact_table(cards), lambda: card_lines(cards))
        _print_notes(console, cards, differences=True)
        console.print()
        print_table(console, defaults, lambda: defaults_blocks(cards))  # prints its title
    console.print()
    console.print(Text("Which optimizer?", style="bold"))
    for line in choosing_lines():
        console.print(_bullet(line))
    console.print(Text("Sources", style="bold"))
    console.print(_sources(CHOOSING))
    console.print(
        Text(
            "`optbench optimizers NAME` shows one card in full: its strengths, weaknesses, "
            "when to use it, and the sources.",
            style="dim",
        )
    )


def _print_notes(console: Console, cards: Sequence[OptimizerCard], differences: bool) -> None:
    lines = []
    if differences:
        lines += [
            f"{c.label} differs from the seed's table: {'; '.join(c.disagreements)}."
            for c in cards
            if c.disagreements
        ]
        lines += counter_lines(cards)
    lines += method_notes(cards)
    for line in lines:
        console.print(_bullet(line, style="dim"))


def counter_lines(cards: Sequence[OptimizerCard]) -> list[str]:
    """Per-tensor counters, grouped: `step (float32 tensor, 4 B): adagrad, rmsprop, …`."""
    by_counter: dict[str, list[str]] = {}
    for card in cards:
        for counter in card.state.counters:
            by_counter.setdefault(counter, []).append(card.label)
    return [
        f"Per-tensor counter {counter}: {', '.join(labels)}."
        for counter, labels in by_counter.items()
    ]


def card_lines(cards: Sequence[OptimizerCard]) -> list[RenderableType]:
    """The compact table as one line per card, for terminals too narrow even for it."""
    return [
        _bullet(
            f"{c.label}: {c.state.bytes_per_param:g} B/param "
            f"({', '.join(c.state.buffers) or 'no state'}), temporaries "
            f"{c.state.peak_temp_per_element:.2f} B/elem, {len(c.active)} of "
            f"{len(c.tunable)} hyperparameters in use, seed {claim_text(c)}: {agreement(c)}"
        )
        for c in cards
    ]


def defaults_blocks(cards: Sequence[OptimizerCard]) -> list[RenderableType]:
    """One block per optimizer: paper, torch and keras defaults, update rule."""
    blocks: list[RenderableType] = []
    for name, torch_defaults, keras_defaults, rule, paper in defaults_rows(cards):
        blocks.append(Text(name, style="bold"))
        blocks.append(
            _fields(
                (
                    ("paper", paper),
                    ("torch", torch_defaults),
                    ("keras", keras_defaults),
                    ("rule", rule),
                )
            )
        )
    return blocks


def _fields(pairs: Iterable[tuple[str, str]], indent: int = 2) -> Padding:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="cyan")
    grid.add_column()
    for key, value in pairs:
        if value:
            grid.add_row(key, Text(value))
    return Padding(grid, (0, 0, 0, indent))


def _bullet(text: str, style: str | None = None, indent: int = 2) -> Padding:
    """`• text` with the wrapped lines hanging under the text, not under the bullet."""
    return _bullet_text(Text(text, style=style or ""), indent)


def _bullet_text(text: Text, indent: int = 2) -> Padding:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row("•", text)
    return Padding(grid, (0, 0, 0, indent))


# ---- one card in full -----------------------------------------------------------------------


def card_view(card: OptimizerCard) -> Group:
    """Everything about one optimizer setting: measured, counted, compared, explained, cited."""
    parts: list[RenderableType] = [
        Text.assemble((card.label, "bold"), f" — {card.profile} profile, {card.class_name}"),
    ]
    if card.description:
        parts.append(Text(card.description))
    parts.append(_fields(card_facts(card), indent=0))
    guide = guidance_for(card.name)
    if guide is not None:
        for title, claims in (
            ("Strengths", guide.strengths),
            ("Weaknesses", guide.weaknesses),
            ("Use it when", guide.use_when),
        ):
            parts += [Text(title, style="bold"), *(_claim(c) for c in claims)]
        parts += [Text("Sources", style="bold"), _sources(guide.claims())]
    return Group(*parts)


def _claim(claim: Claim) -> Padding:
    labels = "; ".join(SOURCES[k].short for k in claim.sources)
    return _bullet(f"{claim.text} [{labels}]")


def _sources(claims: Iterable[Claim]) -> Group:
    """One line per cited source; the address on the same line when it fits, never cut."""
    keys = dict.fromkeys(k for c in claims for k in c.sources)
    lines = []
    for key in keys:
        source = SOURCES[key]
        text = Text(f"{source.short}: {source.citation} {source.url}".strip(), overflow="fold")
        lines.append(_bullet_text(text))
    return Group(*lines)
