"""The report as data: a list of blocks that both the Markdown and the HTML renderer draw.

Building the content once keeps report.md (for GitHub) and report.html (for people) saying the
same thing. Text uses a tiny inline markup both renderers understand: `code`, **bold**, *em*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    anchor: str = ""  # HTML id; the table of contents links level-2 headings


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Callout:
    """A boxed warning or note (Markdown: a block quote)."""

    text: str
    kind: str = "note"  # note | warning


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """A table cell: display text, an optional sort key (HTML) and an optional colour swatch
    (the index of the group's colour, so tables match the figures)."""

    text: str
    sort: float | str | None = None
    swatch: int | None = None


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...] = ()  # right-aligned columns
    sortable: bool = False
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    file: str  # relative to the report's figures folder
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class Code:
    text: str
    lang: str = ""
    summary: str = ""  # HTML: a collapsible block with this summary


@dataclass(frozen=True)
class Raw:
    """Pre-rendered content from another module (e.g. the head-study section).

    With `anchor`, the HTML page treats it as a section of its own (listed in the page's
    navigation as `nav`); its HTML may show figures as `<img src="figures/NAME.png">`, which
    the renderer embeds.
    """

    markdown: str
    html: str
    nav: str = ""
    anchor: str = ""


Block = Heading | Paragraph | Callout | Bullets | Table | Figure | Code | Raw


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def section(self, title: str, anchor: str, level: int = 2) -> None:
        self.blocks.append(Heading(title, level, anchor))


def cell(text: object, sort: float | str | None = None, swatch: int | None = None) -> Cell:
    """A Cell; a NaN sort key becomes None (sorted last, like an empty cell)."""
    if isinstance(sort, float) and math.isnan(sort):
        sort = None
    return Cell(str(text), sort, swatch)


def table(
    columns: tuple[str, ...],
    rows: list[tuple[Cell, ...]],
    numeric: tuple[bool, ...] = (),
    sortable: bool = False,
    caption: str = "",
) -> Table:
    return Table(columns, tuple(rows), numeric, sortable, caption)
