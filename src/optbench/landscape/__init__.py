"""optbench.landscape — optimizer trajectories on 2-D test functions (the seed's "chart").

>>> from optbench.landscape import run_landscape
>>> result = run_landscape("quadratic", ["sgd:lr=0.03", "adam:lr=0.1"], steps=500)
>>> [round(run.distance, 3) for run in result.runs]
[0.0, 0.0]
"""

from __future__ import annotations

from optbench.core.lazy import lazy_names
from optbench.landscape.function import FUNCTIONS, TestFunction, get_function
from optbench.landscape.run import DEFAULT_TOL, LandscapeResult, Run, TuningPoint, run_landscape
from optbench.landscape.table import result_rows, to_json, to_markdown, to_table
from optbench.landscape.trajectory import Trajectory, run_trajectories
from optbench.landscape.tune import DEFAULT_GRID, log_grid

__all__ = [
    "DEFAULT_GRID",
    "DEFAULT_TOL",
    "FUNCTIONS",
    "LandscapeResult",
    "Run",
    "TestFunction",
    "Trajectory",
    "TuningPoint",
    "animate_landscape",
    "get_function",
    "log_grid",
    "plot_landscape",
    "result_rows",
    "run_landscape",
    "run_trajectories",
    "to_json",
    "to_markdown",
    "to_table",
]


# The figures need matplotlib (~0.4 s to import): loaded when first asked for, so the CLI,
# which imports this package for every command, does not pay it at start-up.
__getattr__, __dir__ = lazy_names(
    __name__, {"optbench.landscape.figure": ("animate_landscape", "plot_landscape")}
)
