"""Final-metric strip plots: every seed as a dot, the mean and its 95% interval as a bar.

Thin grey lines join the same seed across optimizers: seeds are paired (same initial weights,
same batches), so a line that slopes the same way for every seed is a real difference even when
the dots of two optimizers overlap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optbench.plots.figure import DPI, finish, pyplot, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_PAIRED_LINES = 8  # beyond this many groups the seed lines become noise


@dataclass(frozen=True)
class Strip:
    """One group's values of one metric: per seed, mean and 95% interval (NaN: one seed)."""

    group: str
    per_seed: Mapping[int, float]
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class StripPanel:
    title: str
    ylabel: str
    strips: Sequence[Strip]
    scale: float = 1.0  # 100 for accuracies shown in percent


def plot_strips(
    panels: Sequence[StripPanel], colors: Mapping[str, str], path: Path, title: str
) -> Path:
    """One panel per metric, groups along x in the given order."""
    groups = max((len(p.strips) for p in panels), default=1)
    width = min(16.0, max(5.5, 1.1 * groups + 2.0)) * len(panels)
    fig, axes = pyplot().subplots(1, len(panels), figsize=(width, 4.6), squeeze=False, dpi=DPI)
    for ax, panel in zip(axes[0], panels, strict=True):
        _panel(ax, panel, colors)
    seeds = max((len(s.per_seed) for p in panels for s in p.strips), default=0)
    finish(fig, title, f"{seeds} seed{'s' if seeds != 1 else ''}; bar = mean, whisker = 95% CI")
    return save_figure(fig, path)


def _panel(ax: Axes, panel: StripPanel, colors: Mapping[str, str]) -> None:
    strips, k = panel.strips, panel.scale
    seeds = sorted({s for strip in strips for s in strip.per_seed})
    offset = {
        s: (i - (len(seeds) - 1) / 2) * min(0.06, 0.3 / max(len(seeds), 1))
        for i, s in enumerate(seeds)
    }
    if len(strips) <= MAX_PAIRED_LINES:
        for seed in seeds:
            xs = [x + offset[seed] for x, st in enumerate(strips) if seed in st.per_seed]
            ys = [st.per_seed[seed] * k for st in strips if seed in st.per_seed]
            ax.plot(xs, ys, color="0.75", lw=0.8, zorder=1)
    for x, st in enumerate(strips):
        color = colors[st.group]
        xs = [x + offset[s] for s in st.per_seed]
        ax.scatter(xs, [v * k for v in st.per_seed.values()], color=color, s=22, zorder=3)
        if not math.isnan(st.mean):
            ax.hlines(st.mean * k, x - 0.25, x + 0.25, color=color, lw=2.5, zorder=2)
        if not math.isnan(st.low):
            ax.errorbar(
                x + 0.3,
                st.mean * k,
                yerr=[[(st.mean - st.low) * k], [(st.high - st.mean) * k]],
                color="0.2",
                capsize=3,
                lw=1,
                zorder=2,
            )
    ax.set_xticks(
        range(len(strips)),
        [st.group for st in strips],
        rotation=30 if len(strips) > 4 else 0,
        ha="right" if len(strips) > 4 else "center",
    )
    ax.set_xlim(-0.6, len(strips) - 0.4)
    ax.set_title(panel.title)
    ax.set_ylabel(panel.ylabel)
    ax.grid(axis="y", alpha=0.3)
