"""What the study file alone shows, before any data is read or model built.

- `fairness.reused_model`: every optimizer continues the previous one's model (the homework's
  loop), so later optimizers start trained;
- `tune.lr_grid_narrow`: a learning-rate search over fewer than 3 values or less than a
  factor of 10 cannot locate the best rate.

The driver records these with the study's data findings; `optbench doctor` prints them
without training. After the search, grid_edge.py says whether the chosen rates sit at an
edge of the grid.
"""

from __future__ import annotations

from collections.abc import Sequence

from optbench.core.specs import Finding, StudySpec
from optbench.diagnose.codes import CODES
from optbench.diagnose.numbers import sig

# A grid that can locate a best learning rate: at least 3 values spanning at least 10×.
GRID_MIN_POINTS = 3
GRID_MIN_SPAN = 10.0


def check_study_design(study: StudySpec) -> list[Finding]:
    """Findings about the study's design itself (no trial, no epoch)."""
    return [*_reused_model(study), *_narrow_grid(study)]


def _reused_model(study: StudySpec) -> list[Finding]:
    if not (study.reuse_model and len(study.optimizers) > 1):
        return []
    message = (
        "Each optimizer continued training the previous optimizer's model (reuse_model = "
        "true), as the homework did: later optimizers start from trained weights, so their "
        "curves and final numbers are not comparable."
    )
    return [_finding("fairness.reused_model", message)]


def _narrow_grid(study: StudySpec) -> list[Finding]:
    grid = sorted(set(study.lr_grid))
    if not study.tune or not grid:
        return []
    span = grid[-1] / grid[0]
    if len(grid) >= GRID_MIN_POINTS and span >= GRID_MIN_SPAN:
        return []
    message = (
        f"The learning-rate grid has {len(grid)} value(s) spanning {sig(span)}× "
        f"({_values(grid)}): too few, or too close together, to locate the best learning rate "
        f"(at least {GRID_MIN_POINTS} values over {sig(GRID_MIN_SPAN)}× are needed)."
    )
    return [_finding("tune.lr_grid_narrow", message)]


def _values(grid: Sequence[float]) -> str:
    return ", ".join(sig(v) for v in grid)


def _finding(code: str, message: str) -> Finding:
    info = CODES.get(code)
    return Finding(code=code, severity=info.severity, message=message, fix=info.fix)
