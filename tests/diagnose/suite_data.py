"""Data loaders of the diagnosis suite for the tasks without a built-in dataset: regression on
scikit-learn's diabetes data and next-character prediction on Python's own standard library.

Both are real data that ship offline, handed to optbench as a user would hand theirs
(`[dataset] loader = "suite_data.py:diabetes"`, data/loader.py); each split is fixed by a
seed, so every trial of a setup sees the same one.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes

# Python source files of the standard library: real text wherever Python is installed.
TEXT_FILES = ("argparse.py", "textwrap.py", "difflib.py")


def diabetes(scale_targets: bool = True, test_share: float = 0.2) -> dict[str, np.ndarray]:
    """442 patients: 10 standardised features [N, 10] → disease progression a year later [N].

    `scale_targets=False` keeps the raw progression scores (25–346, mean ≈ 152): the
    regression counterpart of unscaled pixels.
    """
    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    n_test = round(test_share * len(y))
    test, train = order[:n_test], order[n_test:]
    x = (x - x[train].mean(0)) / x[train].std(0)
    if scale_targets:
        y = (y - y[train].mean()) / y[train].std()
    x, y = x.astype(np.float32), y.astype(np.float32)
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def python_text(
    length: int = 32, max_chars: int = 60_000, files: tuple[str, ...] = TEXT_FILES
) -> dict[str, np.ndarray | int]:
    """Characters of standard-library sources cut into sequences of `length`: x the
    characters [N, length], y the next ones; the last tenth of the text is the test split."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    text = "".join((folder / name).read_text(encoding="utf-8") for name in files)[:max_chars]
    vocab = {c: i for i, c in enumerate(sorted(set(text)))}
    ids = np.fromiter((vocab[c] for c in text), dtype=np.int64, count=len(text))
    n = (len(ids) - 1) // length
    x = ids[: n * length].reshape(n, length)
    y = ids[1 : n * length + 1].reshape(n, length)
    cut = int(n * 0.9)
    return {"x_train": x[:cut], "y_train": y[:cut], "x_test": x[cut:], "y_test": y[cut:],
            "vocab_size": len(vocab)}  # fmt: skip
