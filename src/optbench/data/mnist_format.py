"""Read an MNIST-layout dataset (MNIST, Fashion-MNIST) from wherever it can be found.

Lookup order, first hit wins:
  1. `spec.path`: a folder with the four IDX files (raw or .gz), or a Keras `mnist.npz`;
  2. system folders in `info.local_dirs` (Debian's dataset-fashion-mnist package);
  3. the cache folder `<cache_dir>/<name>/`, every file verified by SHA-256;
  4. a download from `request.sources`, in order, each with its mirrors in order.
A download is all-or-nothing per source: if any file of it fails to arrive or to parse, the
files this call fetched are removed again, so the cache never holds a half dataset.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from optbench.core.errors import ConfigError, DataError
from optbench.data.arrays import RawArrays, check_arrays
from optbench.data.download import DownloadError, fetch, offline_advice, verified_cached
from optbench.data.idx import load_idx
from optbench.data.inflated import inflated_folder
from optbench.data.info import DatasetInfo, ReadRequest, RemoteSource
from optbench.data.npz import load_npz

# role -> file stem; each file may also carry a .gz suffix
IDX_STEMS = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
NPZ_NAME = "mnist.npz"
PATH_HELP = "a folder with the four IDX files (raw or .gz), or a Keras mnist.npz file"


def read_mnist_format(info: DatasetInfo, request: ReadRequest) -> RawArrays:
    """Raw, validated arrays of an MNIST-layout dataset (see the module docstring for order)."""
    inflated = inflated_folder(request.cache_dir)
    if request.spec.path is not None:
        return _checked(info, read_path(Path(request.spec.path).expanduser(), inflated))
    for folder in map(Path, info.local_dirs):
        if folder.is_dir():
            return _checked(info, read_idx_folder(folder, inflated))
    folder = request.cache_dir / info.name
    for source in request.sources:
        raw = _from_cache(info, source, folder, inflated)
        if raw is not None:
            return raw
    if not request.allow_download:
        raise DataError(
            f"Dataset '{info.name}' is not in {folder} and downloads are disabled.\n"
            + offline_advice(folder, _all_files(request.sources))
        )
    return _download_any(info, request, folder)


def read_path(path: Path, inflated: Path | None = None) -> RawArrays:
    """Read a user-given path: an IDX folder, a folder holding mnist.npz, or an .npz file."""
    if path.is_file():
        return load_npz(path)
    if not path.is_dir():
        what = "is not a regular file or folder" if path.exists() else "does not exist"
        raise DataError(f"Data path '{path}' {what}. It should be {PATH_HELP}.")
    if _find_idx(path) or not (path / NPZ_NAME).is_file():
        return read_idx_folder(path, inflated)
    return load_npz(path / NPZ_NAME)


def read_idx_folder(folder: Path, inflated: Path | None = None) -> RawArrays:
    """The four IDX files of `folder` (each raw or .gz) as raw arrays; `inflated`: where
    gzip files' contents are kept for the next read (data/inflated.py)."""
    found = _find_idx(folder)
    missing = [stem for role, stem in IDX_STEMS.items() if role not in found]
    if missing:
        present = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        raise DataError(
            f"Folder '{folder}' lacks {', '.join(missing)} (raw or .gz); it holds: {present}. "
            f"Point --data-path at {PATH_HELP}."
        )
    return _read_idx_files(found, str(folder), inflated)


def _find_idx(folder: Path) -> dict[str, Path]:
    found = {}
    for role, stem in IDX_STEMS.items():
        for name in (f"{stem}.gz", stem):
            if (folder / name).is_file():
                found[role] = folder / name
                break
    return found


def _read_idx_files(paths: dict[str, Path], source: str, inflated: Path | None) -> RawArrays:
    arrays = {role: load_idx(path, inflated=inflated) for role, path in paths.items()}
    return RawArrays(**arrays, source=source)


def _checked(info: DatasetInfo, raw: RawArrays) -> RawArrays:
    check_arrays(
        raw,
        input_shape=info.input_shape,
        num_classes=info.num_classes,
        raw_range=info.raw_range,
        pixel_dtype=np.dtype(np.uint8),
    )
    return raw


def _read_source(
    info: DatasetInfo, source: RemoteSource, paths: list[Path], inflated: Path | None
) -> RawArrays:
    if source.format == "npz":
        return _checked(info, load_npz(paths[0]))
    roles = {_role(path): path for path in paths}
    if set(roles) != set(IDX_STEMS):
        names = ", ".join(f.filename for f in source.files)
        wanted = ", ".join(IDX_STEMS.values())
        raise ConfigError(f"Source '{source.label}' must list {wanted} (.gz or not); got {names}.")
    return _checked(info, _read_idx_files(roles, str(paths[0].parent), inflated))


def _role(path: Path) -> str | None:
    stem = path.name.removesuffix(".gz")
    return next((role for role, s in IDX_STEMS.items() if s == stem), None)


def _from_cache(
    info: DatasetInfo, source: RemoteSource, folder: Path, inflated: Path | None
) -> RawArrays | None:
    paths = [verified_cached(f.filename, f.sha256, folder) for f in source.files]
    if not paths or any(p is None for p in paths):
        return None
    return _read_source(info, source, [p for p in paths if p is not None], inflated)


def _download_any(info: DatasetInfo, request: ReadRequest, folder: Path) -> RawArrays:
    """Try each source in turn; if all fail, one DataError that lists every failure."""
    report: list[str] = []
    for source in request.sources:
        try:
            return _download_source(info, source, folder, request.timeout)
        except DownloadError as exc:
            lines = [f"{url}: {reason}" for url, reason in exc.failures]
            report.append(f"  {source.label}:\n" + "\n".join(f"    - {ln}" for ln in lines))
        except DataError as exc:
            report.append(f"  {source.label}: downloaded, but unusable (removed again): {exc}")
    _remove_if_empty(folder)
    tried = "\n".join(report) or "  (no download source is configured)"
    raise DataError(
        f"Could not get dataset '{info.name}': it is not in {folder} and every download "
        f"failed:\n{tried}\nNo partial or unusable file was kept in {folder}.\n"
        + offline_advice(folder, _all_files(request.sources))
    )


def _download_source(
    info: DatasetInfo, source: RemoteSource, folder: Path, timeout: float
) -> RawArrays:
    """Fetch every file of `source` and read them; on any failure remove what was fetched."""
    fetched: list[Path] = []
    try:
        paths, origins = [], []
        for remote in source.files:
            path, url = fetch(
                remote.filename,
                source.urls(remote.filename),
                remote.sha256,
                folder,
                timeout=timeout,
            )
            paths.append(path)
            if url is not None:
                fetched.append(path)
                origins.append(url.rsplit("/", 1)[0] + "/")
        # Not kept inflated: a file that turns out unusable is removed (the next run from the
        # cache keeps the inflated copy).
        raw = _read_source(info, source, paths, None)
    except BaseException:  # interrupted too: never keep half a dataset
        for path in fetched:
            path.unlink(missing_ok=True)
        raise
    mirrors = ", ".join(dict.fromkeys(origins)) or "cache"
    raw.source = f"{folder} (downloaded from {mirrors})" if origins else str(folder)
    return raw


def _all_files(sources: tuple[RemoteSource, ...]) -> list[list[tuple[str, str]]]:
    """(first mirror's URL, SHA-256) per file, one list per source: the by-hand options."""
    return [[(source.urls(f.filename)[0], f.sha256) for f in source.files] for source in sources]


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or never created: nothing to tidy
        folder.rmdir()
