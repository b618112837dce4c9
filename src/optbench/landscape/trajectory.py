"""Run optimizers from a function's start point: one nn.Parameter of shape [2] per trajectory.

All trajectories of a run (every optimizer, and every learning rate of a tuning grid) advance
together: the function is evaluated once per step on the stacked points [n, 2], one backward
pass fills every gradient (the rows are independent), then each optimizer steps its own point.
A trajectory stops early when it diverges (NaN/inf, or |coordinate| > `max_abs`) or, for a
function without a minimum, when it has escaped far beyond the plotted region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from optbench.core.specs import OptimizerSpec, stable_json
from optbench.landscape.function import TestFunction
from optbench.optim import build_optimizer, resolve_optimizer

MAX_ABS = 1e6  # a coordinate beyond this counts as diverged


@dataclass(frozen=True)
class Trajectory:
    """The points one optimizer visited: `points` [k, 2] from the start, `values` [k].

    `stop` is "" when all steps ran, "diverged" or "escaped" otherwise; `stop_step` is the step
    at which it stopped (the points end at the last finite point before it).
    """

    spec: OptimizerSpec
    points: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    stop: str = ""
    stop_step: int | None = None

    @property
    def diverged(self) -> bool:
        return self.stop == "diverged"

    @property
    def final_point(self) -> tuple[float, float]:
        x, y = self.points[-1]
        return float(x), float(y)

    @property
    def final_value(self) -> float:
        return float(self.values[-1])


def run_trajectories(
    func: TestFunction,
    specs: Sequence[OptimizerSpec],
    steps: int,
    *,
    clip: float | None = None,
) -> list[Trajectory]:
    """`steps` updates of every optimizer in `specs`, each on its own copy of the start point."""
    start = torch.tensor(func.start, dtype=torch.float64)
    params = [torch.nn.Parameter(start.clone()) for _ in specs]
    optimizers = build_optimizers(specs, params)
    n = len(specs)
    points = np.full((steps + 1, n, 2), np.nan)
    values = np.full((steps + 1, n), np.nan)
    active = np.ones(n, dtype=bool)
    stops, stop_steps = [""] * n, [-1] * n
    for k in range(steps + 1):
        batch = torch.stack(params)  # [n, 2]
        out = func(batch)  # [n]
        stopped = _stopped(func, batch.detach().numpy(), out.detach().numpy(), active)
        for i, why in stopped.items():
            active[i], stops[i], stop_steps[i] = False, why, k
            with torch.no_grad():
                params[i].copy_(start)  # keep the batch finite; this point is never used again
        points[k, active] = batch.detach().numpy()[active]
        values[k, active] = out.detach().numpy()[active]
        if k == steps or not active.any():
            break
        _step(out, params, optimizers, active, clip)
    return [
        Trajectory(
            spec, *_kept(points[:, i], values[:, i]), stops[i], stop_steps[i] if stops[i] else None
        )
        for i, spec in enumerate(specs)
    ]


def _stopped(
    func: TestFunction, pts: np.ndarray, vals: np.ndarray, active: np.ndarray
) -> dict[int, str]:
    """Active trajectories that stop at this point, and why."""
    finite = np.isfinite(vals) & np.isfinite(pts).all(axis=1)
    out: dict[int, str] = {}
    far = _escape_box(func)
    for i in np.flatnonzero(active):
        if not finite[i]:
            out[int(i)] = "diverged"
        elif far is not None and (np.abs(pts[i]) > far).any():
            # Out by going down (the unstable direction) is an escape; out by going up is not.
            below = func.escape_below is None or vals[i] <= func.escape_below
            out[int(i)] = "escaped" if below else "diverged"
        elif np.abs(pts[i]).max() > MAX_ABS:
            out[int(i)] = "diverged"
    return out


def _escape_box(func: TestFunction) -> np.ndarray | None:
    """For a function without a minimum: |x|, |y| beyond twice the plot's extent is 'escaped'."""
    if func.minima or func.bounds is None:
        return None
    (x0, x1), (y0, y1) = func.bounds
    return 2 * np.array([max(abs(x0), abs(x1)), max(abs(y0), abs(y1))])


def build_optimizers(
    specs: Sequence[OptimizerSpec], params: list[torch.nn.Parameter]
) -> list[torch.optim.Optimizer]:
    """One optimizer per distinct spec-without-lr, with one param group (own lr) per point.

    Grouping only saves Python overhead (a learning-rate grid steps in one call); every point
    still has its own parameter, state and learning rate, exactly as if built alone.
    """
    groups: dict[str, tuple[OptimizerSpec, list[dict[str, Any]]]] = {}
    for spec, p in zip(specs, params, strict=True):
        resolved = resolve_optimizer(spec)  # checks each spec (and its lr) on its own
        if "lr" not in resolved.hparams:
            groups[f"#{len(groups)}"] = (resolved, [{"params": [p]}])
            continue
        rest = {k: v for k, v in resolved.hparams.items() if k != "lr"}
        key = stable_json([resolved.name, resolved.profile, rest])
        groups.setdefault(key, (resolved, []))[1].append(
            {"params": [p], "lr": resolved.hparams["lr"]}
        )
    return [build_optimizer(spec, param_groups) for spec, param_groups in groups.values()]


def _step(
    out: torch.Tensor,
    params: list[torch.nn.Parameter],
    optimizers: list[torch.optim.Optimizer],
    active: np.ndarray,
    clip: float | None,
) -> None:
    for p in params:
        p.grad = None
    out[torch.from_numpy(active)].sum().backward()  # rows are independent: one pass for all
    for i, p in enumerate(params):
        if not active[i]:
            p.grad = None  # a stopped point is skipped by every optimizer
        elif clip is not None:
            torch.nn.utils.clip_grad_norm_([p], clip)
    for opt in optimizers:
        opt.step()


def _kept(points: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The recorded prefix (rows before the trajectory stopped)."""
    keep = np.isfinite(values)
    n = int(np.argmin(keep)) if not keep.all() else len(values)
    return points[:n].copy(), values[:n].copy()
