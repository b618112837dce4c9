"""The Markdown view: header bullets, notes as quotes, one table per SGD step."""

from __future__ import annotations

from optbench.explain.explanation import Explanation, Step
from optbench.explain.summary import columns, header, stages


def to_markdown(expl: Explanation, digits: int = 6) -> str:
    """The explanation as a Markdown document (GitHub-flavoured tables, Unicode math)."""
    lines = [f"# {expl.title}", ""]
    lines += [f"- **{label}:** {value}" for label, value in header(expl, digits)]
    lines.append("")
    for note in expl.notes:
        lines += [f"> {note}", ""]
    for step in expl.steps:
        lines += _step_lines(step, expl.lr, digits)
    return "\n".join(lines).rstrip() + "\n"


def _step_lines(step: Step, lr: float, digits: int) -> list[str]:
    lines = [
        f"## Step {step.number}",
        "",
        "| stage | quantity | formula | with numbers | value |",
        "|---|---:|---|---|---:|",
    ]
    for title, relation, terms in stages(step, lr):
        for i, term in enumerate(terms):
            symbol, formula, numbers, value = columns(term, digits)
            stage = f"**{title}**" if i == 0 else ""
            sym = f"{symbol} {relation}" if relation != "=" else symbol
            lines.append(f"| {stage} | {sym} | {formula} | {numbers} | {value} |")
    return [*lines, ""]
