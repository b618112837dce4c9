"""Figures: every kind draws a PNG, byte-identical when drawn again, with one colour per group."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest

from optbench.plots import (
    PALETTE,
    LrSeries,
    Strip,
    StripPanel,
    colors_for,
    figure_names,
    plot_group,
    plot_lr_sensitivity,
    plot_overlay,
    plot_performance_profile,
    plot_strips,
    seed_note,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _rows(final: float, epochs: int = 4) -> list[dict[str, float]]:
    return [
        {
            "epoch": e,
            "train/loss": 1.0 / e,
            "train/acc": final - 0.05 * (epochs - e),
            "val/loss": 1.2 / e,
            "val/acc": final - 0.06 * (epochs - e),
        }
        for e in range(1, epochs + 1)
    ]


RUNS = {"adam": [_rows(0.9), _rows(0.88)], "sgd": [_rows(0.8), _rows(0.82, epochs=3)]}
COLORS = colors_for(["adam", "sgd"])


def _draw_all(folder):
    strips = [
        Strip("adam", {0: 0.9, 1: 0.88}, 0.89, 0.8, 0.98),
        Strip("sgd", {0: 0.8}, 0.8, math.nan, math.nan),  # one seed: no interval
    ]
    series = LrSeries(
        "adam",
        COLORS["adam"],
        [1e-3, 1e-2],
        [[0.9, 0.88], [0.85]],
        [0.89, 0.85],
        [0.8, math.nan],
        [0.98, math.nan],
    )
    return [
        plot_overlay(RUNS, folder / "all.png", "t", COLORS, target=0.85),
        plot_group("sgd", RUNS["sgd"], COLORS["sgd"], folder / "sgd.png", "t"),
        plot_strips([StripPanel("acc", "%", strips, 100.0)], COLORS, folder / "strip.png", "t"),
        plot_lr_sensitivity([series], folder / "lr.png", "t"),
        plot_performance_profile(
            {"adam": [0.5, 1.0], "sgd": [0.5, 0.5]}, [1.0, 2.0], COLORS, folder / "profile.png", "t"
        ),
    ]


def test_every_figure_is_a_png_and_redraws_identically(tmp_path):
    first = {p.name: p.read_bytes() for p in _draw_all(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in _draw_all(tmp_path / "b")}
    assert all(data.startswith(PNG) for data in first.values())
    assert first == second
    assert plt.get_fignums() == []  # every figure was closed


def test_every_figure_has_the_pixels_savefig_renders(tmp_path, monkeypatch):
    # save_figure takes the pixels from the canvas instead of encoding a PNG with savefig and
    # decoding it again: the images must be the same, pixel for pixel, for every kind.
    import io

    import numpy as np
    from PIL import Image

    from optbench.plots import figure as figure_module

    rendered = {}
    save = figure_module.save_figure

    def also_savefig(fig, path):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=figure_module.DPI)
        buffer.seek(0)
        with Image.open(buffer) as image:
            rendered[path.name] = np.asarray(image.convert("RGB"))
        return save(fig, path)

    for module in {fn.__module__ for fn in (plot_overlay, plot_strips, plot_lr_sensitivity)} | {
        plot_performance_profile.__module__
    }:
        monkeypatch.setattr(f"{module}.save_figure", also_savefig)
    paths = _draw_all(tmp_path)
    assert sorted(rendered) == sorted(p.name for p in paths)
    for path in paths:
        with Image.open(path) as image:
            saved = np.asarray(image.convert("RGB"))
        palette_of_rendered = np.asarray(
            Image.fromarray(rendered[path.name])
            .quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            .convert("RGB")
        )
        assert saved.shape == rendered[path.name].shape
        assert np.array_equal(saved, palette_of_rendered), path.name


def test_overlay_uses_the_given_colour_per_group(tmp_path, monkeypatch):
    seen = {}
    original = plt.Axes.plot

    def spy(ax, *args, **kwargs):
        if "label" in kwargs and "color" in kwargs:
            seen.setdefault(kwargs["label"], set()).add(kwargs["color"])
        return original(ax, *args, **kwargs)

    monkeypatch.setattr(plt.Axes, "plot", spy)
    plot_overlay(RUNS, tmp_path / "all.png", "t", COLORS)
    assert seen == {"adam": {COLORS["adam"]}, "sgd": {COLORS["sgd"]}}


def test_colours_follow_study_order_and_wrap():
    groups = [f"g{i}" for i in range(len(PALETTE) + 2)]
    colors = colors_for(groups)
    assert colors["g0"] == PALETTE[0] and colors[f"g{len(PALETTE)}"] == PALETTE[0]
    assert colors_for(groups[:3]) == {g: colors[g] for g in groups[:3]}


def test_figure_names_are_unique_and_safe():
    names = figure_names(["adam", "adam(lr=0.01)", "a b", "a_b", "1×softmax + bce"])
    assert names["adam"] == "curves-adam.png"
    assert names["adam(lr=0.01)"] == "curves-adam_lr_0.01.png"
    assert names["a b"] != names["a_b"]
    assert all("/" not in n and " " not in n for n in names.values())


@pytest.mark.parametrize(("seeds", "note"), [(1, "1 seed"), (5, "mean of 5 seeds")])
def test_seed_note(seeds, note):
    assert seed_note(seeds).startswith(note)
