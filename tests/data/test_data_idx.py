"""load_idx: round trips on generated files, a table of broken files, and fuzzing."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from datafiles import IDX_CODES, idx_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from optbench.core.errors import DataError
from optbench.data import load_idx
from optbench.data.idx import IDX_DTYPES

DTYPES = ["u1", "i1", "i2", "i4", "f4", "f8"]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_type(tmp_path: Path, dtype: str, gz: bool) -> None:
    rng = np.random.default_rng(0)
    array = (rng.normal(size=(5, 3, 4)) * 100).astype(dtype)
    got = load_idx(write(tmp_path / "a.idx", idx_bytes(array, gz=gz)))
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, array)
    assert got.flags.writeable


@pytest.mark.parametrize("shape", [(7,), (2, 3), (0, 28, 28), (1, 1, 1, 2)])
def test_round_trip_shapes(tmp_path: Path, shape: tuple[int, ...]) -> None:
    array = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    np.testing.assert_array_equal(load_idx(write(tmp_path / "a", idx_bytes(array))), array)


def test_gzip_is_detected_by_content_not_name(tmp_path: Path) -> None:
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(
        load_idx(write(tmp_path / "plain-name", idx_bytes(array, gz=True))), array
    )


def _good() -> bytes:
    return idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


BROKEN = {
    "wrong magic": (b"\x12\x34" + _good()[2:], "not an IDX file"),
    "unknown type code": (b"\x00\x00\x07\x03" + _good()[4:], "not an IDX file"),
    "zero dimensions": (b"\x00\x00\x08\x00", "0 dimensions"),
    "too short for magic": (b"\x00\x00", "only 2 bytes"),
    "header cut in dims": (_good()[:9], "truncated inside its header"),
    "short payload": (_good()[:-1], "is truncated"),
    "trailing bytes": (_good() + b"\x00", "trailing bytes"),
    "empty file": (b"", "only 0 bytes"),
    "truncated gzip": (gzip.compress(_good())[:-12], "damaged gzip"),
    "gzip bad crc": (gzip.compress(_good())[:-8] + b"\x00" * 8, "damaged gzip"),
    "gzip magic only": (b"\x1f\x8b", "damaged gzip"),
}


@pytest.mark.parametrize(("data", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_files_name_the_file_and_the_problem(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = write(tmp_path / "broken-idx3-ubyte", data)
    with pytest.raises(DataError, match=message) as info:
        load_idx(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_idx(tmp_path / "nope.gz")


def test_inflated_size_is_bounded(tmp_path: Path) -> None:
    path = write(tmp_path / "big.gz", idx_bytes(np.zeros(1000, np.uint8), gz=True))
    with pytest.raises(DataError, match="more than 100 bytes"):
        load_idx(path, max_bytes=100)


# --- fuzzing: any bytes give a DataError or a valid array, never another exception -------


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "f.idx"


def _load_or_data_error(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        array = load_idx(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    assert isinstance(array, np.ndarray)
    assert array.dtype.isnative


arrays = st.builds(
    lambda dtype, shape, seed: (
        np.random.default_rng(seed).integers(-100, 100, size=shape).astype(dtype)
    ),
    st.sampled_from(DTYPES),
    st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple),
    st.integers(0, 2**16),
)
fuzz_settings = settings(max_examples=150, deadline=None)


@fuzz_settings
@given(prefix=st.sampled_from([b"", b"\x1f\x8b", b"\x00\x00\x08\x03"]), tail=st.binary(max_size=64))
def test_fuzz_random_bytes(fuzz_file: Path, prefix: bytes, tail: bytes) -> None:
    _load_or_data_error(fuzz_file, prefix + tail)


@fuzz_settings
@given(array=arrays, gz=st.booleans(), cut=st.floats(0, 1))
def test_fuzz_truncated(fuzz_file: Path, array: np.ndarray, gz: bool, cut: float) -> None:
    data = idx_bytes(array, gz=gz)
    _load_or_data_error(fuzz_file, data[: int(len(data) * cut)])


@fuzz_settings
@given(
    array=arrays,
    gz=st.booleans(),
    edits=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_fuzz_mutated_header(
    fuzz_file: Path, array: np.ndarray, gz: bool, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(idx_bytes(array))
    for position, value in edits:
        if position < len(data):
            data[position] = value
    raw = bytes(data)
    _load_or_data_error(fuzz_file, gzip.compress(raw) if gz else raw)


@fuzz_settings
@given(array=arrays, position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_fuzz_mutated_gzip_stream(
    fuzz_file: Path, array: np.ndarray, position: int, value: int
) -> None:
    data = bytearray(idx_bytes(array, gz=True))
    data[position % len(data)] = value
    _load_or_data_error(fuzz_file, bytes(data))


def test_reader_knows_every_type_code_of_the_format() -> None:
    assert set(IDX_DTYPES) == set(IDX_CODES.values())
