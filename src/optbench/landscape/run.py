"""run_landscape: optimizers on a 2-D test function, learning rates given or tuned fairly.

Each optimizer's learning rate is either given in its spec (`adam:lr=0.05`), tuned over a
shared grid (`lr_grid`: every tuned optimizer gets the same grid and the same step budget), or
left at the profile default. Every run of every optimizer happens in one batched pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from optbench.core.errors import ConfigError
from optbench.core.grid import Edge, edge_of
from optbench.core.specs import OptimizerSpec, Profile
from optbench.landscape.function import Point, TestFunction, get_function
from optbench.landscape.trajectory import Trajectory, run_trajectories
from optbench.landscape.tune import escape_step, pick_best, settle_step
from optbench.optim import parse_optimizer, resolve_optimizer

LrSource = Literal["given", "tuned", "default"]
DEFAULT_TOL = 1e-6
# Limits, checked before any step: every step of every run is kept (for the figures), so
# `--steps 1e9` would run for hours and fill the memory. 100,000 steps is 200× the default.
MAX_STEPS = 100_000
MAX_RUNS = 1_000  # optimizers × learning rates tried


@dataclass(frozen=True)
class TuningPoint:
    """One learning rate of the grid search and how its run ended."""

    lr: float
    final_value: float
    steps_to_tol: int | None
    diverged: bool


@dataclass(frozen=True)
class Run:
    """One optimizer's kept trajectory and what it achieved."""

    label: str
    spec: OptimizerSpec
    lr: float | None
    lr_source: LrSource
    trajectory: Trajectory
    steps_to_tol: int | None
    distance: float
    nearest_minimum: Point | None
    escape_step: int | None
    tuning: tuple[TuningPoint, ...] = ()
    # A tuned lr that is the grid's largest or smallest value: the best may lie beyond it.
    lr_edge: Edge | None = None

    @property
    def diverged(self) -> bool:
        return self.trajectory.diverged

    @property
    def final_value(self) -> float:
        return self.trajectory.final_value


@dataclass(frozen=True)
class LandscapeResult:
    """Every optimizer's run on one function, and how the comparison was set up."""

    function: TestFunction
    runs: tuple[Run, ...]
    steps: int
    tol: float
    lr_grid: tuple[float, ...] | None = None
    clip: float | None = None

    @property
    def lr_note(self) -> str:
        """How learning rates were chosen, for titles and reports."""
        return lr_note(self.runs, self.lr_grid, self.steps)

    @property
    def clip_note(self) -> str:
        return f"gradient norm clipped at {self.clip:g}" if self.clip is not None else ""


def run_landscape(
    function: str | TestFunction,
    optimizers: Sequence[OptimizerSpec | str],
    steps: int = 500,
    lr_grid: Sequence[float] | None = None,
    tol: float = DEFAULT_TOL,
    *,
    clip: float | None = None,
    profile: Profile = "torch",
) -> LandscapeResult:
    """Run every optimizer from the function's start for `steps` steps.

    Optimizers without an `lr` in their spec are tuned over `lr_grid` when it is given (the
    run that settles within `tol` of the minimum soonest wins, else the lowest final value);
    otherwise they use their profile's default lr. `clip` clips each step's gradient norm.
    """
    func = get_function(function) if isinstance(function, str) else function
    specs = [parse_optimizer(o, profile) if isinstance(o, str) else o for o in optimizers]
    grid = tuple(float(v) for v in lr_grid) if lr_grid is not None else None
    _check(specs, steps, grid, tol, clip)
    plans = [_plan(spec, grid) for spec in specs]
    flat = [candidate for _, candidates in plans for candidate in candidates]
    trajectories = iter(run_trajectories(func, flat, steps, clip=clip))
    labels = _labels(specs)
    runs = []
    for label, (source, candidates) in zip(labels, plans, strict=True):
        tried = [next(trajectories) for _ in candidates]
        runs.append(_run(label, func, source, candidates, tried, tol))
    return LandscapeResult(func, tuple(runs), steps, tol, grid if _any_tuned(runs) else None, clip)


