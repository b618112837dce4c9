"""cats-vs-dogs: the seed's Q4 data, Google's `cats_and_dogs_filtered.zip`.

2,000 training and 1,000 validation JPEGs (1,000 / 500 per class) from the Kaggle/Asirra
Dogs vs. Cats set, in the image-folder layout `cats_and_dogs_filtered/{train,validation}/
{cats,dogs}/`; classes in Keras' order: cats = 0, dogs = 1. Read like any image folder
(default 150×150 RGB, the seed's `target_size`).

Where the data comes from, first hit wins:
  1. `path`: the extracted folder (or its parent), or the zip itself, which is extracted
     safely into the cache (data/archive.py);
  2. the cache: `<cache_dir>/cats-vs-dogs/<sha256 prefix>/cats_and_dogs_filtered/`, extracted
     earlier from a verified download;
  3. a download from https://storage.googleapis.com/mledu-datasets/, verified by SHA-256.

No SHA-256 of this zip is stated by an authoritative source that we could find (Keras and
TensorFlow tutorials download it without `file_hash`; TensorFlow Datasets has the *full*
Microsoft set, not this file), and optbench does not pin a hash it merely computed itself. So
a download needs a hash the user verified: the option `sha256` (`[dataset] sha256 = "…"`).
Without one the reader refuses, with a DataError that says how to proceed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from optbench.core.errors import ConfigError, DataError
from optbench.data.archive import extract_zip
from optbench.data.arrays import RawArrays
from optbench.data.download import check_url, fetch_with_origin, sha256_of
from optbench.data.image_folder import (
    DEFAULT_SIZE,
    parse_image_options,
    read_image_folder,
)
from optbench.data.info import DATASETS, DatasetInfo, ReadRequest, RemoteFile, RemoteSource

ZIP_NAME = "cats_and_dogs_filtered.zip"
TREE_NAME = "cats_and_dogs_filtered"
# Pin here once a hash is published by an authoritative source (see the module docstring).
PINNED_SHA256: str | None = None

CATS_VS_DOGS_ZIP = RemoteSource(
    label="Google's cats_and_dogs_filtered.zip",
    format="zip",
    mirrors=("https://storage.googleapis.com/mledu-datasets/",),
    files=(RemoteFile(ZIP_NAME, PINNED_SHA256),),
)


def read_cats_vs_dogs(info: DatasetInfo, request: ReadRequest) -> RawArrays:
    """Raw arrays from a local path, the cache, or a verified download (in that order)."""
    options, problems = parse_image_options(request.spec.options)
    sha256 = request.spec.options.get("sha256")
    if sha256 is not None and not isinstance(sha256, str):
        problems.append(f"`sha256` must be a string of 64 hex digits. Received: {sha256!r}")
    if problems:
        raise ConfigError.collect(problems, source="dataset 'cats-vs-dogs'")
    folder = request.cache_dir / info.name
    if request.spec.path is not None:
        root = _local_root(Path(request.spec.path).expanduser(), folder)
    else:
        root = _cached_or_downloaded(request, folder, sha256)
    raw = read_image_folder(root, options, request.cache_dir)
    return raw


def _local_root(path: Path, folder: Path) -> Path:
    """The image-folder root of a user path: the tree, its parent, or the zip (extracted)."""
    if path.is_file():
        return _extracted(path, folder / sha256_of(path)[:16])
    if (path / "train").is_dir():
        return path
    if (path / TREE_NAME / "train").is_dir():
        return path / TREE_NAME
    raise DataError(
        f"'{path}' is neither {ZIP_NAME} nor a folder holding train/ and validation/ "
        f"(or {TREE_NAME}/). Point --data-path at the zip or the extracted folder."
    )


def _extracted(archive: Path, target: Path) -> Path:
    """`target/cats_and_dogs_filtered`, extracting `archive` into `target` once."""
    if not target.is_dir():
        extract_zip(archive, target)
    root = target / TREE_NAME
    if not (root / "train").is_dir():
        found = ", ".join(sorted(p.name for p in target.iterdir())) or "nothing"
        raise DataError(
            f"'{archive.name}' does not hold {TREE_NAME}/train/ (it unpacked to: {found}). "
            f"Is it the right archive? The extracted files are in {target}; remove them "
            "and use the original zip."
        )
    return root


def _cached_or_downloaded(request: ReadRequest, folder: Path, sha256: str | None) -> Path:
    source = request.sources[0] if request.sources else CATS_VS_DOGS_ZIP
    remote = source.files[0]
    wanted = (sha256 or remote.sha256 or "").strip().lower() or None
    if wanted is None:
        raise DataError(_no_hash_message(source, folder))
    target = folder / wanted[:16]
    if (target / TREE_NAME / "train").is_dir():
        return target / TREE_NAME
    if not request.allow_download:
        raise DataError(
            f"Dataset 'cats-vs-dogs' is not in {folder} and downloads are disabled. "
            f"Pass --data-path to {ZIP_NAME} or to the extracted folder."
        )
    for mirror in source.mirrors:
        check_url(mirror)
    archive, _ = fetch_with_origin(
        remote.filename, source.urls(remote.filename), wanted, folder, timeout=request.timeout
    )
    try:
        return _extracted(archive, target)
    except DataError:
        with contextlib.suppress(OSError):
            archive.unlink()  # verified but unusable: do not keep it
        raise


def _no_hash_message(source: RemoteSource, folder: Path) -> str:
    url = source.urls(source.files[0].filename)[0]
    return (
        "optbench has no verified SHA-256 for cats_and_dogs_filtered.zip (no authoritative "
        "source states one), so it will not download it unverified. Any one of:\n"
        f"  - download {url} yourself, check it, and pass --data-path to the zip (or to the "
        "extracted folder);\n"
        '  - give the SHA-256 you verified: `sha256 = "…"` under [dataset] (the download is '
        f"then checked against it and cached in {folder});\n"
        "  - work offline on a real binary task: --dataset fashion-mnist with "
        'classes = ["t-shirt", "shirt"].'
    )


CATS_VS_DOGS = DATASETS.register(
    "cats-vs-dogs",
    DatasetInfo(
        name="cats-vs-dogs",
        description="The seed's Q4 data: 2,000 train / 1,000 validation photos of cats and "
        "dogs (cats_and_dogs_filtered.zip), resized to 150×150 RGB by default.",
        reference="Elson, Douceur, Howell & Saul (2007), Asirra: a CAPTCHA that exploits "
        "interest-aligned manual image categorization (CCS); Kaggle Dogs vs. Cats; the "
        "filtered subset from Google's ML crash course",
        num_classes=2,
        input_shape=(3, *DEFAULT_SIZE),
        class_names=("cats", "dogs"),
        raw_range=(0.0, 255.0),
        needs_download=True,
        read=read_cats_vs_dogs,
        split="the archive's own: train/ (2,000) and validation/ (1,000)",
        sources=(CATS_VS_DOGS_ZIP,),
        class_aliases={"cat": "cats", "dog": "dogs"},
        tags=("image", "rgb", "binary"),
        options=("size", "color", "sha256"),
    ),
)
