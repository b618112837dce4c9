"""Figures (matplotlib, Agg): curves, final-metric strips, lr sensitivity, performance profiles.

Every figure takes its colours from `colors_for(study order)`, so an optimizer has one colour
across all figures of a study (and in the HTML report's tables).
"""

from optbench.plots.colors import PALETTE, colors_for
from optbench.plots.curves import (
    Runs,
    band_note,
    figure_name,
    figure_names,
    plot_group,
    plot_overlay,
    save_all,
    seed_note,
)
from optbench.plots.figure import DPI, pyplot
from optbench.plots.profile import plot_performance_profile
from optbench.plots.sensitivity import LrSeries, plot_lr_sensitivity
from optbench.plots.strip import Strip, StripPanel, plot_strips

__all__ = [
    "DPI",
    "PALETTE",
    "LrSeries",
    "Runs",
    "Strip",
    "StripPanel",
    "band_note",
    "colors_for",
    "figure_name",
    "figure_names",
    "plot_group",
    "plot_lr_sensitivity",
    "plot_overlay",
    "plot_performance_profile",
    "plot_strips",
    "pyplot",
    "save_all",
    "seed_note",
]
