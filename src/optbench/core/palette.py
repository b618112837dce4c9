"""One palette for every figure (study curves, strip plots, landscape trajectories).

Matplotlib's tab10 plus one, spelled out so colours do not depend on the user's matplotlib
style; an optimizer keeps its colour across all figures of a study.
"""

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#e6ab02",
)
