"""Safe zip extraction: nothing lands outside the target folder, and nothing half-extracted.

A downloaded archive is data from the network, so every entry is checked before anything is
written: no absolute paths or drive letters, no `..` components, no symbolic links or other
special files, no encrypted entries, and no decompression bombs (total uncompressed size,
entry count, and per-entry compression ratio are bounded). Sizes declared in the archive are
also enforced while streaming, so a lying header cannot write more than it declared.

Entries are extracted into a hidden temporary folder next to the target, which is renamed
into place only when everything succeeded; any failure removes the temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from optbench.core.errors import DataError

MAX_TOTAL_BYTES = 4 << 30  # 4 GiB uncompressed; cats_and_dogs_filtered is ~70 MB
MAX_ENTRIES = 100_000
MAX_RATIO = 200  # uncompressed / compressed, per entry (JPEGs are ~1)
RATIO_FLOOR_BYTES = 1 << 20  # smaller entries may compress well (zeros, text) without harm
CHUNK_BYTES = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")


def extract_zip(
    archive: Path,
    target: Path,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_entries: int = MAX_ENTRIES,
    max_ratio: float = MAX_RATIO,
) -> Path:
    """Extract `archive` into the new folder `target` (which must not exist); return it.

    Raises DataError, naming the offending entry, for anything unsafe or unreadable; in that
    case nothing was written (the temporary folder is removed).
    """
    archive, target = Path(archive), Path(target)
    if target.exists():
        raise DataError(f"Cannot extract {archive.name} into {target}: it already exists.")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(zf, archive, max_total_bytes, max_entries, max_ratio)
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            try:
                for info, parts in members:
                    _extract_one(zf, info, tmp, parts)
                os.replace(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise DataError(f"'{archive}' is not a readable zip archive ({exc}).") from None
    except FileNotFoundError:
        raise DataError(f"Zip archive '{archive}' does not exist.") from None
    except OSError as exc:
        raise DataError(f"Could not extract '{archive}' into {target.parent}: {exc}.") from None
    return target


Member = tuple[zipfile.ZipInfo, tuple[str, ...]]


def _checked_members(
    zf: zipfile.ZipFile, archive: Path, max_total: int, max_entries: int, max_ratio: float
) -> list[Member]:
    """Every entry with its safe relative path parts; DataError on the first unsafe one."""
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise _unsafe(archive, f"it has {len(infos)} entries, more than the limit {max_entries}")
    total = sum(info.file_size for info in infos)
    if total > max_total:
        raise _unsafe(
            archive,
            f"it would unpack to {total} bytes, more than the limit {max_total} "
            "(a decompression bomb, or not the expected archive)",
        )
    members = []
    for info in infos:
        parts = _safe_parts(info, archive)
        _check_kind(info, archive)
        _check_ratio(info, archive, max_ratio)
        if parts:
            members.append((info, parts))
    return members


def _safe_parts(info: zipfile.ZipInfo, archive: Path) -> tuple[str, ...]:
    name = info.filename
    if "\x00" in name:
        raise _unsafe(archive, f"entry {name!r} has a NUL character in its name")
    posix = name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        raise _unsafe(archive, f"entry {name!r} is an absolute path")
    parts = tuple(p for p in PurePosixPath(posix).parts if p not in ("", "."))
    if ".." in parts:
        raise _unsafe(archive, f"entry {name!r} points outside the target folder ('..')")
    return parts


def _check_kind(info: zipfile.ZipInfo, archive: Path) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _unsafe(archive, f"entry {info.filename!r} is a symbolic link")
    kind = stat.S_IFMT(mode)  # 0 when the archiver stored permission bits only
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise _unsafe(archive, f"entry {info.filename!r} is a special file (mode {oct(mode)})")
    if info.flag_bits & 0x1:
        raise _unsafe(archive, f"entry {info.filename!r} is encrypted")


def _check_ratio(info: zipfile.ZipInfo, archive: Path, max_ratio: float) -> None:
    if info.file_size <= RATIO_FLOOR_BYTES:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > max_ratio:
        raise _unsafe(
            archive,
            f"entry {info.filename!r} expands {ratio:.0f}× ({info.compress_size} → "
            f"{info.file_size} bytes), more than the limit {max_ratio:g}× (a decompression bomb)",
        )


def _extract_one(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path, parts: tuple[str, ...]
) -> None:
    dest = root.joinpath(*parts)
    if not dest.resolve().is_relative_to(root.resolve()):  # belt and braces after _safe_parts
        raise DataError(f"Refusing to write {info.filename!r} outside {root}.")
    if info.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as source, open(dest, "xb") as sink:
        while chunk := source.read(CHUNK_BYTES):
            written += len(chunk)
            if written > info.file_size:
                raise DataError(
                    f"Entry {info.filename!r} holds more than the {info.file_size} bytes its "
                    "header declares; the archive is corrupt or malicious."
                )
            sink.write(chunk)
    dest.chmod(0o644)  # never executable or setuid, whatever the archive says


def _unsafe(archive: Path, why: str) -> DataError:
    return DataError(
        f"Refusing to extract '{archive.name}': {why}. Nothing was written. "
        "Download the archive again from its official source."
    )
