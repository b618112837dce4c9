"""Learning-rate search with an equal budget: every tuned optimizer gets the same log grid of
learning rates and the same number of steps per run; the best run is kept.

"Best" = settles within `tol` of the minimum value soonest; if no run does, the lowest final
value. For a function without a minimum: escapes soonest, then the lowest final value.
Diverged runs are never picked (unless every run diverged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from optbench.core.errors import ConfigError
from optbench.landscape.function import TestFunction
from optbench.landscape.trajectory import Trajectory

DEFAULT_GRID_POINTS = 9
DEFAULT_GRID = tuple(float(v) for v in np.logspace(-4, 0, DEFAULT_GRID_POINTS))


def log_grid(
    low: float = 1e-4, high: float = 1.0, points: int = DEFAULT_GRID_POINTS
) -> tuple[float, ...]:
    """`points` learning rates evenly spaced in log between `low` and `high` (inclusive)."""
    if not all(math.isfinite(v) and v > 0 for v in (low, high)):
        raise ConfigError(
            f"`lr_range` must be two learning rates > 0. Received: lr_range={low:g},{high:g}"
        )
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ConfigError(f"`lr_points` must be an integer >= 2. Received: lr_points={points}")
    return tuple(float(v) for v in np.logspace(math.log10(low), math.log10(high), points))


def settle_step(traj: Trajectory, min_value: float | None, tol: float) -> int | None:
    """The first step after which f − f* stays ≤ tol to the end; None if it never settles."""
    if min_value is None or traj.diverged or len(traj.values) == 0:
        return None
    above = np.flatnonzero(traj.values - min_value > tol)
    if len(above) == 0:
        return 0
    last = int(above[-1])
    return None if last == len(traj.values) - 1 else last + 1


def escape_step(traj: Trajectory, func: TestFunction) -> int | None:
    """The first step at which the value fell to `func.escape_below` (saddle escape)."""
    if func.escape_below is None:
        return None
    below = np.flatnonzero(traj.values <= func.escape_below)
    if len(below):
        return int(below[0])
    return traj.stop_step if traj.stop == "escaped" else None


def score(traj: Trajectory, func: TestFunction, tol: float) -> tuple[float, float, float]:
    """Lower is better; compares runs of one optimizer at different learning rates."""
    final = traj.final_value if len(traj.values) else math.inf
    if traj.diverged:
        return (2.0, math.inf, math.inf)
    if func.min_value is None:
        esc = escape_step(traj, func)
        return (0.0, float(esc), final) if esc is not None else (1.0, final, 0.0)
    settled = settle_step(traj, func.min_value, tol)
    gap = final - func.min_value
    return (0.0, float(settled), gap) if settled is not None else (1.0, gap, 0.0)


def pick_best(runs: Sequence[Trajectory], func: TestFunction, tol: float) -> int:
    """Index of the best run (ties go to the smaller learning rate, listed first)."""
    scores = [score(t, func, tol) for t in runs]
    return min(range(len(runs)), key=lambda i: scores[i])
