"""The best learning rate at the edge of its grid: `tune.lr_at_edge`, with a wider grid.

A search that picks the largest (or smallest) learning rate it tried cannot show that a rate
beyond would not be better, so the optimizer may have been compared at a handicap. Raised
after `--tune lr` chose its rates (`lr_edge_findings`, recorded by the driver) and after
`optbench landscape --tune-lr` (`landscape_edge_findings`, printed by the command); the fix
spells out the wider grid in the form the user writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from optbench.core.grid import Edge, widen
from optbench.core.specs import Finding, StudySpec
from optbench.diagnose.codes import CODES
from optbench.diagnose.numbers import sig
from optbench.landscape import LandscapeResult
from optbench.plan.tune import lrs_at_edge


def lr_edge_findings(study: StudySpec, lrs: dict[str, float]) -> list[Finding]:
    """tune.lr_at_edge for each optimizer whose chosen lr (`lrs`, label → lr, as
    plan.choose_lrs returns it) is the largest or smallest value of `study.lr_grid`."""
    return [
        edge_finding(label, lrs[label], study.lr_grid, side, as_lr_grid)
        for label, side in lrs_at_edge(study, lrs).items()
    ]


def edge_finding(
    label: str,
    lr: float,
    grid: Sequence[float],
    side: Edge,
    write: Callable[[tuple[float, ...]], str],
) -> Finding:
    """The finding for one optimizer tuned to an edge of `grid`; `write` spells the wider grid
    as the user gives it (`as_lr_grid` for a study file, `as_lr_range` for the command line)."""
    extreme = "largest" if side == "high" else "smallest"
    beyond = "above" if side == "high" else "below"
    message = (
        f"{label}: the best learning rate of the search, {sig(lr)}, is the {extreme} value of "
        f"the grid ({sig(min(grid))} … {sig(max(grid))}): the best may lie {beyond} it, so "
        "this optimizer may have been compared at a handicap."
    )
    fix = f"Widen the grid {beyond} {sig(lr)} and tune again: {write(widen(grid, side))}."
    info = CODES.get("tune.lr_at_edge")
    return Finding(code=info.code, severity=info.severity, message=message, fix=fix)


def landscape_edge_findings(result: LandscapeResult) -> list[Finding]:
    """tune.lr_at_edge for each tuned optimizer of a landscape whose lr is a grid edge; the
    fix gives the wider `--lr-range`."""
    return [
        edge_finding(run.label, run.lr, [t.lr for t in run.tuning], run.lr_edge, as_lr_range)
        for run in result.runs
        if run.lr_edge is not None and run.lr is not None
    ]


def as_lr_grid(grid: tuple[float, ...]) -> str:
    """`lr_grid = [0.0001, 0.001, …]`, as a study file writes it."""
    return f"lr_grid = [{', '.join(sig(v, 2) for v in grid)}]"


def as_lr_range(grid: tuple[float, ...]) -> str:
    """`--lr-range 0.0001,10`, as `optbench landscape` takes it (the grid's ends)."""
    return f"--lr-range {sig(grid[0], 2)},{sig(grid[-1], 2)}"
