"""load_dataset('mnist') end to end against a loopback server serving generated files.

A failed download is all-or-nothing: whatever went wrong, the cache folder ends up empty.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from datafiles import Loopback, mnist_arrays, mnist_idx_files, npz_bytes, sha256

from optbench.core.errors import ConfigError, DataError
from optbench.core.specs import DatasetSpec
from optbench.data import RemoteFile, RemoteSource, load_dataset

SPEC = DatasetSpec("mnist", scale=False)


def load(cache: Path, *sources: RemoteSource, **kwargs):
    return load_dataset(SPEC, cache, sources=sources, timeout=5.0, **kwargs)


def assert_matches(ds, arrays: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(ds.train.x.numpy(), arrays["x_train"])
    np.testing.assert_array_equal(ds.train.y.numpy(), arrays["y_train"])
    np.testing.assert_array_equal(ds.test.x.numpy(), arrays["x_test"])
    np.testing.assert_array_equal(ds.test.y.numpy(), arrays["y_test"])


def test_idx_download_is_cached_then_reused_offline(loopback: Loopback, tmp_path: Path) -> None:
    arrays = mnist_arrays()
    source = loopback.source("mnist", mnist_idx_files(arrays))
    ds = load(tmp_path, source)
    assert_matches(ds, arrays)
    assert loopback.base + "mnist/" in ds.source
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(mnist_idx_files(arrays))
    hits = len(loopback.hits)
    assert_matches(load(tmp_path, source, allow_download=False), arrays)
    assert len(loopback.hits) == hits  # the second load never touched the network


def test_npz_download(loopback: Loopback, tmp_path: Path) -> None:
    arrays = mnist_arrays(seed=1)
    source = loopback.source("keras", {"mnist.npz": npz_bytes(**arrays)}, fmt="npz")
    assert_matches(load(tmp_path, source), arrays)
    assert [p.name for p in (tmp_path / "mnist").iterdir()] == ["mnist.npz"]


def test_idx_fails_npz_fallback_succeeds(loopback: Loopback, tmp_path: Path) -> None:
    arrays = mnist_arrays(seed=2)
    files = mnist_idx_files(arrays)
    broken = RemoteSource(
        "idx",
        "idx",
        (loopback.base + "gone/",),
        tuple(RemoteFile(n, sha256(b)) for n, b in files.items()),
    )
    npz = loopback.source("keras", {"mnist.npz": npz_bytes(**arrays)}, fmt="npz")
    assert_matches(load(tmp_path, broken, npz), arrays)
    assert [p.name for p in (tmp_path / "mnist").iterdir()] == ["mnist.npz"]


def test_first_mirror_failing_second_good(loopback: Loopback, tmp_path: Path) -> None:
    arrays = mnist_arrays(seed=3)
    good = loopback.source("good", mnist_idx_files(arrays))
    for name in mnist_idx_files(arrays):  # the first mirror serves junk for every file
        loopback.add(f"bad/{name}", b"junk")
    source = RemoteSource("idx", "idx", (loopback.base + "bad/", *good.mirrors), good.files)
    assert_matches(load(tmp_path, source), arrays)


def _served(files: dict[str, bytes], name: str, body: bytes, *, pin_served: bool):
    """`files` with one body replaced; the pinned hash is of the served or the good bytes."""
    pinned = {n: sha256(b) for n, b in files.items()}
    if pin_served:
        pinned[name] = sha256(body)
    return {**files, name: body}, pinned


def _source(loopback: Loopback, files: dict[str, bytes], pinned: dict[str, str], fmt="idx"):
    for name, body in files.items():
        loopback.add(f"m/{name}", body)
    remote = tuple(RemoteFile(n, pinned[n]) for n in files)
    return RemoteSource("test source", fmt, (loopback.base + "m/",), remote)  # type: ignore[arg-type]


IMAGES = "train-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"  # the last file: the three before it were fetched first


def _idx_case(name: str, mutate, pin_served: bool):
    files = mnist_idx_files(mnist_arrays())
    return (files, *_served(files, name, mutate(files[name]), pin_served=pin_served))


CASES = {
    "wrong checksum": (
        IMAGES,
        lambda b: b[:20] + bytes([b[20] ^ 0xFF]) + b[21:],
        False,
        "SHA-256 mismatch",
    ),
    "truncated gzip (hash of full file)": (LABELS, lambda b: b[:-20], False, "SHA-256 mismatch"),
    "truncated gzip (hash matches)": (LABELS, lambda b: b[:-20], True, "damaged gzip"),
    "wrong IDX magic": (
        IMAGES,
        lambda b: gzip.compress(b"\x00\x01" + gzip.decompress(b)[2:]),
        True,
        "not an IDX file",
    ),
    "labels out of range": (
        LABELS,
        lambda b: gzip.compress(gzip.decompress(b)[:-1] + b"\x0a"),
        True,
        "expected 0..9",
    ),
}


@pytest.mark.parametrize(
    ("name", "mutate", "pin_served", "reason"), CASES.values(), ids=CASES.keys()
)
def test_bad_idx_download_leaves_nothing(
    loopback: Loopback, tmp_path: Path, listing, name, mutate, pin_served, reason
) -> None:
    _, served, pinned = _idx_case(name, mutate, pin_served)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=reason) as info:
        load(cache, _source(loopback, served, pinned))
    message = str(info.value)
    assert "Could not get dataset 'mnist'" in message
    for advice in ("--data-path", "--dataset digits", "dataset-fashion-mnist", pinned[IMAGES]):
        assert advice in message
    assert listing(cache) == []


def test_http_404_midway_leaves_nothing(loopback: Loopback, tmp_path: Path, listing) -> None:
    files = mnist_idx_files(mnist_arrays())
    source = _source(loopback, files, {n: sha256(b) for n, b in files.items()})
    del loopback.routes["/m/" + LABELS]
    with pytest.raises(DataError, match="HTTP 404"):
        load(tmp_path / "cache", source)
    assert loopback.hits[-1] == "/m/" + LABELS  # the first three arrived, then were removed
    assert listing(tmp_path / "cache") == []


def test_connection_cut_mid_body_leaves_nothing(
    loopback: Loopback, tmp_path: Path, listing
) -> None:
    files = mnist_idx_files(mnist_arrays())
    source = _source(loopback, files, {n: sha256(b) for n, b in files.items()})
    loopback.routes["/m/" + IMAGES].mode = "cut"
    with pytest.raises(DataError, match="truncated"):
        load(tmp_path / "cache", source)
    assert listing(tmp_path / "cache") == []


def test_npz_missing_key_leaves_nothing(loopback: Loopback, tmp_path: Path, listing) -> None:
    arrays = mnist_arrays()
    del arrays["x_test"]
    body = npz_bytes(**arrays)
    source = _source(loopback, {"mnist.npz": body}, {"mnist.npz": sha256(body)}, fmt="npz")
    with pytest.raises(DataError, match="x_test"):
        load(tmp_path / "cache", source)
    assert listing(tmp_path / "cache") == []


def test_every_source_failing_is_reported_once(loopback: Loopback, tmp_path: Path, listing) -> None:
    files = mnist_idx_files(mnist_arrays())
    idx = _source(loopback, files, {n: "0" * 64 for n in files})
    npz = RemoteSource(
        "keras npz", "npz", (loopback.base + "none/",), (RemoteFile("mnist.npz", "1" * 64),)
    )
    with pytest.raises(DataError) as info:
        load(tmp_path / "cache", idx, npz)
    message = str(info.value)
    assert "test source:" in message and "keras npz:" in message
    assert "SHA-256 mismatch" in message and "HTTP 404" in message
    assert message.count("Could not get dataset") == 1
    assert listing(tmp_path / "cache") == []


def test_corrupt_cached_file_is_fetched_again(loopback: Loopback, tmp_path: Path) -> None:
    arrays = mnist_arrays(seed=4)
    source = loopback.source("mnist", mnist_idx_files(arrays))
    load(tmp_path, source)
    (tmp_path / "mnist" / IMAGES).write_bytes(b"bit rot")
    hits = len(loopback.hits)
    assert_matches(load(tmp_path, source), arrays)
    assert loopback.hits[hits:] == ["/mnist/" + IMAGES]


def test_offline_without_cache_says_what_to_do(tmp_path: Path, listing) -> None:
    with pytest.raises(DataError, match="downloads are disabled") as info:
        load_dataset(DatasetSpec("mnist"), tmp_path, allow_download=False)
    message = str(info.value)
    for advice in (
        "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
        "mnist.npz",
        "--data-path",
        "--dataset digits",
    ):
        assert advice in message
    assert listing(tmp_path) == []


def test_plain_http_mirror_is_a_config_error(tmp_path: Path) -> None:
    files = (RemoteFile("mnist.npz", "0" * 64),)
    source = RemoteSource("npz", "npz", ("http://example.com/",), files)
    with pytest.raises(ConfigError, match="only https"):
        load(tmp_path, source)


def test_bad_source_records_are_refused() -> None:
    with pytest.raises(ConfigError, match="4 file"):
        RemoteSource("x", "idx", ("https://example.com/",), (RemoteFile("a.gz", "0" * 64),))
    with pytest.raises(ConfigError, match="end with '/'"):
        RemoteSource("x", "npz", ("https://example.com",), (RemoteFile("m.npz", "0" * 64),))
