"""Learning-rate sensitivity: final test accuracy against lr, one line per optimizer.

A flat top means the optimizer forgives a badly chosen rate; a sharp peak means its ranking in
a study without tuning mostly reflects whether the default rate happened to suit the problem.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from optbench.plots.figure import DPI, finish, pyplot, save_figure


@dataclass(frozen=True)
class LrSeries:
    """One optimizer family: per learning rate, the seeds' values, mean and 95% interval."""

    label: str
    color: str
    lrs: Sequence[float]
    values: Sequence[Sequence[float]]
    means: Sequence[float]
    lows: Sequence[float]
    highs: Sequence[float]


def plot_lr_sensitivity(
    series: Sequence[LrSeries],
    path: Path,
    title: str,
    ylabel: str = "Final test accuracy (%)",
    scale: float = 100.0,
) -> Path:
    """The final metric against the learning rate (`scale`: 100 shows fractions as %)."""
    fig, ax = pyplot().subplots(figsize=(7.5, 4.6), dpi=DPI)
    for s in series:
        ax.plot(s.lrs, [m * scale for m in s.means], "-o", color=s.color, label=s.label, lw=1.8)
        for lr, vals in zip(s.lrs, s.values, strict=True):
            dots = [v * scale for v in vals]
            ax.scatter([lr] * len(vals), dots, color=s.color, s=10, alpha=0.5)
        for lr, m, lo, hi in zip(s.lrs, s.means, s.lows, s.highs, strict=True):
            if not math.isnan(lo):
                ax.errorbar(
                    lr,
                    m * scale,
                    yerr=[[(m - lo) * scale], [(hi - m) * scale]],
                    color=s.color,
                    capsize=3,
                    lw=1,
                )
    ax.set_xscale("log")
    ax.set_xlabel("Learning rate (log scale)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    finish(fig, title, "line = mean over seeds, whisker = 95% CI, dots = seeds")
    return save_figure(fig, path)
