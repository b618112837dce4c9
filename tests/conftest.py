"""Shared fixtures: small real data (scikit-learn's digits) and study folders in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from optbench.core.specs import DatasetSpec


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    # Tests run tiny models: one thread is fastest and keeps results deterministic.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits_spec() -> DatasetSpec:
    return DatasetSpec("digits")


@pytest.fixture(scope="session")
def digits(digits_spec: DatasetSpec, tmp_path_factory: pytest.TempPathFactory):
    from optbench.data import load_dataset

    return load_dataset(digits_spec, tmp_path_factory.mktemp("cache"))


# The seed study's own shape on real data: Fashion-MNIST rows (Debian's dataset-fashion-mnist),
# 12,800 training examples = 200 steps of 64, so "bit for bit" claims are tested where
# rounding has room to differ (784-128-10), not only on toy shapes. CI installs the package and
# sets OPTBENCH_REQUIRE_FASHION=1, which turns its absence into a failure instead of a skip.
SEED_TRAIN_ROWS = 200 * 64


@pytest.fixture(scope="session")
def fashion_spec() -> DatasetSpec:
    from optbench.data.fashion_mnist import DEBIAN_DIR

    if not Path(DEBIAN_DIR).is_dir():
        message = f"{DEBIAN_DIR} is missing (apt-get install dataset-fashion-mnist)"
        if os.environ.get("OPTBENCH_REQUIRE_FASHION"):
            pytest.fail(message)
        pytest.skip(message)
    return DatasetSpec("fashion-mnist", train_size=SEED_TRAIN_ROWS, test_size=2000)


@pytest.fixture(scope="session")
def fashion(fashion_spec: DatasetSpec, tmp_path_factory: pytest.TempPathFactory):
    from optbench.data import load_dataset

    return load_dataset(fashion_spec, tmp_path_factory.mktemp("cache"), allow_download=False)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    return path
