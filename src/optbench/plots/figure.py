"""Saving figures: one place for the backend, size and byte-stable PNG output."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Figures are made at the resolution they are saved at: laid out (tight_layout) at another,
# every text's extent was measured again for the drawing (matplotlib keys them by resolution).
# Measured (benchmarks/ab_report.py, medians): a report's CPU time 0.89 → 0.84 s for the README
# study, 4.8 → 4.4 s for the 63-trial sweep (0.92-0.99 of it over two runs).
DPI = 110


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the Agg backend (files only; never needs a display).

    Imported on first use, not with the package: every process that imports optbench
    (training workers included) would otherwise pay matplotlib's import.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: Path) -> Path:
    """Write a PNG and close the figure.

    The image is reduced to a 256-colour palette (line plots use a handful of colours; this
    makes files about three times smaller, which matters once they are embedded in the HTML
    report), and no metadata goes in, so re-rendering from the same store gives identical bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The pixels savefig would encode, taken from the canvas: encoding them as a PNG first and
    # decoding that again cost ~0.09 s of a ~0.2 s figure.
    fig.set_dpi(DPI)
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height(physical=True)
    rgba = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    # Fast octree: ~10× quicker than median cut on these figures, and smaller files.
    palette = rgba.convert("RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    pyplot().close(fig)
    palette.save(path, format="PNG")  # optimize=True would cost 80 ms a figure for 2 %
    return path


def finish(fig: Figure, title: str, note: str = "") -> None:
    fig.suptitle(f"{title}  ({note})" if note else title, fontsize=11)
    fig.tight_layout()
