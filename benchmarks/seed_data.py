"""Fashion-MNIST as plain numpy arrays for the baseline scripts (no torch, no optbench)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

# Debian's dataset-fashion-mnist; FASHION_MNIST_DIR points elsewhere (a machine without it).
FASHION = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path) as handle:
        raw = handle.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
