"""Keras mnist.npz: the good file loads; every malformed one is one clear DataError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from datafiles import mnist_arrays, npz_bytes

from optbench.core.errors import DataError
from optbench.core.specs import DatasetSpec
from optbench.data import load_dataset, load_npz


def write_npz(path: Path, **arrays: np.ndarray) -> Path:
    path.write_bytes(npz_bytes(**arrays))
    return path


def load_mnist(path: Path, tmp_path: Path, **spec: object):
    return load_dataset(
        DatasetSpec("mnist", path=str(path), **spec), tmp_path / "cache", allow_download=False
    )


def test_good_npz_loads_as_mnist(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    ds = load_mnist(write_npz(tmp_path / "mnist.npz", **arrays), tmp_path, scale=False)
    assert ds.train.x.shape == (30, 28, 28) and ds.test.x.shape == (12, 28, 28)
    assert ds.train.x.dtype == ds.test.x.dtype == torch.float32
    assert ds.train.y.dtype == torch.int64
    np.testing.assert_array_equal(ds.train.x.numpy(), arrays["x_train"].astype(np.float32))
    np.testing.assert_array_equal(ds.test.y.numpy(), arrays["y_test"])
    assert ds.source == str(tmp_path / "mnist.npz")


def test_folder_holding_mnist_npz(tmp_path: Path) -> None:
    write_npz(tmp_path / "mnist.npz", **mnist_arrays())
    assert len(load_mnist(tmp_path, tmp_path).train) == 30


def test_missing_key(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    del arrays["y_test"]
    with pytest.raises(DataError, match=r"lacks the array\(s\) y_test"):
        load_npz(write_npz(tmp_path / "m.npz", **arrays))


BAD = {
    "float images": ("x_train", lambda a: a.astype(np.float64), "dtype float64; expected uint8"),
    "flat images": ("x_train", lambda a: a.reshape(len(a), -1), "shape"),
    "images 27x28": ("x_test", lambda a: a[:, :27, :], "shape"),
    "label per image": ("y_train", lambda a: a[:-1], "one per image"),
    "2-d labels": ("y_test", lambda a: a.reshape(-1, 1), "one per image"),
    "float labels": ("y_train", lambda a: a.astype(np.float32), "expected integers"),
    "label 10": ("y_train", lambda a: np.where(a == 3, 10, a).astype(np.uint8), "0..9"),
    "label -1": ("y_test", lambda a: np.where(a == 3, -1, a).astype(np.int16), "0..9"),
}


@pytest.mark.parametrize(("key", "change", "message"), BAD.values(), ids=BAD.keys())
def test_wrong_dtype_shape_or_labels(tmp_path: Path, key: str, change, message: str) -> None:
    arrays = mnist_arrays()
    arrays[key] = change(arrays[key])
    with pytest.raises(DataError, match=message):
        load_mnist(write_npz(tmp_path / "m.npz", **arrays), tmp_path)


def test_pickled_object_array_is_refused(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    arrays["x_train"] = np.array([{"boom": 1}] * 3, dtype=object)
    with pytest.raises(DataError, match="refuses to unpickle"):
        load_npz(write_npz(tmp_path / "m.npz", **arrays))


@pytest.mark.parametrize(
    "data", [b"not a zip at all", npz_bytes(**mnist_arrays())[:200]], ids=["junk", "truncated"]
)
def test_not_an_npz(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "m.npz"
    path.write_bytes(data)
    with pytest.raises(DataError, match="not") as info:
        load_npz(path)
    assert str(path) in str(info.value)


def test_missing_npz(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_npz(tmp_path / "absent.npz")