def _plan(
    spec: OptimizerSpec, grid: tuple[float, ...] | None
) -> tuple[LrSource, list[OptimizerSpec]]:
    """Which runs an optimizer gets: one per grid lr (tuned), or just itself."""
    if "lr" in spec.hparams:
        return "given", [spec]
    if grid is None:
        return "default", [spec]
    return "tuned", [
        OptimizerSpec(spec.name, {**spec.hparams, "lr": lr}, spec.profile) for lr in grid
    ]


def _run(
    label: str,
    func: TestFunction,
    source: LrSource,
    candidates: list[OptimizerSpec],
    tried: list[Trajectory],
    tol: float,
) -> Run:
    best = pick_best(tried, func, tol) if len(tried) > 1 else 0
    traj, spec = tried[best], candidates[best]
    nearest, distance = (
        func.nearest_minimum(traj.final_point) if len(traj.points) else (None, math.nan)
    )
    tuning = (
        tuple(
            TuningPoint(
                float(c.hparams["lr"]),
                t.final_value,
                settle_step(t, func.min_value, tol),
                t.diverged,
            )
            for c, t in zip(candidates, tried, strict=True)
        )
        if source == "tuned"
        else ()
    )
    lr = resolve_optimizer(spec).hparams.get("lr")
    edge = edge_of([t.lr for t in tuning], float(spec.hparams["lr"])) if tuning else None
    return Run(
        label,
        spec,
        None if lr is None else float(lr),
        source,
        traj,
        settle_step(traj, func.min_value, tol),
        distance,
        nearest,
        escape_step(traj, func),
        tuning,
        edge,
    )


def _labels(specs: list[OptimizerSpec]) -> list[str]:
    """The optimizer's name; its full label when two runs share a name; unique in any case."""
    names = [s.name for s in specs]
    labels = [s.name if names.count(s.name) == 1 else s.label for s in specs]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def _any_tuned(runs: list[Run]) -> bool:
    return any(r.lr_source == "tuned" for r in runs)


def lr_note(runs: Sequence[Run], grid: tuple[float, ...] | None, steps: int) -> str:
    """'lr tuned over 9-point log grid (0.0001–1), 500 steps each', 'lr given', or a mix."""
    by_source: dict[str, list[str]] = {}
    for r in runs:
        by_source.setdefault(r.lr_source, []).append(r.label)
    phrases = {
        "tuned": _grid_phrase(grid, steps) if grid else "lr tuned",
        "given": "lr given",
        "default": "default lr",
    }
    if len(by_source) == 1:
        return phrases[next(iter(by_source))]
    return "; ".join(f"{phrases[s]} for {', '.join(labels)}" for s, labels in by_source.items())


def _grid_phrase(grid: tuple[float, ...], steps: int) -> str:
    logs = np.log(np.array(grid))
    kind = "log grid" if len(grid) > 2 and np.allclose(np.diff(logs), logs[1] - logs[0]) else "grid"
    return (
        f"lr tuned over {len(grid)}-point {kind} ({min(grid):g}–{max(grid):g}), {steps} steps each"
    )


def _check(
    specs: list[OptimizerSpec],
    steps: int,
    grid: tuple[float, ...] | None,
    tol: float,
    clip: float | None,
) -> None:
    problems = []
    if not specs:
        problems.append("`optimizers` must name at least one optimizer. Received: []")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
        problems.append(
            f"`steps` must be an integer between 1 and {MAX_STEPS:,}. Received: steps={steps}"
        )
    if grid is not None and (not grid or not all(math.isfinite(v) and v > 0 for v in grid)):
        problems.append(f"`lr_grid` must hold learning rates > 0. Received: lr_grid={list(grid)}")
    runs = sum(len(grid) if grid and "lr" not in s.hparams else 1 for s in specs)
    if runs > MAX_RUNS:
        problems.append(
            f"at most {MAX_RUNS:,} runs (optimizers × learning rates tried). Received: {runs:,} "
            "runs; use fewer optimizers or --lr-points"
        )
    if not (math.isfinite(tol) and tol > 0):
        problems.append(f"`tol` must be > 0. Received: tol={tol}")
    if clip is not None and not (math.isfinite(clip) and clip > 0):
        problems.append(f"`clip` must be > 0. Received: clip={clip}")
    if problems:
        raise ConfigError.collect(problems, source="landscape settings")
