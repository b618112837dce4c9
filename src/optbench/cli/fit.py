"""Tables that stay readable in any terminal: never split a word, fold to a list instead.

rich shrinks a table that is wider than the terminal by wrapping its cells, and when a word is
longer than its column it cuts the word ("optimi / zer"). Here every column gets a minimum
width (the whole cell for columns that must not wrap, the longest word for the others), so a
table either fits without cutting a word or is not printed as a table at all: the caller's
list form (`fold`) is printed instead. `--wide` prints the table at its natural width anyway,
for a wide window or a pager (`less -S`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text


def new_table(title: str, **options: object) -> Table:
    """The house table: a rule under the header, no frame, two spaces between columns (so
    the seed study's results fit 80 columns)."""
    defaults: dict[str, object] = {
        "box": box.SIMPLE_HEAD,
        "pad_edge": False,
        "show_edge": False,
        "collapse_padding": True,
    }
    # The title holds user text (a study's name, a folder): text, never markup.
    return Table(title=Text(title), **{**defaults, **options})  # type: ignore[arg-type]


def _plain(cell: RenderableType) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return Text.from_markup(cell).plain if isinstance(cell, str) else ""


def keep_words_whole(table: Table) -> Table:
    """Give every column the minimum width that keeps its words whole; return the table."""
    for column in table.columns:
        texts = [_plain(c) for c in column.cells] + [_plain(column.header)]
        lines = [line for text in texts for line in text.splitlines() or [""]]
        if column.no_wrap:
            widest = max((cell_len(line) for line in lines), default=0)
        else:
            widest = max((cell_len(w) for line in lines for w in line.split()), default=0)
        column.min_width = max(column.min_width or 0, widest)
    return table


def _unlimited(console: Console, table: Table) -> tuple[int, int]:
    """(minimum, maximum) width of the table measured without the console's limit (a
    measurement within the console is clamped to its width, so it always seems to fit)."""
    measured = console.measure(table, options=console.options.update_width(100_000))
    return measured.minimum, measured.maximum


def fits(console: Console, table: Table) -> bool:
    """Whether `table` fits the console's width without cutting a word."""
    return _unlimited(console, keep_words_whole(table))[0] <= console.width


def natural_width(console: Console, table: Table) -> int:
    """The width the table takes when nothing limits it."""
    return _unlimited(console, table)[1]


@contextmanager
def wider(console: Console, width: int) -> Iterator[None]:
    """Print on `console` as if its terminal were at least `width` columns wide."""
    before = console.width
    console.width = max(before, width)
    try:
        yield
    finally:
        console.width = before


def print_table(
    console: Console,
    table: Table,
    fold: Callable[[], Iterable[RenderableType]],
    wide: bool = False,
) -> None:
    """The table when it fits (or with `wide`, at its natural width); else `fold()`'s lines.

    The title goes on a line of its own above either form (rich would wrap it to the table's
    width, which for a narrow table splits a sentence over lines)."""
    title, table.title = table.title, None
    if title:
        console.print(Text(str(title), style="bold"), highlight=False)
    keep_words_whole(table)
    if fits(console, table):
        console.print(table)
    elif wide:
        with wider(console, natural_width(console, table)):
            console.print(table)
    else:
        for renderable in fold():
            console.print(renderable)
