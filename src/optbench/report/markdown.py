"""The Markdown report (report.md, for GitHub): the Document rendered as GitHub-flavoured
Markdown, figures linked from the study's `figures/` folder."""

from __future__ import annotations

from optbench.report.analysis import analyse
from optbench.report.content import build_document
from optbench.report.document import (
    Block,
    Bullets,
    Callout,
    Code,
    Document,
    Figure,
    Heading,
    Paragraph,
    Raw,
    Table,
)
from optbench.report.figures import plan_figures
from optbench.report.view import StudyView


def render_markdown(view: StudyView, figures_dir: str = "figures") -> str:
    """The report of `view` as Markdown (figures are referenced, not drawn)."""
    analysis = analyse(view)
    return markdown_document(
        build_document(view, analysis, plan_figures(view, analysis)), figures_dir
    )


def markdown_document(doc: Document, figures_dir: str = "figures") -> str:
    parts = [f"# {doc.title}"]
    parts += [text for block in doc.blocks if (text := _block(block, figures_dir))]
    return "\n\n".join(parts) + "\n"


def _block(block: Block, figures_dir: str) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Callout):
        return "\n".join(f"> {line}" if line else ">" for line in block.text.splitlines())
    if isinstance(block, Bullets):
        return "\n".join(f"- {item}" for item in block.items)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        image = f"![{block.alt}]({figures_dir}/{block.file})"
        return f"{image}\n\n*{block.caption}*" if block.caption else image
    if isinstance(block, Code):
        return f"```{block.lang}\n{block.text}\n```"
    if isinstance(block, Raw):
        return block.markdown.strip()
    raise TypeError(f"unknown block {block!r}")


def _table(t: Table) -> str:
    numeric = t.numeric or (False,) * len(t.columns)
    lines = [
        "|" + "|".join(f" {_escape(c)} " if c else " " for c in t.columns) + "|",
        "|" + "|".join("--:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_escape(c.text) for c in row) + " |" for row in t.rows]
    if t.caption:
        lines += ["", t.caption]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
