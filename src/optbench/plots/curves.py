"""Training curves: per optimizer and overlaid, mean over seeds with a min–max band.

`runs` maps each group (optimizer label) to its seeds' epoch rows, as the store returns them:
`{"adam": [[{"epoch": 1, "train/loss": …}, …], …]}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from optbench.plots.colors import colors_for

Runs = dict[str, list[list[dict[str, float]]]]
PANELS = (("loss", "Loss"), ("acc", "Accuracy"))


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


def plot_overlay(runs: Runs, path: Path, title: str) -> Path:
    """2×2 grid: train/validation × loss/accuracy, one line per optimizer."""
    colors = colors_for(list(runs))  # runs are in study order
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    for col, (metric, name) in enumerate(PANELS):
        for row, split in enumerate(("train", "val")):
            ax = axes[row, col]
            for group, seed_rows in runs.items():
                _draw(ax, seed_rows, f"{split}/{metric}", colors[group], group)
            ax.set_title(f"{'Training' if split == 'train' else 'Validation'} {name.lower()}")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("Epoch")
    axes[0, 0].legend(fontsize=9)
    _finish(fig, title, _band_note(runs))
    return _save(fig, path)


def plot_group(
    group: str, seed_rows: list[list[dict[str, float]]], color: str, path: Path, title: str
) -> Path:
    """One optimizer: loss and accuracy, train (solid) and validation (dashed)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (metric, name) in zip(axes, PANELS, strict=True):
        _draw(ax, seed_rows, f"train/{metric}", color, "train")
        _draw(ax, seed_rows, f"val/{metric}", color, "validation", style="--")
        ax.set_title(f"{group}: {name.lower()}")
        ax.set_xlabel("Epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    _finish(fig, title, _band_note({group: seed_rows}))
    return _save(fig, path)


def _band_note(runs: Runs) -> str:
    seeds = max((len(r) for r in runs.values()), default=0)
    return f"mean of {seeds} seeds, band = min–max" if seeds > 1 else "1 seed"


def _finish(fig: plt.Figure, title: str, note: str) -> None:
    fig.suptitle(f"{title}  ({note})", fontsize=11)
    fig.tight_layout()


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_all(runs: Runs, folder: Path, title: str, order: Sequence[str]) -> list[Path]:
    """The overlay plus one figure per optimizer; returns the written paths."""
    colors = colors_for(list(order))
    paths = [plot_overlay(runs, folder / "curves-all.png", title)]
    for group, seed_rows in runs.items():
        paths.append(
            plot_group(group, seed_rows, colors[group], folder / figure_name(group), title)
        )
    return paths


def figure_name(group: str) -> str:
    """`curves-adam.png`; hyperparameters in a label become a filesystem-safe slug."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in group).strip("_")
    return f"curves-{slug}.png"
