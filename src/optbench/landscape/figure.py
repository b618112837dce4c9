"""Figures of a landscape run: a contour plot with every trajectory (PNG) and an animation (GIF).

Matplotlib's object API with the Agg canvas (no pyplot, no global state, no display needed).
Each optimizer keeps one colour everywhere: its position in the optimizer registry picks it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from optbench.core.palette import PALETTE
from optbench.landscape.function import Bounds, TestFunction
from optbench.landscape.run import LandscapeResult, Run
from optbench.optim import OPTIMIZERS

MINIMUM_COLOR = "#ffd700"  # gold
GRID = 240  # contour resolution per axis
MAX_FRAMES = 60


def colors_for(runs: tuple[Run, ...]) -> list[str]:
    """Colour by the optimizer's registry position; a repeat or unknown name takes a free one."""
    names = OPTIMIZERS.names()
    used: list[str] = []
    for run in runs:
        name = run.spec.name
        wanted = PALETTE[names.index(name) % len(PALETTE)] if name in names else None
        if wanted is None or wanted in used:
            wanted = next((c for c in PALETTE if c not in used), PALETTE[len(used) % len(PALETTE)])
        used.append(wanted)
    return used


def plot_landscape(result: LandscapeResult, path: str | Path, *, dpi: int = 120) -> Path:
    """Contour plot with one trajectory per optimizer, start and minima marked; saved as PNG."""
    fig, artists = _draw(result, figsize=(10.0, 6.4))
    _show_until(result, artists, result.steps)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def animate_landscape(
    result: LandscapeResult,
    path: str | Path,
    *,
    frames: int = MAX_FRAMES,
    fps: int = 12,
    dpi: int = 80,
) -> Path:
    """The trajectories growing step by step, as a looping GIF of at most `frames` frames.

    Frames are spaced quadratically in the step count: the early steps, where optimizers
    differ most, get most of the frames.
    """
    frames = max(2, min(frames, result.steps + 1))
    fig, artists = _draw(result, figsize=(8.0, 5.2), dpi=dpi)
    ax = fig.axes[0]
    step_text = ax.text(
        0.02,
        0.02,
        "",
        transform=ax.transAxes,
        fontsize=10,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )
    moving = [step_text, *(a for pair in artists for a in pair)]
    for artist in moving:
        artist.set_animated(True)  # drawn per frame over a background rendered once
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    rgb = []
    for f in range(frames):
        k = round(result.steps * (f / (frames - 1)) ** 2)
        _show_until(result, artists, k)
        step_text.set_text(f"step {k}")
        canvas.restore_region(background)
        for artist in moving:
            ax.draw_artist(artist)
        rgb.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    # One palette for all frames (from the last, fullest one): unchanged pixels stay identical,
    # so the GIF encoder stores only what moved.
    palette = _palette(rgb[-1])
    images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [round(1000 / fps)] * (frames - 1) + [2000]  # pause on the last frame
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    return path


def _palette(image: Image.Image) -> Image.Image:
    """An adaptive GIF palette that also holds the exact line and marker colours."""
    exact = [*PALETTE, MINIMUM_COLOR, "#000000", "#ffffff"]
    adaptive = image.quantize(colors=256 - len(exact), method=Image.Quantize.MEDIANCUT)
    colors = (adaptive.getpalette() or [])[: 3 * (256 - len(exact))]
    colors += [round(255 * c) for hex_color in exact for c in to_rgb(hex_color)]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colors)
    return palette


def _show_until(result: LandscapeResult, artists: list[tuple[Line2D, Line2D]], k: int) -> None:
    """Each run's path up to step k, with its marker on the latest point."""
    for run, (line, head) in zip(result.runs, artists, strict=True):
        pts = run.trajectory.points[: k + 1]
        line.set_data(pts[:, 0], pts[:, 1])
        head.set_data(pts[-1:, 0], pts[-1:, 1])


