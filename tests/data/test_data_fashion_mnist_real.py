"""Fashion-MNIST from Debian's dataset-fashion-mnist package: the real 70,000 images."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from optbench.core.specs import DatasetSpec
from optbench.data import load_dataset
from optbench.data.fashion_mnist import DEBIAN_DIR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(DEBIAN_DIR).is_dir(),
        reason=f"{DEBIAN_DIR} is missing (apt-get install dataset-fashion-mnist)",
    ),
]


def test_full_dataset(tmp_path: Path) -> None:
    ds = load_dataset(DatasetSpec("fashion-mnist"), tmp_path, allow_download=False)
    assert ds.train.x.shape == (60000, 28, 28) and ds.test.x.shape == (10000, 28, 28)
    assert ds.train.x.dtype == torch.float32 and ds.train.y.dtype == torch.int64
    assert float(ds.train.x.max()) == 1.0 and float(ds.train.x.min()) == 0.0
    assert ds.raw_range == (0, 255) and ds.scaled and ds.source == DEBIAN_DIR
    assert ds.info()["train_class_counts"] == [6000] * 10
    assert ds.info()["test_class_counts"] == [1000] * 10
    # Read in place: the cache holds only the inflated copies that make the next read quick.
    assert [p.name for p in tmp_path.iterdir()] == ["inflated"]
    again = load_dataset(DatasetSpec("fashion-mnist"), tmp_path, allow_download=False)
    assert torch.equal(again.train.x, ds.train.x) and torch.equal(again.test.y, ds.test.y)


def test_unscaled_is_raw_pixels(tmp_path: Path) -> None:
    spec = DatasetSpec("fashion-mnist", scale=False, train_size=1000, test_size=10)
    ds = load_dataset(spec, tmp_path, allow_download=False)
    assert float(ds.train.x.max()) == 255.0 and not ds.scaled
    assert torch.equal(ds.train.x, ds.train.x.round())


def test_binary_subset(tmp_path: Path) -> None:
    spec = DatasetSpec("fashion-mnist", options={"classes": ["shirt", "T-shirt/top"]})
    ds = load_dataset(spec, tmp_path, allow_download=False)
    assert ds.class_names == ["shirt", "t-shirt"] and ds.num_classes == 2
    assert len(ds.train) == 12000 and len(ds.test) == 2000
    assert ds.info()["train_class_counts"] == [6000, 6000]
    full = load_dataset(DatasetSpec("fashion-mnist"), tmp_path, allow_download=False)
    shirts = full.train.x[full.train.y == 6]
    assert torch.equal(ds.train.x[ds.train.y == 0], shirts)
