"""The seed MNIST study file, as committed, shows the homework's numbers beside its own.

MNIST itself needs a download, which tests never make: the study runs here on generated
MNIST-format data (a Keras `mnist.npz` of random 28x28 images with a learnable stripe per
class) for one epoch. What is checked is that the report and `optbench show` put each of the
homework's reported numbers next to the measured one, with the difference and the conditions
that differ (unscaled inputs, a reused model, epochs).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

import optbench
from optbench.cli.app import main

SEED_MNIST = Path(__file__).parents[2] / "studies" / "seed-mnist.toml"


def mnist_npz(path: Path) -> Path:
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = (rng.random((n, 28, 28)) * 60).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, 2 * c : 2 * c + 6, 4:24] = 250
        return x, y

    (x_train, y_train), (x_test, y_test) = split(600), split(200)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def test_report_and_show_put_the_homeworks_numbers_beside_the_measured(tmp_path, capsys):
    raw = tomllib.loads(SEED_MNIST.read_text(encoding="utf-8"))
    raw["dataset"]["path"] = str(mnist_npz(tmp_path / "mnist.npz"))
    raw["epochs"], raw["histogram_freq"], raw["workers"] = 1, 0, 1
    outcome = optbench.run_study(raw, tmp_path / "study", cache_dir=tmp_path / "cache")
    report = outcome.report.read_text(encoding="utf-8")
    section = report.split("## Beside the reference results", 1)[1].split("\n## ", 1)[0]
    view = optbench.open_study(outcome.folder)
    adam = view.groups()[0]
    assert adam.group == "adam"
    measured = f"{adam.mean['val/acc'] * 100:.2f}%"
    assert f"| adam | test accuracy | {measured} | 95.72% |" in section
    assert "| adagrad | train loss |" in section and "| 0.0380 |" in section
    assert "Inputs: the reference trained on raw, unscaled inputs" in section
    assert "Model: the reference kept training one model from optimizer to optimizer" in section
    assert "Epochs: the reference used 10, this study 1." in section
    assert "adam: epoch 9 of 10" in section

    assert main(["show", str(outcome.folder)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "Beside the reference: the homework (HW2, Q3)" in shown
    assert "adam test accuracy" in shown and "95.72 %" in shown
