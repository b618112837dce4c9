"""load_dataset: digits, local MNIST-layout folders, classes, sizes, scaling, the registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from datafiles import IDX_NAMES, idx_bytes, mnist_arrays
from hypothesis import given
from hypothesis import strategies as st

from optbench.core.errors import ConfigError, DataError
from optbench.core.specs import DatasetSpec
from optbench.data import DATASETS, Dataset, load_dataset
from optbench.data.classes import select_classes
from optbench.data.download import check_url


def load(tmp_path: Path, name: str = "digits", **spec: object) -> Dataset:
    return load_dataset(DatasetSpec(name, **spec), tmp_path / "cache", allow_download=False)


# --- digits (scikit-learn, offline) -------------------------------------------------------


def test_digits_fixed_split_and_scaling(tmp_path: Path) -> None:
    ds = load(tmp_path)
    assert ds.train.x.shape == (1437, 8, 8) and ds.test.x.shape == (360, 8, 8)
    assert ds.train.x.dtype == torch.float32 and ds.train.y.dtype == torch.int64
    assert ds.scaled and ds.raw_range == (0, 16) and ds.input_shape == (8, 8)
    assert ds.train.x.min() == 0.0 and ds.train.x.max() == 1.0
    assert ds.class_names == [str(d) for d in range(10)] and ds.num_classes == 10


def test_digits_unscaled_keeps_raw_values(tmp_path: Path) -> None:
    raw, scaled = load(tmp_path, scale=False), load(tmp_path)
    assert not raw.scaled and raw.train.x.max() == 16.0
    torch.testing.assert_close(raw.train.x / 16, scaled.train.x, rtol=0, atol=0)
    assert torch.equal(raw.test.x, raw.test.x.round())  # integer counts 0..16


def test_digits_split_is_sklearn_order(tmp_path: Path) -> None:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    ds = load(tmp_path, scale=False)
    np.testing.assert_array_equal(ds.test.x.numpy(), bunch.images[1437:])
    np.testing.assert_array_equal(ds.train.y.numpy(), bunch.target[:1437])


def test_digits_takes_no_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="takes no path"):
        load(tmp_path, path=str(tmp_path))


def test_info_is_json_able(tmp_path: Path) -> None:
    info = load(tmp_path, train_size=100, options={"classes": [3, "8"]}).info()
    assert json.loads(json.dumps(info)) == info
    assert info["class_names"] == ["3", "8"] and info["train_size"] == 100
    assert sum(info["train_class_counts"]) == 100 and len(info["test_class_counts"]) == 2
    assert info["raw_range"] == [0.0, 16.0] and info["scaled"] is True


# --- sizes and classes ------------------------------------------------------------------------


def test_sizes_keep_the_first_examples(tmp_path: Path) -> None:
    full, small = load(tmp_path), load(tmp_path, train_size=10, test_size=5)
    assert torch.equal(small.train.x, full.train.x[:10]) and torch.equal(
        small.test.y, full.test.y[:5]
    )


def test_classes_relabel_in_the_given_order(tmp_path: Path) -> None:
    full = load(tmp_path)
    ds = load(tmp_path, options={"classes": ["7", 1]})
    assert ds.num_classes == 2 and ds.class_names == ["7", "1"]
    expected = full.train.x[(full.train.y == 7) | (full.train.y == 1)]
    assert torch.equal(ds.train.x, expected)
    assert torch.equal(
        ds.train.y, (full.train.y[(full.train.y == 7) | (full.train.y == 1)] == 1).long()
    )


def test_classes_then_size(tmp_path: Path) -> None:
    ds = load(tmp_path, train_size=20, options={"classes": [0, 1]})
    assert len(ds.train) == 20 and set(ds.train.y.tolist()) <= {0, 1}
    with pytest.raises(ConfigError, match="in the selected classes"):
        load(tmp_path, train_size=1000, options={"classes": [0, 1]})


BAD_SPECS = {
    "unknown class": ({"options": {"classes": ["seven", 1]}}, "Unknown class 'seven'"),
    "index out of range": ({"options": {"classes": [0, 10]}}, "out of range 0..9"),
    "duplicate": ({"options": {"classes": [1, "1"]}}, "listed twice"),
    "one class": ({"options": {"classes": [1]}}, "at least 2"),
    "not a list": ({"options": {"classes": "1,2"}}, "must be a list"),
    "bool index": ({"options": {"classes": [True, 2]}}, "name or an index"),
    "unknown option": ({"options": {"clases": [1, 2]}}, "Did you mean 'classes'"),
    "zero train_size": ({"train_size": 0}, "positive integer"),
    "float test_size": ({"test_size": 1.5}, "positive integer"),
    "too large": ({"test_size": 361}, "at most 360"),
}


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_bad_specs(tmp_path: Path, spec: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, **spec)


def test_all_spec_problems_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, train_size=-1, test_size=0, options={"classes": ["x", "y"], "foo": 1})
    assert len(info.value.problems) == 5


def test_unknown_dataset_suggests() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'fashion-mnist'"):
        load_dataset(DatasetSpec("fashion_mnist"), Path("/nonexistent"))


@pytest.mark.parametrize(
    "spelling", ["t-shirt", "T-Shirt", "tshirt", "T-shirt/top", "t shirt", "TOP", 0, "0"]
)
def test_fashion_class_spellings(spelling: object) -> None:
    from optbench.data.classes import class_indices

    info = DATASETS.get("fashion-mnist")
    indices, problems = class_indices(
        [spelling, "ankle boot"], info.class_names, info.class_aliases
    )
    assert (indices, problems) == ([0, 9], [])


def test_fashion_unknown_class_suggests() -> None:
    from optbench.data.classes import class_indices

    info = DATASETS.get("fashion-mnist")
    _, problems = class_indices(["shrit", "bag"], info.class_names, info.class_aliases)
    assert problems and "Did you mean 'shirt'" in problems[0]


@given(
    labels=st.lists(st.integers(0, 9), min_size=1, max_size=50),
    keep=st.lists(st.integers(0, 9), min_size=2, max_size=10, unique=True),
)
def test_select_classes_property(labels: list[int], keep: list[int]) -> None:
    y = np.array(labels, dtype=np.uint8)
    x = np.arange(len(y))
    xs, ys = select_classes(x, y, keep)
    assert xs.tolist() == [i for i, label in enumerate(labels) if label in keep]
    assert [keep[k] for k in ys.tolist()] == [label for label in labels if label in keep]


# --- MNIST-layout data from a local folder ----------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_mnist_from_idx_folder(tmp_path: Path, gz: bool) -> None:
    arrays = mnist_arrays()
    for role, array in arrays.items():
        name = IDX_NAMES[role] + (".gz" if gz else "")
        (tmp_path / name).write_bytes(idx_bytes(array, gz=gz))
    ds = load(tmp_path, "mnist", path=str(tmp_path))
    assert ds.source == str(tmp_path) and ds.raw_range == (0, 255)
    torch.testing.assert_close(ds.train.x, torch.from_numpy(arrays["x_train"]).float() / 255)
    assert ds.train.x.max() <= 1.0 and torch.equal(
        ds.test.y, torch.from_numpy(arrays["y_test"]).long()
    )
    # A local path is read in place: the cache gets only inflated copies of gzip files.
    cached = [p.name for p in (tmp_path / "cache").glob("*")]
    assert cached == (["inflated"] if gz else [])


def test_folder_missing_a_file_lists_what_it_has(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    for role in ("x_train", "y_train", "x_test"):
        (tmp_path / IDX_NAMES[role]).write_bytes(idx_bytes(arrays[role]))
    with pytest.raises(DataError, match="lacks t10k-labels-idx1-ubyte") as info:
        load(tmp_path, "mnist", path=str(tmp_path))
    assert "train-images-idx3-ubyte" in str(info.value)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path, "mnist", path=str(tmp_path / "nope"))


def test_images_of_the_wrong_size(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    arrays["x_train"] = np.zeros((30, 32, 32), np.uint8)
    for role, array in arrays.items():
        (tmp_path / IDX_NAMES[role]).write_bytes(idx_bytes(array))
    with pytest.raises(DataError, match="expected Nx28x28"):
        load(tmp_path, "mnist", path=str(tmp_path))


def test_labels_not_matching_images(tmp_path: Path) -> None:
    arrays = mnist_arrays()
    arrays["y_test"] = arrays["y_test"][:-2]
    for role, array in arrays.items():
        (tmp_path / IDX_NAMES[role]).write_bytes(idx_bytes(array))
    with pytest.raises(DataError, match="one per image"):
        load(tmp_path, "mnist", path=str(tmp_path))


# --- registry contract: every entry ---------------------------------------------------------


@pytest.mark.parametrize("info", list(DATASETS), ids=DATASETS.names())
def test_registry_entry_contract(info) -> None:
    assert info.name == info.name.lower() and info.name in DATASETS
    assert info.description and info.reference and info.split
    assert len(info.class_names) == info.num_classes == len(set(info.class_names))
    assert info.num_classes or info.needs_path  # only a user's folder may leave classes open
    assert all(target in info.class_names for target in info.class_aliases.values())
    assert info.raw_range[0] < info.raw_range[1]
    assert info.needs_download == bool(info.sources)
    for source in info.sources:
        for mirror in source.mirrors:
            check_url(mirror)
            assert mirror.startswith("https://")
        for remote in source.files:
            # None: no authoritative hash is known; the reader then demands one from the user
            # (tests/data/test_data_image_folder.py checks that it refuses to download without).
            if remote.sha256 is not None:
                assert len(remote.sha256) == 64 and int(remote.sha256, 16) >= 0


@pytest.mark.parametrize(
    "name", [i.name for i in DATASETS if not i.needs_download and not i.needs_path]
)
def test_offline_entries_load_and_match_their_record(tmp_path: Path, name: str) -> None:
    info, ds = DATASETS.get(name), load(tmp_path, name)
    assert ds.input_shape == info.input_shape and ds.num_classes == info.num_classes
    for split in (ds.train, ds.test):
        assert split.x.shape[1:] == info.input_shape and len(split.x) == len(split.y)
        assert int(split.y.min()) >= 0 and int(split.y.max()) < info.num_classes
        assert float(split.x.min()) >= 0.0 and float(split.x.max()) <= 1.0
