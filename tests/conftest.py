"""Shared fixtures: small real data (scikit-learn's digits) and study folders in tmp_path."""

from __future__ import annotations

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


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    return path
