"""Activations for the by-hand explainer: value, derivative, and both written as formulas.

Plain Python floats on purpose: this is the arithmetic a student does on paper. The
derivative is written in terms of the output where that is the usual textbook form
(σ' = a(1 − a), tanh' = 1 − a²). ReLU's derivative at exactly 0 is 0, as in torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from optbench.core.registry import Registry
from optbench.explain.symbol import Formula, Sym


@dataclass(frozen=True)
class Activation:
    """An activation a = f(z): `fn(z)`, `derivative(z, a)` = da/dz, and their formulas."""

    name: str
    fn: Callable[[float], float]
    derivative: Callable[[float, float], float]
    formula: Callable[[Sym], Formula]
    derivative_formula: Callable[[Sym, Sym], Formula]


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^−z), computed without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


ACTIVATIONS: Registry[Activation] = Registry("activation")

ACTIVATIONS.register(
    "sigmoid",
    Activation(
        name="sigmoid",
        fn=sigmoid,
        derivative=lambda z, a: a * (1.0 - a),
        formula=lambda z: ("σ(", z, ")"),
        derivative_formula=lambda z, a: (a, "·(1 − ", a, ")"),
    ),
)
ACTIVATIONS.register(
    "tanh",
    Activation(
        name="tanh",
        fn=math.tanh,
        derivative=lambda z, a: 1.0 - a * a,
        formula=lambda z: ("tanh(", z, ")"),
        derivative_formula=lambda z, a: ("1 − ", a, "²"),
    ),
)
ACTIVATIONS.register(
    "relu",
    Activation(
        name="relu",
        fn=lambda z: max(0.0, z),
        derivative=lambda z, a: 1.0 if z > 0 else 0.0,
        formula=lambda z: ("max(0, ", z, ")"),
        derivative_formula=lambda z, a: ("1 if ", z, " > 0 else 0"),
    ),
)
ACTIVATIONS.register(
    "linear",
    Activation(
        name="linear",
        fn=lambda z: z,
        derivative=lambda z, a: 1.0,
        formula=lambda z: (z,),
        derivative_formula=lambda z, a: ("1",),
    ),
)
