"""cats_and_dogs_filtered.zip without a published hash: a download is accepted by its exact
published size and its structure, its SHA-256 recorded then and checked at every later use.

The archives here are generated to be exactly 68,606,236 bytes: 3,000 small JPEGs in the real
layout, each padded with a JPEG comment segment (still a valid, decodable JPEG), the last few
bytes made up by the zip's own comment. They are served from a loopback HTTP server.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from optbench.core.errors import DataError
from optbench.core.specs import DatasetSpec
from optbench.data import RemoteFile, RemoteSource, load_dataset
from optbench.data.cats_vs_dogs import RECORD_NAME, ZIP_NAME
from optbench.data.cats_vs_dogs_archive import EXPECTED, PUBLISHED_SIZE, TREE

COLORS = {"cats": (200, 40, 40), "dogs": (30, 60, 220)}


def jpeg(color: tuple[int, int, int], shade: int) -> bytes:
    image = Image.new("RGB", (24, 24), color)
    image.putpixel((shade % 24, shade // 24 % 24), (shade % 256, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=60)
    return out.getvalue()


def padded(data: bytes, extra: int) -> bytes:
    """The JPEG with a comment segment (FF FE, length, bytes) of `extra` bytes after SOI."""
    assert 0 <= extra <= 65533
    return data[:2] + b"\xff\xfe" + (extra + 2).to_bytes(2, "big") + b"o" * extra + data[2:]


def layout(skip: tuple[str, str] | None = None) -> dict[str, bytes]:
    """The archive's files (name → JPEG bytes), optionally without one class folder."""
    files = {}
    for (split, cls), count in EXPECTED.items():
        if (split, cls) == skip:
            continue
        start = 0 if split == "train" else 2000  # the real file names: cat.2000.jpg …
        for i in range(start, start + count):
            files[f"{TREE}/{split}/{cls}/{cls[:-1]}.{i}.jpg"] = jpeg(COLORS[cls], i)
    return files


def zipped(files: dict[str, bytes], comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.comment = comment
    return out.getvalue()


def of_size(files: dict[str, bytes], size: int = PUBLISHED_SIZE) -> bytes:
    """The files as a zip of exactly `size` bytes: padded JPEGs, then the zip comment."""
    base = len(zipped(files))
    extra = (size - base - 2000) // len(files) - 4  # each comment segment adds 4 + extra bytes
    body = zipped({name: padded(data, extra) for name, data in files.items()})
    body = zipped(
        {name: padded(data, extra) for name, data in files.items()}, b"x" * (size - len(body))
    )
    assert len(body) == size
    return body


def truncated_inside(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    """`name` cut to its first half (an undecodable JPEG) and padded back to its length."""
    data = files[name]
    half = data[: len(data) // 2]
    return {**files, name: padded(half, len(data) - len(half) - 4)}


def served(loopback, body: bytes) -> list[RemoteSource]:
    loopback.add(f"mledu/{ZIP_NAME}", body)
    return [
        RemoteSource("loopback", "zip", (f"{loopback.base}mledu/",), (RemoteFile(ZIP_NAME, None),))
    ]


def load(cache: Path, sources: list[RemoteSource] | None = None):
    spec = DatasetSpec("cats-vs-dogs", options={"size": 8})
    return load_dataset(spec, cache, sources=sources, timeout=30)


@pytest.fixture(scope="module")
def valid() -> bytes:
    return of_size(layout())


def test_the_published_size_and_structure_download_record_their_hash_and_train(
    loopback, tmp_path, valid
):
    import optbench

    cache = tmp_path / "cache"
    data = load(cache, served(loopback, valid))
    assert data.class_names == ["cats", "dogs"]
    assert data.train.y.bincount().tolist() == [1000, 1000]
    assert data.test.y.bincount().tolist() == [500, 500]
    folder = cache / "cats-vs-dogs"
    digest = hashlib.sha256(valid).hexdigest()
    assert (folder / RECORD_NAME).read_text().strip() == digest
    hits = len(loopback.hits)
    assert len(load(cache, served(loopback, valid)).train) == 2000
    assert len(loopback.hits) == hits  # the recorded, extracted archive: no second download

    study = {
        "name": "q4-data",
        "dataset": {"name": "cats-vs-dogs", "size": 8},
        "model": {"name": "mlp", "hidden": [16]},
        "optimizers": ["adam"],
        "epochs": 1,
        "batch_size": 100,
        "histogram_freq": 0,
        "workers": 1,
    }
    outcome = optbench.run_study(study, tmp_path / "study", cache_dir=cache)
    assert outcome.finished == 1
    view = optbench.open_study(outcome.folder)
    assert len(view.trials[0].epochs) == 1 and 0.0 <= view.trials[0].final["val/acc"] <= 1.0


def test_a_cached_archive_that_changes_is_refused(loopback, tmp_path, valid):
    cache = tmp_path / "cache"
    load(cache, served(loopback, valid))
    archive = cache / "cats-vs-dogs" / ZIP_NAME
    blob = bytearray(archive.read_bytes())
    blob[-1] ^= 0xFF  # one byte of the zip comment: still a valid zip, not the verified one
    archive.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="changed since it was verified") as error:
        load(cache, served(loopback, valid))
    assert RECORD_NAME in str(error.value)


Refusal = Callable[[], bytes]
CASES: dict[str, tuple[Refusal, str]] = {
    "one byte too many": (  # cut off as soon as the server declares it
        lambda: of_size(layout(), PUBLISHED_SIZE + 1),
        "68606237 bytes, more than the 68606236-byte limit",
    ),
    "one byte too few": (
        lambda: of_size(layout(), PUBLISHED_SIZE - 1),
        "expected exactly 68606236",
    ),
    "a missing class": (
        lambda: of_size(layout(skip=("validation", "dogs"))),
        "validation/dogs: 0 files, expected 500",
    ),
    "an undecodable image": (
        lambda: of_size(truncated_inside(layout(), f"{TREE}/train/dogs/dog.7.jpg")),
        "train/dogs/dog.7.jpg is not a decodable JPEG",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_with_a_clear_message_and_nothing_kept(loopback, tmp_path, listing, case):
    make, message = CASES[case]
    body = make()
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=message):
        load(cache, served(loopback, body))
    kept = listing(cache / "cats-vs-dogs")
    assert not any(name.endswith((ZIP_NAME, RECORD_NAME)) or "train" in name for name in kept)
