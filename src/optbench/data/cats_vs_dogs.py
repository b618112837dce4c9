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
  3. a download from https://storage.googleapis.com/mledu-datasets/.

No authoritative source states a SHA-256 of this zip (Keras and TensorFlow tutorials download
it without `file_hash`), and optbench does not pin a hash it merely computed itself. A download
is verified instead by what is published and fixed: its exact size and its structure
(data/cats_vs_dogs_archive.py: 1,000 + 1,000 training and 500 + 500 validation images, each a
JPEG that decodes). Its SHA-256 is then recorded beside it (`cats_and_dogs_filtered.zip.sha256`)
and checked on every later use, so a cached archive that changes is refused. A SHA-256 the user
pinned (`[dataset] sha256 = "…"`) replaces both: the download must match it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from optbench.core.errors import ConfigError, DataError
from optbench.data.archive import extract_zip
from optbench.data.arrays import RawArrays
from optbench.data.cats_vs_dogs_archive import PUBLISHED_SIZE, check_archive
from optbench.data.download import fetch, fetch_by_size, sha256_of
from optbench.data.image_folder import (
    DEFAULT_SIZE,
    parse_image_options,
    read_image_folder,
)
from optbench.data.info import DATASETS, DatasetInfo, ReadRequest, RemoteFile, RemoteSource

ZIP_NAME = "cats_and_dogs_filtered.zip"
TREE_NAME = "cats_and_dogs_filtered"
RECORD_NAME = ZIP_NAME + ".sha256"  # the SHA-256 recorded when a download was first verified
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
    """The extracted tree of a verified archive: the pinned or recorded SHA-256 when there is
    one, else a download verified by size and structure (its hash then recorded)."""
    source = request.sources[0] if request.sources else CATS_VS_DOGS_ZIP
    pinned = (sha256 or source.files[0].sha256 or "").strip().lower() or None
    wanted = pinned or _recorded(folder)
    if wanted is not None and (folder / wanted[:16] / TREE_NAME / "train").is_dir():
        _check_cached(folder, wanted, pinned is None)
        return folder / wanted[:16] / TREE_NAME
    if not request.allow_download and not (folder / ZIP_NAME).is_file():
        raise DataError(
            f"Dataset 'cats-vs-dogs' is not in {folder} and downloads are disabled. "
            f"Pass --data-path to {ZIP_NAME} or to the extracted folder."
        )
    archive, wanted = _verified_archive(request, source, folder, wanted, pinned is None)
    try:
        return _extracted(archive, folder / wanted[:16])
    except DataError:
        with contextlib.suppress(OSError):
            archive.unlink()  # verified but unusable: do not keep it
        raise


def _verified_archive(
    request: ReadRequest, source: RemoteSource, folder: Path, wanted: str | None, record: bool
) -> tuple[Path, str]:
    """(archive, its SHA-256): checked by the pinned or recorded hash when there is one (a hash
    the user pinned stands in for the size and structure checks), else by size and structure."""
    urls = source.urls(source.files[0].filename)
    if wanted is not None:
        archive, _ = fetch(ZIP_NAME, urls, wanted, folder, timeout=request.timeout)
        return archive, wanted
    archive, digest = fetch_by_size(ZIP_NAME, urls, PUBLISHED_SIZE, folder, timeout=request.timeout)
    try:
        check_archive(archive)
    except DataError:
        archive.unlink(missing_ok=True)  # the right size but not the right content
        raise
    if record:
        (folder / RECORD_NAME).write_text(digest + "\n", encoding="ascii")
    return archive, digest


def _recorded(folder: Path) -> str | None:
    """The SHA-256 recorded when the archive was first verified here, if any."""
    try:
        text = (folder / RECORD_NAME).read_text(encoding="ascii").strip().lower()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else None


def _check_cached(folder: Path, wanted: str, recorded: bool) -> None:
    """Every later use: the cached archive must still have the hash it was verified with."""
    archive = folder / ZIP_NAME
    if not archive.is_file():
        return  # only the extracted tree is kept (e.g. the user deleted the zip): nothing to hash
    actual = sha256_of(archive)
    if actual == wanted:
        return
    what = "recorded when it was first verified" if recorded else "you pinned (`sha256`)"
    raise DataError(
        f"{archive} changed since it was verified: its SHA-256 is {actual}, not the {wanted} "
        f"{what}. Delete {archive}"
        + (f" and {folder / RECORD_NAME}" if recorded else "")
        + " to download and verify it again, or pass --data-path to a copy you trust."
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
