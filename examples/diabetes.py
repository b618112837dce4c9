"""Example 2 — regression on scikit-learn's diabetes data (442 patients, ships offline).

    .venv/bin/optbench compare --dataset examples/diabetes.py:load --task regression \
        --model mlp:32 --optimizers adam,sgd:lr=0.01,rmsprop --epochs 60 --batch-size 32 \
        --seeds 0,1,2

The loss is the mean squared error of the standardised disease progression; the report ranks
the optimizers by test R² (1 = perfect, 0 = no better than predicting the mean).
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_diabetes


def load(test_share: float = 0.2, split_seed: int = 0) -> dict[str, np.ndarray]:
    """Standardised features [N, 10] and target [N], split once with a fixed seed (the split
    is part of the data, not of a trial: every trial sees the same one)."""
    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(split_seed).permutation(len(y))
    n_test = round(test_share * len(y))
    test, train = order[:n_test], order[n_test:]
    mean, std = x[train].mean(0), x[train].std(0)
    y_mean, y_std = y[train].mean(), y[train].std()
    x = ((x - mean) / std).astype(np.float32)
    y = ((y - y_mean) / y_std).astype(np.float32)
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}
