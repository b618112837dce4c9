"""Saving figures: one place for the backend, size and byte-stable PNG output."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
from PIL import Image

DPI = 110


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write a PNG and close the figure.

    The image is reduced to a 256-colour palette (line plots use a handful of colours; this
    makes files about three times smaller, which matters once they are embedded in the HTML
    report), and no metadata goes in, so re-rendering from the same store gives identical bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    buffer.seek(0)
    with Image.open(buffer) as image:
        palette = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    palette.save(path, format="PNG", optimize=True)
    return path


def finish(fig: plt.Figure, title: str, note: str = "") -> None:
    fig.suptitle(f"{title}  ({note})" if note else title, fontsize=11)
    fig.tight_layout()