def _draw(
    result: LandscapeResult, figsize: tuple[float, float], dpi: int = 100
) -> tuple[Figure, list[tuple[Line2D, Line2D]]]:
    """The static parts (contours, start, minima, titles, legend) and one empty line per run."""
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    func = result.function
    bounds = _bounds(result)
    _contours(ax, func, bounds)
    artists = []
    for run, color in zip(result.runs, colors_for(result.runs), strict=True):
        (line,) = ax.plot([], [], "-", color=color, lw=2.0, alpha=0.95, label=_legend(run))
        marker = "X" if run.diverged else "o"
        (head,) = ax.plot([], [], marker, color=color, ms=8, mec="black", mew=0.8)
        artists.append((line, head))
    ax.plot(*func.start, "o", color="white", mec="black", mew=1.5, ms=10, label="start", zorder=5)
    if func.minima:
        mx, my = zip(*func.minima, strict=True)
        label = "minimum" if len(func.minima) == 1 else f"minima ({len(func.minima)})"
        ax.plot(
            mx, my, "*", color=MINIMUM_COLOR, mec="black", mew=1.0, ms=17, label=label, zorder=5
        )
    ax.set_xlim(*bounds[0])
    ax.set_ylim(*bounds[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(_title(result), fontsize=11, loc="left")
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=9,
        frameon=False,
        title=f"{result.steps} steps each",
        title_fontsize=9,
        alignment="left",
    )
    return fig, artists


def _title(result: LandscapeResult) -> str:
    func = result.function
    head = f"{func.title}: " + ("no minimum (saddle); " if not func.minima else "")
    notes = [result.lr_note, result.clip_note or "no gradient clipping"]
    return f"{head}{result.steps} steps from ({func.start[0]:g}, {func.start[1]:g})\n" + "; ".join(
        notes
    )


def _legend(run: Run) -> str:
    lr = f"lr={run.lr:.3g}" if run.lr is not None else "lr n/a"
    text = f"{run.label}  {lr} ({run.lr_source})"
    if run.diverged:
        return f"{text}\n  diverged at step {run.trajectory.stop_step}"
    if run.escape_step is not None:
        return f"{text}\n  escaped at step {run.escape_step}"
    if run.nearest_minimum is not None:
        return f"{text}\n  f={run.final_value:.2g}, {run.distance:.2g} from min"
    return f"{text}\n  f={run.final_value:.3g}"


def _contours(ax: Axes, func: TestFunction, bounds: Bounds) -> None:
    """Filled contours (log-spaced levels for functions with a large range) plus thin lines."""
    xs = np.linspace(*bounds[0], GRID)
    ys = np.linspace(*bounds[1], GRID)
    gx, gy = np.meshgrid(xs, ys)
    with torch.no_grad():
        pts = torch.from_numpy(np.stack([gx, gy], axis=-1).reshape(-1, 2))
        z = func(pts).numpy().reshape(gx.shape)
    z = np.where(np.isfinite(z), z, np.nan)
    lo, hi = np.nanmin(z), np.nanmax(z)
    if func.log_levels and hi > lo:
        shifted = z - lo
        floor = max(np.nanpercentile(shifted, 0.2), (hi - lo) * 1e-7, 1e-12)
        shifted = np.maximum(shifted, floor)
        levels = np.geomspace(floor, hi - lo, 28)
        ax.contourf(gx, gy, shifted, levels=levels, norm=LogNorm(), cmap="Blues_r", alpha=0.75)
        ax.contour(
            gx,
            gy,
            shifted,
            levels=levels[::3],
            norm=LogNorm(),
            colors="0.45",
            linewidths=0.5,
            alpha=0.6,
        )
    else:
        levels = np.linspace(lo, hi, 28)
        ax.contourf(gx, gy, z, levels=levels, cmap="Blues_r", alpha=0.75)
        ax.contour(gx, gy, z, levels=levels[::3], colors="0.45", linewidths=0.5, alpha=0.6)


def _bounds(result: LandscapeResult) -> Bounds:
    """The function's plotting bounds, or (user functions) a box around start, minima and runs."""
    func = result.function
    if func.bounds is not None:
        return func.bounds
    pts = [np.array([func.start]), *(np.array([m]) for m in func.minima)]
    pts += [r.trajectory.points for r in result.runs if not r.diverged and len(r.trajectory.points)]
    allp = np.concatenate(pts)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = np.maximum((hi - lo) * 0.15, 0.5)
    return (
        (float(lo[0] - pad[0]), float(hi[0] + pad[0])),
        (float(lo[1] - pad[1]), float(hi[1] + pad[1])),
    )
