"""The terminal view: a rich renderable with a header and one table per SGD step."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from optbench.explain.explanation import Explanation, Step
from optbench.explain.summary import columns, header, stages


def to_table(expl: Explanation, digits: int = 6) -> RenderableType:
    """A rich Group: title, header lines, notes, then one table per step. Print it with rich."""
    parts: list[RenderableType] = [Text(expl.title, style="bold")]
    for label, value in header(expl, digits):
        line = Text(f"  {label}: ", style="dim")
        line.append(value)
        parts.append(line)
    parts += [Text(f"  note: {note}", style="yellow") for note in expl.notes]
    parts += [_step_table(step, expl.lr, digits) for step in expl.steps]
    return Group(*parts)


def _step_table(step: Step, lr: float, digits: int) -> Table:
    table = Table(
        title=f"Step {step.number}",
        title_justify="left",
        title_style="bold",
        show_lines=False,
        expand=False,
    )
    for name, justify in (
        ("stage", "left"),
        ("quantity", "right"),
        ("formula", "left"),
        ("with numbers", "left"),
        ("value", "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for title, relation, terms in stages(step, lr):
        for i, term in enumerate(terms):
            symbol, formula, numbers, value = columns(term, digits)
            if relation != "=":
                symbol = f"{symbol} {relation}"
            cells = (title if i == 0 else "", symbol, formula, numbers, value)
            table.add_row(
                *(Text(c) for c in cells), style="bold" if term.symbol.key == "L" else None
            )
        table.add_section()
    return table
