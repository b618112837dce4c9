"""Numbers in findings: significant digits, never rounded to 0 (or to 100 %).

A finding is read by someone deciding what to change, so "0" must mean zero: a gradient ratio
of 3e-9 prints as `3e-09`, a dead-unit share of 0.4 % as `0.4%`, and a share of 99.97 % never
as `100%`. Fixed-point formats (`.0%`, `.1f`) round such values away; these helpers keep the
digits that carry the information.

    >>> sig(2.302585), sig(3.1e-9), sig(0.0)
    ('2.3', '3.1e-09', '0')
    >>> pct(0.004), pct(0.9997), pct(1.0), pct(0.5)
    ('0.4%', '99.97%', '100%', '50%')
"""

from __future__ import annotations

import math
from collections.abc import Iterable

DIGITS = 3  # significant digits: enough to compare, few enough to read


def sig(x: float, digits: int = DIGITS) -> str:
    """`x` with `digits` significant digits (trailing zeros dropped); exact 0 is `0`."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def pct(share: float, digits: int = 2) -> str:
    """`share` (a fraction) as a percentage with `digits` significant digits of both it and
    of its distance to 100 %, so neither 0.004 nor 0.9997 loses what makes it not 0 or 1."""
    if not math.isfinite(share):
        return str(share)
    value = 100 * share
    if share in (0, 1) or (value == round(value) and 1 <= abs(value) < 100):
        return f"{value:.0f}%"
    text = f"{value:.{_decimals(share, digits)}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _decimals(share: float, digits: int) -> int:
    """Decimals after the point of the percentage: `digits` significant ones of the share's
    smaller distance to 0 or to 1 (at least one digit of either)."""
    gap = min(abs(share), abs(1 - share)) * 100
    if gap >= 10:
        return 0
    return max(0, digits - 1 - math.floor(math.log10(gap)))


def trail(values: Iterable[float], digits: int = 4) -> str:
    """A comma-separated run of values (loss curves), each with `digits` significant digits."""
    return ", ".join(sig(v, digits) for v in values)
