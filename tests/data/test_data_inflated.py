"""Inflated copies of gzip IDX files: used while they match their source, remade when not."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from datafiles import idx_bytes

import optbench.data.idx as idx_module
from optbench.core.specs import DatasetSpec
from optbench.data import load_dataset, load_idx
from optbench.data.inflated import SUFFIX, inflated_folder


def gz_file(path: Path, array: np.ndarray) -> Path:
    path.write_bytes(idx_bytes(array, gz=True))
    return path


def copies(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}"))


def no_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(raw: bytes, limit: int) -> bytes:
        raise AssertionError("inflated the gzip file although a matching copy was kept")

    monkeypatch.setattr(idx_module, "_inflate", refuse)


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, np.ndarray]:
    array = np.random.default_rng(0).integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    return gz_file(tmp_path / "train-images-idx3-ubyte.gz", array), array


def test_second_read_comes_from_the_copy(
    tmp_path: Path, images: tuple[Path, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, array = images
    kept = tmp_path / "kept"
    first = load_idx(source, inflated=kept)
    (copy,) = copies(kept)
    assert copy.read_bytes() == gzip.decompress(source.read_bytes())  # exactly the contents
    no_inflating(monkeypatch)
    second = load_idx(source, inflated=kept)
    np.testing.assert_array_equal(first, array)
    np.testing.assert_array_equal(second, array)
    assert second.dtype == np.uint8 and second.flags.writeable and second.flags.c_contiguous


def test_multibyte_types_from_the_copy_are_native(tmp_path: Path) -> None:
    array = np.arange(-300, 300, dtype=">i4").reshape(20, 30)
    source = gz_file(tmp_path / "a.gz", array)
    load_idx(source, inflated=tmp_path / "kept")
    again = load_idx(source, inflated=tmp_path / "kept")
    assert again.dtype.isnative and again.flags.writeable
    np.testing.assert_array_equal(again, array)


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "empty"])
def test_a_damaged_copy_is_ignored_and_made_again(
    tmp_path: Path, images: tuple[Path, np.ndarray], damage: str
) -> None:
    source, array = images
    kept = tmp_path / "kept"
    load_idx(source, inflated=kept)
    (copy,) = copies(kept)
    good = copy.read_bytes()
    bad = {
        "flip a byte": good[:-5] + bytes([good[-5] ^ 1]) + good[-4:],
        "cut short": good[: len(good) // 2],
        "empty": b"",
    }[damage]
    copy.write_bytes(bad)
    np.testing.assert_array_equal(load_idx(source, inflated=kept), array)
    (remade,) = copies(kept)
    assert remade.read_bytes() == good


def test_a_changed_source_replaces_its_copy(
    tmp_path: Path, images: tuple[Path, np.ndarray]
) -> None:
    source, _ = images
    kept = tmp_path / "kept"
    load_idx(source, inflated=kept)
    other = np.full((7, 28, 28), 3, dtype=np.uint8)
    gz_file(source, other)
    os.utime(source, ns=(1, 1))  # a different version even where mtimes are coarse
    np.testing.assert_array_equal(load_idx(source, inflated=kept), other)
    assert len(copies(kept)) == 1  # the stale copy is gone


def test_copies_of_different_files_do_not_mix(tmp_path: Path) -> None:
    a, b = np.zeros((3, 4), np.uint8), np.ones((5, 2), np.uint8)
    kept = tmp_path / "kept"
    for name, array in (("a.gz", a), ("b.gz", b)):
        load_idx(gz_file(tmp_path / name, array), inflated=kept)
    assert len(copies(kept)) == 2
    np.testing.assert_array_equal(load_idx(tmp_path / "a.gz", inflated=kept), a)
    np.testing.assert_array_equal(load_idx(tmp_path / "b.gz", inflated=kept), b)


def test_a_cache_that_cannot_be_written_only_costs_time(
    tmp_path: Path, images: tuple[Path, np.ndarray]
) -> None:
    source, array = images
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    np.testing.assert_array_equal(load_idx(source, inflated=blocked), array)
    np.testing.assert_array_equal(load_idx(source, inflated=blocked / "below"), array)


def test_raw_idx_files_are_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "raw-idx"
    source.write_bytes(idx_bytes(np.arange(6, dtype=np.uint8)))
    load_idx(source, inflated=tmp_path / "kept")
    assert not (tmp_path / "kept").exists()


def test_a_copy_never_hides_a_size_limit(tmp_path: Path, images: tuple[Path, np.ndarray]) -> None:
    source, _ = images
    kept = tmp_path / "kept"
    load_idx(source, inflated=kept)
    with pytest.raises(Exception, match="inflates to more than 100 bytes"):
        load_idx(source, inflated=kept, max_bytes=100)


def test_load_dataset_keeps_copies_in_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(1)
    folder = tmp_path / "idx"
    folder.mkdir()
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 30, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 10, dtype=np.uint8),
    }
    for stem, array in arrays.items():
        gz_file(folder / f"{stem}.gz", array)
    cache = tmp_path / "cache"
    spec = DatasetSpec("mnist", path=str(folder))
    first = load_dataset(spec, cache, allow_download=False)
    assert len(copies(inflated_folder(cache))) == 4
    no_inflating(monkeypatch)
    second = load_dataset(spec, cache, allow_download=False)
    assert first.train.x.equal(second.train.x) and first.test.y.equal(second.test.y)
    np.testing.assert_array_equal(second.train.y.numpy(), arrays["train-labels-idx1-ubyte"])
