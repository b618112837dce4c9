"""`optbench landscape`: optimizer trajectories on a 2-D test function (table, PNG, GIF).

    optbench landscape --function rosenbrock --optimizers sgd,momentum,adam,rmsprop \\
        --steps 500 --tune-lr --out runs/landscape
    optbench landscape --function beale --optimizers "adam:lr=0.05,betas=0.9,0.99,sgd:lr=0.01"
    optbench landscape --function mypkg.funcs:bowl --start 2,2 --minimum 0,0 --format json

The trajectories run on torch: the command imports it when it runs, so `--help` answers
without it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from optbench.cli.paths import out_folder
from optbench.core.errors import ConfigError
from optbench.core.startup import collector_paused
from optbench.store.folder import check_study_folder, folder_error

if TYPE_CHECKING:
    from optbench.landscape import LandscapeResult

# The registered test functions, for --help without importing them (they are torch code);
# tests/landscape/test_landscape_cmd.py checks this list against the registry.
FUNCTION_NAMES = ("rosenbrock", "beale", "rastrigin", "himmelblau", "saddle", "quadratic")

MAX_LR_POINTS = 100  # a finer grid than this says nothing more, and each point is a full run


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


class ProfileName(StrEnum):
    torch = "torch"
    keras = "keras"


def register(app: typer.Typer) -> None:
    """Add the `landscape` command to the optbench app."""
    app.command("landscape")(landscape)


def landscape(
    function: str = typer.Option(
        "rosenbrock",
        "--function",
        "-f",
        help=f"A test function ({', '.join(FUNCTION_NAMES)}) or your own 'module:function' "
        "(takes a float64 tensor of shape [2], returns a scalar).",
    ),
    optimizers: str = typer.Option(
        "sgd,momentum,adam,rmsprop",
        "--optimizers",
        "-o",
        help="Comma-separated optimizers, each optionally with hyperparameters: "
        "'sgd,adam:lr=0.05,betas=0.9,0.99'.",
    ),
    steps: int = typer.Option(500, "--steps", help="Steps per run (every optimizer the same)."),
    tune_lr: bool = typer.Option(
        False,
        "--tune-lr",
        help="Tune the lr of every optimizer whose spec gives none, over the same log grid "
        "with the same step budget. Without it they use their profile's default lr.",
    ),
    lr_range: str = typer.Option("1e-4,1", "--lr-range", help="Grid ends for --tune-lr."),
    lr_points: int = typer.Option(
        9, "--lr-points", min=2, max=MAX_LR_POINTS, help="Grid points for --tune-lr."
    ),
    tol: float = typer.Option(1e-6, "--tol", help="Converged once f − f* stays ≤ tol."),
    clip: float | None = typer.Option(
        None, "--clip", help="Clip each gradient's norm to this (off unless given)."
    ),
    start: str | None = typer.Option(None, "--start", help="Start point 'x,y'."),
    minimum: str | None = typer.Option(
        None, "--minimum", help="Known minima of your function: 'x,y' or 'x1,y1;x2,y2'."
    ),
    bounds: str | None = typer.Option(None, "--bounds", help="Plot bounds 'xmin,xmax,ymin,ymax'."),
    profile: ProfileName = typer.Option(
        ProfileName.torch, "--profile", help="Optimizer defaults and update rules."
    ),
    out: str | None = typer.Option(
        None, "--out", help="Folder for the PNG, GIF and JSON (nothing is written without it)."
    ),
    gif: bool = typer.Option(True, "--gif/--no-gif", help="With --out: also write the GIF."),
    fmt: Format = typer.Option(Format.table, "--format", help="How to print the table."),
) -> None:
    """Run optimizers from a 2-D function's start point; compare and draw their paths."""
    folder = out_folder(out)
    if folder is not None:
        check_study_folder(folder, study=False)  # before any step is run
    with collector_paused():
        from optbench.landscape import (
            get_function,
            log_grid,
            run_landscape,
            to_json,
            to_markdown,
            to_table,
        )
        from optbench.optim import parse_optimizer, split_optimizer_list

    specs = [parse_optimizer(text, profile.value) for text in split_optimizer_list(optimizers)]
    func = get_function(
        function,
        start=_pair(start, "--start") if start else None,
        bounds=_bounds(bounds) if bounds else None,
        minima=[_pair(p, "--minimum") for p in minimum.split(";")] if minimum else None,
    )
    grid = log_grid(*_pair(lr_range, "--lr-range"), lr_points) if tune_lr else None
    result = run_landscape(func, specs, steps, grid, tol, clip=clip, profile=profile.value)
    if fmt is Format.table:
        Console().print(to_table(result))
    elif fmt is Format.markdown:
        typer.echo(to_markdown(result), nl=False)
    else:
        typer.echo(to_json(result), nl=False)
    _edge_notes(result)
    if folder is not None:
        try:
            _write(result, folder, gif)
        except OSError as exc:  # a file in the way, read-only media, a full disk
            raise folder_error(folder, exc) from exc


def _edge_notes(result: LandscapeResult) -> None:
    """A tuned lr at the edge of its grid, with a wider --lr-range (on stderr: stdout stays
    the table or the JSON)."""
    from optbench.diagnose import landscape_edge_findings

    err = Console(stderr=True, soft_wrap=True)
    for f in landscape_edge_findings(result):
        err.print(f"[yellow]{f.severity}[/] {f.code}: {f.message} Fix: {f.fix}", highlight=False)


def _write(result: LandscapeResult, out: Path, gif: bool) -> None:
    """PNG, GIF and JSON into `out`; their paths go to stderr (stdout stays the table)."""
    # Imported here: matplotlib costs ~0.4 s, which every other command would pay at start-up.
    from optbench.landscape import to_json
    from optbench.landscape.figure import animate_landscape, plot_landscape

    stem = "landscape-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", result.function.name)
    out.mkdir(parents=True, exist_ok=True)
    written = [plot_landscape(result, out / f"{stem}.png")]
    if gif:
        written.append(animate_landscape(result, out / f"{stem}.gif"))
    json_path = out / f"{stem}.json"
    json_path.write_text(to_json(result))
    written.append(json_path)
    err = Console(stderr=True)
    for path in written:
        err.print(f"wrote {path}", highlight=False, markup=False)


def _pair(text: str, flag: str) -> tuple[float, float]:
    values = _floats(text, flag)
    if len(values) != 2:
        raise ConfigError(f"`{flag}` must be two numbers 'a,b'. Received: {flag}={text!r}")
    return values[0], values[1]


def _bounds(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    v = _floats(text, "--bounds")
    if len(v) != 4 or not (v[0] < v[1] and v[2] < v[3]):
        raise ConfigError(
            f"`--bounds` must be 'xmin,xmax,ymin,ymax' with min < max. Received: --bounds={text!r}"
        )
    return (v[0], v[1]), (v[2], v[3])


def _floats(text: str, flag: str) -> list[float]:
    try:
        return [float(p) for p in text.split(",")]
    except ValueError:
        raise ConfigError(
            f"`{flag}` must be comma-separated numbers. Received: {flag}={text!r}"
        ) from None
