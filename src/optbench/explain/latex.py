"""The LaTeX view: amsmath `align*` blocks, one per SGD step (optionally a whole document)."""

from __future__ import annotations

from optbench.explain.explanation import Explanation, Step
from optbench.explain.summary import columns, header, stages

_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Unicode math in running text (notes) → inline math.
_TEXT_MATH = {
    "σ": r"$\sigma$",
    "−": "$-$",
    "²": "$^2$",
    "∂": r"$\partial$",
    "η": r"$\eta$",
    "·": r"$\cdot$",
    "→": r"$\to$",
    "½": r"$\frac12$",
    **{d: f"$_{i}$" for i, d in enumerate("₀₁₂₃₄₅₆₇₈₉")},
}


def to_latex(expl: Explanation, digits: int = 6, *, standalone: bool = False) -> str:
    """The explanation as LaTeX (needs amsmath); `standalone=True` wraps it in a document."""
    lines = [rf"\section*{{{tex_text(expl.title)}}}", r"\begin{itemize}"]
    lines += [
        rf"  \item {tex_text(label)}: ${value}$" for label, value in header(expl, digits, tex=True)
    ]
    lines.append(r"\end{itemize}")
    lines += [rf"\paragraph{{Note.}} {tex_text(note)}" for note in expl.notes]
    for step in expl.steps:
        lines += _step_lines(step, expl.lr, digits)
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        f"{body}\\end{{document}}\n"
    )


def _step_lines(step: Step, lr: float, digits: int) -> list[str]:
    rows: list[str] = []
    for title, relation, terms in stages(step, lr):
        rows.append(rf"\intertext{{{title}}}")
        rel = r"\leftarrow" if relation != "=" else "="
        for term in terms:
            symbol, formula, numbers, value = columns(term, digits, tex=True)
            rhs = " = ".join(dict.fromkeys(p for p in (formula, numbers, value) if p))
            rows.append(rf"{symbol} &{rel} {rhs} \\")
    rows[-1] = rows[-1].removesuffix(r" \\")
    return [rf"\subsection*{{Step {step.number}}}", r"\begin{align*}", *rows, r"\end{align*}"]


def tex_text(text: str) -> str:
    """Escape LaTeX specials in running text and spell its Unicode math as inline math."""
    out = "".join(_TEXT_SPECIALS.get(c, c) for c in text)
    out = "".join(_TEXT_MATH.get(c, c) for c in out)
    return out.replace("$$", "")
