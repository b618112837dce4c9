"""Trajectories on 2-D test functions: convergence, saddle escape, divergence, user functions."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from optbench.core.errors import ConfigError
from optbench.landscape import (
    DEFAULT_GRID,
    FUNCTIONS,
    get_function,
    run_landscape,
    run_trajectories,
    to_json,
    to_markdown,
)
from optbench.landscape.figure import _title, colors_for
from optbench.optim import parse_optimizer


def bowl(p: torch.Tensor) -> torch.Tensor:
    """A user function: minimum 0 at (1, -0.5)."""
    return (p[0] - 1) ** 2 + 2 * (p[1] + 0.5) ** 2


def branchy_bowl(p: torch.Tensor) -> torch.Tensor:
    """Python control flow on values: vmap cannot batch it, so it runs point by point."""
    if p[0].detach() > 0:
        return (p[0] - 1) ** 2 + p[1] ** 2
    return (p[0] - 1) ** 2 + p[1] ** 2 + 0.0 * p[0]


def not_scalar(p: torch.Tensor) -> torch.Tensor:
    return p * 2


def nan_below_zero(p: torch.Tensor) -> torch.Tensor:
    """sqrt of a negative number is NaN: a trajectory crossing x = 0 diverges."""
    return torch.sqrt(p[0]) + p[1] ** 2


# (function, steps, optimizers that get there with a tuned lr)
CONVERGING = [
    ("rosenbrock", 2000, ["adam", "momentum"]),
    ("beale", 1000, ["adam", "momentum", "sgd"]),
    ("quadratic", 500, ["adam", "rmsprop", "momentum", "sgd"]),
]


@pytest.mark.parametrize(("name", "steps", "optimizers"), CONVERGING)
def test_tuned_optimizers_reach_the_known_minimum(
    name: str, steps: int, optimizers: list[str]
) -> None:
    result = run_landscape(name, optimizers, steps, lr_grid=DEFAULT_GRID)
    minimum = FUNCTIONS.get(name).minima[0]
    for run in result.runs:
        assert run.lr_source == "tuned" and run.lr in DEFAULT_GRID
        assert not run.diverged
        assert run.nearest_minimum == minimum
        assert run.distance < 1e-3, (run.label, run.lr, run.distance)
        assert run.steps_to_tol is not None
    assert result.lr_note == f"lr tuned over 9-point log grid (0.0001–1), {steps} steps each"


def test_tuning_gives_every_optimizer_the_same_budget_and_keeps_the_best() -> None:
    result = run_landscape(
        "quadratic", ["sgd", "adam", "rmsprop:lr=0.01"], 400, lr_grid=DEFAULT_GRID
    )
    sgd, adam, rms = result.runs
    assert [len(r.tuning) for r in (sgd, adam)] == [9, 9]
    assert [t.lr for t in sgd.tuning] == list(DEFAULT_GRID)
    assert rms.lr_source == "given" and rms.lr == 0.01 and rms.tuning == ()
    for run in (sgd, adam):
        best = min(t.steps_to_tol for t in run.tuning if t.steps_to_tol is not None)
        assert run.steps_to_tol == best
        assert len(run.trajectory.points) == 401
    assert "given for rmsprop" in result.lr_note and "400 steps each" in result.lr_note


def test_batched_runs_equal_separate_runs() -> None:
    func = get_function("beale")
    specs = [parse_optimizer(s) for s in ("adam:lr=0.1", "adam:lr=0.01", "momentum:lr=0.01")]
    together = run_trajectories(func, specs, 50)
    for spec, traj in zip(specs, together, strict=True):
        (alone,) = run_trajectories(func, [spec], 50)
        np.testing.assert_array_equal(alone.points, traj.points)


def test_saddle_has_no_minimum_and_escape_is_measured() -> None:
    result = run_landscape("saddle", ["sgd:lr=0.1", "adam:lr=0.05"], 200)
    assert result.function.minima == ()
    for run in result.runs:
        assert not run.diverged
        assert run.nearest_minimum is None and math.isnan(run.distance)
        assert run.escape_step is not None and 0 < run.escape_step < 200
        assert run.trajectory.stop == "escaped"
    md = to_markdown(result)
    assert "no minimum" in md and "escaped at" in md and "step " in md


def test_gradient_descent_on_the_stable_axis_never_escapes() -> None:
    func = get_function("saddle", start=(1.5, 0.0))  # exactly on y = 0: the gradient has no y part
    (run,) = run_landscape(func, ["sgd:lr=0.1"], 100).runs
    assert run.escape_step is None and run.trajectory.stop == ""
    assert np.allclose(run.trajectory.final_point, (0.0, 0.0), atol=1e-6)  # stuck at the saddle


def test_divergence_stops_the_trajectory_and_is_reported() -> None:
    result = run_landscape("rosenbrock", ["sgd:lr=0.1", "adam:lr=0.01"], 100)
    sgd, adam = result.runs
    assert sgd.diverged and 0 < sgd.trajectory.stop_step < 10
    assert np.isfinite(sgd.trajectory.points).all() and np.isfinite(sgd.trajectory.values).all()
    assert not adam.diverged and len(adam.trajectory.points) == 101
    doc = json.loads(to_json(result))  # no NaN/inf in the JSON
    assert (
        doc["runs"][0]["diverged"] is True
        and doc["runs"][0]["diverged_at"] == sgd.trajectory.stop_step
    )
    assert "| yes (step" in to_markdown(result)


def test_nan_from_the_function_counts_as_divergence() -> None:
    func = get_function(f"{__name__}:nan_below_zero", start=(0.5, 1.0))
    (run,) = run_landscape(func, ["sgd:lr=1.0"], 20).runs
    assert run.diverged and run.trajectory.stop_step == 1


def test_tuning_never_picks_a_diverged_lr() -> None:
    result = run_landscape("rosenbrock", ["sgd"], 100, lr_grid=DEFAULT_GRID)
    (run,) = result.runs
    assert any(t.diverged for t in run.tuning)
    assert not run.diverged and run.lr <= 0.01


def test_user_function_by_import_path() -> None:
    func = get_function(f"{__name__}:bowl", start=(-1.0, 1.0), minima=[(1.0, -0.5)])
    assert func.min_value == 0.0 and func.bounds is None
    result = run_landscape(func, ["adam:lr=0.1", "sgd:lr=0.1"], 300)
    for run in result.runs:
        assert run.distance < 1e-4 and run.steps_to_tol is not None


def test_user_function_without_vmap_support_and_without_minimum() -> None:
    func = get_function(f"{__name__}:branchy_bowl")
    assert func.start == (1.0, 1.0) and func.minima == ()
    (run,) = run_landscape(func, ["sgd:lr=0.1"], 50).runs
    assert run.final_value < 1e-6 and run.steps_to_tol is None and math.isnan(run.distance)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rosenbruck", "Unknown test function 'rosenbruck'. Did you mean 'rosenbrock'?"),
        ("himmelblaw", "Did you mean 'himmelblau'?"),
        ("no_such_module_xyz:f", "Cannot import module 'no_such_module_xyz'"),
        ("math:no_such_function", "math has no 'no_such_function' for the function"),
        ("bad path:f", "Bad function import path"),
        (f"{__name__}:not_scalar", "must return a scalar tensor"),
    ],
)
def test_bad_function_is_a_config_error(name: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        get_function(name)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"steps": 0}, "`steps` must be an integer between 1 and 100,000. Received: steps=0"),
        ({"tol": -1.0}, "`tol` must be > 0. Received: tol=-1.0"),
        ({"lr_grid": [0.1, 0.0]}, "`lr_grid` must hold learning rates > 0"),
        ({"clip": 0.0}, "`clip` must be > 0. Received: clip=0.0"),
        ({"optimizers": []}, "`optimizers` must name at least one optimizer"),
        ({"optimizers": ["adamm"]}, "Unknown optimizer 'adamm'. Did you mean 'adam'"),
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict, expected: str) -> None:
    args = {"function": "quadratic", "optimizers": ["sgd"], "steps": 5, **kwargs}
    with pytest.raises(ConfigError) as info:
        run_landscape(**args)
    assert expected in str(info.value)


def test_himmelblau_reports_the_nearest_of_four_minima() -> None:
    func = get_function("himmelblau", start=(-3.0, 3.5))
    (run,) = run_landscape(func, ["adam:lr=0.05"], 800).runs
    assert run.nearest_minimum == (-2.805118, 3.131312)
    assert run.distance < 1e-5


def test_clipping_bounds_every_step_and_is_labelled() -> None:
    result = run_landscape("rosenbrock", ["sgd:lr=0.1"], 50, clip=1.0)
    (run,) = result.runs
    steps = np.linalg.norm(np.diff(run.trajectory.points, axis=0), axis=1)
    assert not run.diverged and steps.max() <= 0.1 + 1e-12
    assert result.clip_note == "gradient norm clipped at 1" and "clipped at 1" in _title(result)
    assert "no gradient clipping" in _title(run_landscape("quadratic", ["sgd"], 2))


def test_each_optimizer_keeps_its_colour() -> None:
    a = run_landscape("quadratic", ["adam", "sgd"], 2).runs
    b = run_landscape("quadratic", ["sgd", "momentum", "adam", "adam:lr=0.1"], 2).runs
    ca, cb = colors_for(a), colors_for(b)
    assert ca[0] == cb[2] and ca[1] == cb[0]  # adam and sgd: the same colour in both figures
    assert len(set(cb)) == 4  # a second adam gets a colour of its own
