"""Grids of hyperparameter values: where a chosen value sits, and a wider grid past an edge.

A search that picks the largest (or smallest) value it tried cannot tell whether a value
beyond it would be better: the grid may be too narrow. `edge_of` says which edge a chosen
value sits on; `widen` continues the grid past that edge with its own (geometric) spacing.

    >>> edge_of((1e-3, 1e-2, 1e-1), 0.1)
    'high'
    >>> [round(v, 6) for v in widen((1e-3, 1e-2, 1e-1), "high")]
    [0.001, 0.01, 0.1, 1.0, 10.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

Edge = Literal["low", "high"]
EXTRA_POINTS = 2  # how far past the edge a wider grid reaches, in grid steps


def edge_of(grid: Sequence[float], chosen: float) -> Edge | None:
    """ "high" if `chosen` is the grid's largest value, "low" if its smallest, else None (a
    grid of fewer than two distinct values has no inside)."""
    values = sorted(set(grid))
    if len(values) < 2:
        return None
    if math.isclose(chosen, values[-1], rel_tol=1e-9):
        return "high"
    if math.isclose(chosen, values[0], rel_tol=1e-9):
        return "low"
    return None


def widen(grid: Sequence[float], side: Edge, points: int = EXTRA_POINTS) -> tuple[float, ...]:
    """`grid` (sorted) with `points` more values past `side`, spaced by the grid's mean
    geometric step (×10 for a grid of one value)."""
    values = sorted(set(grid))
    step = (values[-1] / values[0]) ** (1 / (len(values) - 1)) if len(values) > 1 else 10.0
    if side == "high":
        return (*values, *(values[-1] * step**k for k in range(1, points + 1)))
    return (*(values[0] / step**k for k in range(points, 0, -1)), *values)
