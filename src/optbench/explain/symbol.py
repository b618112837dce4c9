"""Symbols and formulas that render both as Unicode text (terminal, Markdown) and as LaTeX.

A formula is a tuple of parts: `Sym`s (variables such as w₁ or ∂L/∂a), operator strings
(" + ", "·", "σ(") and floats (numbers substituted into the formula). Keeping the parts
separate lets one formula print as `w₁·x₁ + b` or `w_{1} \\cdot x_{1} + b`, and lets
`substitute` swap every symbol for its value to show the arithmetic "by hand".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# Operator strings as written in Unicode → their LaTeX (math mode) spelling.
_TEX_OPERATORS = (
    (",  ", r",\quad "),
    ("·", r" \cdot "),
    ("−", "-"),
    ("σ", r"\sigma"),
    ("½", r"\tfrac{1}{2}"),
    ("²", "^{2}"),
    ("tanh", r"\tanh"),
    ("max", r"\max"),
    ("ln", r"\ln "),
    (" if ", r"\ \text{if}\ "),
    (" else ", r"\ \text{else}\ "),
    ("←", r"\leftarrow"),
    ("η", r"\eta"),
)


@dataclass(frozen=True)
class Sym:
    """A variable: an ASCII lookup key (`dL/dw1`), its Unicode text and its LaTeX."""

    key: str
    text: str
    tex: str


Formula = tuple["Sym | str | float", ...]


def sym(name: str, *index: int, tex_name: str | None = None) -> Sym:
    """`sym("w", 1)` → w₁ (key `w1`); `sym("V", 2, 1)` → V₂,₁ (key `V2,1`)."""
    idx = ",".join(str(i) for i in index)
    tex = tex_name or name
    if idx:
        tex = f"{tex}_{{{idx}}}"
    return Sym(key=name + idx, text=name + idx.translate(_SUBSCRIPT), tex=tex)


def partial(num: Sym, den: Sym) -> Sym:
    """The partial derivative ∂num/∂den (key `dnum/dden`)."""
    return Sym(
        key=f"d{num.key}/d{den.key}",
        text=f"∂{num.text}/∂{den.text}",
        tex=rf"\frac{{\partial {num.tex}}}{{\partial {den.tex}}}",
    )


def substitute(formula: Formula, values: dict[str, float]) -> Formula:
    """The same formula with every symbol that has a value replaced by that number."""
    return tuple(values.get(p.key, p) if isinstance(p, Sym) else p for p in formula)


def number(value: float, digits: int, *, tex: bool = False) -> str:
    """`0.880797` with `digits` significant digits; −0 prints as 0; minus as − (or - in TeX)."""
    if value == 0:
        value = 0.0  # drops the sign of -0.0
    if math.isnan(value) or math.isinf(value):
        return str(value)
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        text = rf"{mantissa} \times 10^{{{int(exp)}}}" if tex else f"{mantissa}e{int(exp)}"
    return text if tex else text.replace("-", "−")


def to_text(formula: Formula, digits: int = 6) -> str:
    """Unicode rendering: `w₁·x₁ + b`, or `2·1 + 1·(−2) + 2` once numbers are substituted."""
    return "".join(_parts(formula, digits, tex=False))


def to_tex(formula: Formula, digits: int = 6) -> str:
    """LaTeX (math mode) rendering of the same formula."""
    return re.sub(" {2,}", " ", "".join(_parts(formula, digits, tex=True)))


def _parts(formula: Formula, digits: int, *, tex: bool) -> list[str]:
    out: list[str] = []
    for i, part in enumerate(formula):
        if isinstance(part, Sym):
            out.append(part.tex if tex else part.text)
        elif isinstance(part, str):
            out.append(tex_operators(part) if tex else part)
        else:
            text = number(part, digits, tex=tex)
            before = formula[i - 1] if i > 0 else ""
            after = formula[i + 1] if i + 1 < len(formula) else ""
            out.append(f"({text})" if part < 0 and _needs_brackets(before, after) else text)
    return out


def _needs_brackets(before: object, after: object) -> bool:
    """−2 after an operator (1·(−2), 1 − (−2)) or before a power ((−2)²) needs brackets."""
    ends_with_operator = isinstance(before, str) and before.rstrip()[-1:] in ("·", "+", "−", "/")
    return ends_with_operator or (isinstance(after, str) and after.startswith("²"))


def tex_operators(text: str) -> str:
    """Spell the Unicode operators of a formula part in LaTeX."""
    for unicode, latex in _TEX_OPERATORS:
        text = text.replace(unicode, latex)
    return text
