"""Inflated copies of gzip files, so a dataset is decompressed once per machine, not per run.

Fashion-MNIST's training images take ~0.22 s to inflate, a fifth of a whole study's start-up,
for the same 47 MB every time. The first read keeps what zlib produced beside the dataset
cache (`<cache_dir>/inflated/`); later reads take it from there (~0.03 s).

A copy is used only while it provably stands for its source: its name holds the source's
path (hashed), size and modification time, and the CRC-32 of the copy's bytes, checked at
every read (the gzip trailer's CRC-32 was checked when it was made). A copy that does not
match (a changed source, a damaged or cut copy) is ignored and made again; a cache that
cannot be written (read-only, full) only means inflating every time. Nothing here changes
what a reader sees: the bytes are the gzip file's contents, exactly.

Measured gain on the README command (benchmarks/results/tricks.md): 0.32 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

SUFFIX = ".inflated"
FOLDER = "inflated"


def inflated_folder(cache_dir: Path) -> Path:
    """Where copies are kept: beside the datasets in the cache folder."""
    return cache_dir / FOLDER


def cached_inflation(source: Path, folder: Path) -> np.ndarray | None:
    """The inflated bytes of gzip file `source` if `folder` holds a copy that matches it."""
    try:
        entry = "-".join(_entry(source))
        for candidate in folder.glob(f"{entry}-*{SUFFIX}"):
            data = _read(candidate)
            if candidate.name == f"{entry}-{_crc(data)}{SUFFIX}":
                return data
            candidate.unlink(missing_ok=True)  # damaged: made again by the caller
    except OSError:
        return None
    return None


def keep_inflation(source: Path, data: bytes, folder: Path) -> None:
    """Keep `data`, the inflated contents of `source`, in `folder` (best effort)."""
    with contextlib.suppress(OSError):
        where, version = _entry(source)
        entry = f"{where}-{version}"
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{entry}-{_crc(data)}{SUFFIX}"
        # Written beside its final name and renamed: a reader never sees half a copy.
        handle, partial = tempfile.mkstemp(dir=folder, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(partial, final)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        # Copies of an earlier version of this source (same path) are stale now.
        for other in folder.glob(f"{where}-*{SUFFIX}"):
            if other != final:
                other.unlink(missing_ok=True)


def _entry(source: Path) -> tuple[str, str]:
    """(path hash, size and mtime hash): one entry per source file and version of it."""
    resolved = source.resolve()
    stat = resolved.stat()
    where = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:16]
    version = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return where, version


def _crc(data: bytes | np.ndarray) -> str:
    return f"{zlib.crc32(data):08x}"


def _read(path: Path) -> np.ndarray:
    """The file's bytes in a writable buffer (arrays over it need no copy). Not a bytearray:
    that would write zeros over all of it first, which costs as much as the read."""
    with path.open("rb") as handle:
        data = np.empty(os.fstat(handle.fileno()).st_size, dtype=np.uint8)
        if handle.readinto(data) != len(data):
            raise OSError(f"{path} changed while it was read")
    return data
