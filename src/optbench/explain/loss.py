"""Losses for one example with target y and output a: value, dL/da, and their formulas."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from optbench.core.registry import Registry
from optbench.explain.symbol import Formula, Sym


@dataclass(frozen=True)
class Loss:
    """A loss L(y, a): `fn(y, a)`, `derivative(y, a)` = dL/da, their formulas, a long title.

    `needs_probability` marks losses that are only defined for 0 < a < 1 (cross-entropy).
    """

    name: str
    title: str
    fn: Callable[[float, float], float]
    derivative: Callable[[float, float], float]
    formula: Callable[[Sym, Sym], Formula]
    derivative_formula: Callable[[Sym, Sym], Formula]
    needs_probability: bool = False


def _bce(y: float, a: float) -> float:
    return -(y * math.log(a) + (1.0 - y) * math.log(1.0 - a))


LOSSES: Registry[Loss] = Registry("loss")

LOSSES.register(
    "se",
    Loss(
        name="se",
        title="squared error",
        fn=lambda y, a: (y - a) * (y - a),
        derivative=lambda y, a: -2.0 * (y - a),
        formula=lambda y, a: ("(", y, " − ", a, ")²"),
        derivative_formula=lambda y, a: ("−2·(", y, " − ", a, ")"),
    ),
)
LOSSES.register(
    "half_se",
    Loss(
        name="half_se",
        title="half squared error",
        fn=lambda y, a: 0.5 * (y - a) * (y - a),
        derivative=lambda y, a: -(y - a),
        formula=lambda y, a: ("½·(", y, " − ", a, ")²"),
        derivative_formula=lambda y, a: ("−(", y, " − ", a, ")"),
    ),
)
LOSSES.register(
    "bce",
    Loss(
        name="bce",
        title="binary cross-entropy",
        fn=_bce,
        derivative=lambda y, a: -y / a + (1.0 - y) / (1.0 - a),
        formula=lambda y, a: ("−[", y, "·ln(", a, ") + (1 − ", y, ")·ln(1 − ", a, ")]"),
        derivative_formula=lambda y, a: ("−", y, "/", a, " + (1 − ", y, ")/(1 − ", a, ")"),
        needs_probability=True,
    ),
)
