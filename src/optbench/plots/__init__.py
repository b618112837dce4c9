"""Figures (matplotlib, Agg): training curves with consistent colours per optimizer."""

from optbench.plots.colors import PALETTE, colors_for
from optbench.plots.curves import Runs, figure_name, plot_group, plot_overlay, save_all

__all__ = ["PALETTE", "Runs", "colors_for", "figure_name", "plot_group", "plot_overlay", "save_all"]
