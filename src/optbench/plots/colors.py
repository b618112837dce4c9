"""One colour per optimizer (group), the same in every figure of a study."""

from __future__ import annotations

from collections.abc import Sequence

# Matplotlib's tab10, spelled out so colours do not depend on the user's matplotlib style.
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
)


def colors_for(groups: Sequence[str]) -> dict[str, str]:
    """Colour by position in the study's order (stable across figures and re-renders)."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
