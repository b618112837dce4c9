"""Performance profiles (Dolan & Moré; AlgoPerf's benchmark score) across workloads.

ρ(τ) is the fraction of workloads on which an optimizer reached the target within τ times the
fastest optimizer's cost on that workload: ρ(1) counts outright wins, the curve's height on the
right counts workloads it solved at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from optbench.plots.figure import DPI, finish, pyplot, save_figure


def plot_performance_profile(
    profile: Mapping[str, Sequence[float]],
    taus: Sequence[float],
    colors: Mapping[str, str],
    path: Path,
    title: str,
) -> Path:
    fig, ax = pyplot().subplots(figsize=(7.5, 4.6), dpi=DPI)
    for group, rho in profile.items():
        ax.step(taus, rho, where="post", color=colors[group], label=group, lw=1.8)
    ax.set_xlabel("τ (cost relative to the fastest optimizer on each dataset)")
    ax.set_ylabel("Fraction of datasets")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    finish(fig, title, "cost = median epochs to the target accuracy")
    return save_figure(fig, path)
