"""One colour per optimizer (group), the same in every figure of a study."""

from __future__ import annotations

from collections.abc import Sequence

from optbench.core.palette import PALETTE


def colors_for(groups: Sequence[str]) -> dict[str, str]:
    """Colour by position in the study's order (stable across figures and re-renders)."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
