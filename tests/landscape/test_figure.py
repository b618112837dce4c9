"""The PNG and GIF are written and are valid images of the expected size."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from optbench.landscape import animate_landscape, get_function, plot_landscape, run_landscape
from optbench.landscape.figure import _bounds


@pytest.fixture(scope="module")
def result():
    return run_landscape("rosenbrock", ["sgd:lr=0.1", "momentum:lr=0.001", "adam:lr=0.05"], 120)


def test_png_is_written(result, tmp_path: Path) -> None:
    path = plot_landscape(result, tmp_path / "sub" / "rosenbrock.png")
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == (1200, 768)


def test_gif_is_small_and_animated(result, tmp_path: Path) -> None:
    path = animate_landscape(result, tmp_path / "rosenbrock.gif", frames=40)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.is_animated
        assert 10 < im.n_frames <= 40
        assert im.size == (640, 416)
    assert path.stat().st_size < 1_000_000


def test_gif_of_a_short_run_has_at_most_one_frame_per_step(tmp_path: Path) -> None:
    short = run_landscape("saddle", ["adam:lr=0.1"], 5)
    with Image.open(animate_landscape(short, tmp_path / "s.gif")) as im:
        assert 2 <= im.n_frames <= 6


def ripple(p: torch.Tensor) -> torch.Tensor:
    """A user function without bounds: the figure frames start, minimum and paths itself."""
    return (p[0] - 3) ** 2 + (p[1] + 2) ** 2 + 0.5 * torch.sin(3 * p[0])


def test_user_function_figure_finds_its_own_bounds(tmp_path: Path) -> None:
    func = get_function(f"{__name__}:ripple", start=(-1.0, 1.0))
    user = run_landscape(func, ["adam:lr=0.1"], 100)
    (x0, x1), (y0, y1) = _bounds(user)
    assert x0 < -1.0 and x1 > 2.5 and y0 < -1.5 and y1 > 1.0
    with Image.open(plot_landscape(user, tmp_path / "ripple.png")) as im:
        assert im.format == "PNG"
