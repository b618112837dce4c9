"""Training curves: per optimizer and overlaid, mean over seeds with a min–max band.

`runs` maps each group (optimizer label) to its seeds' epoch rows, as the store returns them:
`{"adam": [[{"epoch": 1, "train/loss": …}, …], …]}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optbench.plots.colors import colors_for
from optbench.plots.figure import DPI, finish, pyplot, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Runs = dict[str, list[list[dict[str, float]]]]
Panels = tuple[tuple[str, str], ...]  # (metric name, axis label): loss, then the task's metric
PANELS: Panels = (("loss", "Loss"), ("acc", "Accuracy"))


def _series(seed_rows: list[list[dict[str, float]]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Epochs and a [seeds, epochs] array, cut to the epochs every seed reached."""
    n = min(len(rows) for rows in seed_rows)
    values = np.array([[row[key] for row in rows[:n]] for rows in seed_rows], dtype=float)
    return np.arange(1, n + 1), values


def _draw(
    ax: Axes,
    seed_rows: list[list[dict[str, float]]],
    key: str,
    color: str,
    label: str,
    style: str = "-",
) -> None:
    if not seed_rows or min(len(r) for r in seed_rows) == 0:
        return
    epochs, values = _series(seed_rows, key)
    ax.plot(epochs, values.mean(axis=0), style, color=color, label=label, lw=1.8)
    if len(values) > 1:
        ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=color, alpha=0.18)


def plot_overlay(
    runs: Runs,
    path: Path,
    title: str,
    colors: Mapping[str, str] | None = None,
    target: float | None = None,
    panels: Panels = PANELS,
) -> Path:
    """2×2 grid: train/validation × loss/the task's metric (accuracy, R², perplexity), one
    line per optimizer.

    `target` (an accuracy) is drawn as a dashed line on the validation-accuracy panel: the
    level the report's time-to-target table counts epochs to.
    """
    colors = colors or colors_for(list(runs))  # runs are in study order
    from matplotlib.ticker import MaxNLocator

    fig, axes = pyplot().subplots(2, 2, figsize=(11, 7.5), sharex=True, dpi=DPI)
    for col, (metric, name) in enumerate(panels):
        for row, split in enumerate(("train", "val")):
            ax = axes[row, col]
            for group, seed_rows in runs.items():
                _draw(ax, seed_rows, f"{split}/{metric}", colors[group], group)
            ax.set_title(f"{'Training' if split == 'train' else 'Validation'} {name.lower()}")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
    if target is not None:
        axes[1, 1].axhline(target, color="0.3", ls=":", lw=1, label=f"target {target:.1%}")
    for ax in axes[1]:
        ax.set_xlabel("Epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].legend(fontsize=9)
    if target is not None:
        axes[1, 1].legend(fontsize=8, loc="lower right")
    finish(fig, title, band_note(runs))
    return save_figure(fig, path)


def plot_group(
    group: str,
    seed_rows: list[list[dict[str, float]]],
    color: str,
    path: Path,
    title: str,
    panels: Panels = PANELS,
) -> Path:
    """One optimizer: loss and the task's metric, train (solid) and validation (dashed)."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = pyplot().subplots(1, 2, figsize=(11, 4), dpi=DPI)
    for ax, (metric, name) in zip(axes, panels, strict=True):
        _draw(ax, seed_rows, f"train/{metric}", color, "train")
        _draw(ax, seed_rows, f"val/{metric}", color, "validation", style="--")
        ax.set_title(f"{group}: {name.lower()}")
        ax.set_xlabel("Epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    finish(fig, title, band_note({group: seed_rows}))
    return save_figure(fig, path)


def band_note(runs: Runs) -> str:
    return seed_note(max((len(r) for r in runs.values()), default=0))


def seed_note(seeds: int) -> str:
    """What a curve shows: `mean of 5 seeds, band = min–max over seeds` or `1 seed`."""
    return f"mean of {seeds} seeds, band = min–max over seeds" if seeds > 1 else "1 seed"


def save_all(runs: Runs, folder: Path, title: str, order: Sequence[str]) -> list[Path]:
    """The overlay plus one figure per optimizer; returns the written paths."""
    colors = colors_for(list(order))
    paths = [plot_overlay(runs, folder / "curves-all.png", title, colors)]
    names = figure_names(list(runs))
    for group, seed_rows in runs.items():
        paths.append(plot_group(group, seed_rows, colors[group], folder / names[group], title))
    return paths


def figure_name(group: str) -> str:
    """`curves-adam.png`; hyperparameters in a label become a filesystem-safe slug."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in group).strip("_")
    return f"curves-{slug}.png"


def figure_names(groups: Sequence[str]) -> dict[str, str]:
    """`figure_name` per group, made unique when two labels share a slug (`a b` and `a_b`)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for group in groups:
        name, k = figure_name(group), 1
        while name in used:
            k += 1
            name = figure_name(group).replace(".png", f"-{k}.png")
        used.add(name)
        names[group] = name
    return names
