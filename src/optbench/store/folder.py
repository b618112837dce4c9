"""The study folder: checked before any work, created before the first write.

Every way a filesystem refuses (a file or device in the way, /proc or /sys, a read-only disk,
a full one, missing permissions) becomes one StoreError that says what to do, instead of a
traceback from `mkdir` or `open` after the data was read.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from optbench.core.errors import StoreError
from optbench.core.paths import checked_path

# What an optbench study folder holds from its first write on: a folder with other files and
# neither of these is someone else's, and a study there could overwrite their report.md.
STUDY_MARKERS = (".lock", "study.sqlite")
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED = (errno.EACCES, errno.EPERM)


def check_study_folder(folder: Path, *, study: bool = True) -> None:
    """Refuse, before any work, a folder no study can be written to (nothing is created).
    `study=False`: any folder will do (landscape figures), not only an optbench study's."""
    folder = checked_path(folder, "folder")
    if folder.is_dir():
        if study:
            _check_ours(folder)
        _check_writable(folder, folder)
        return
    if folder.exists() or folder.is_symlink():
        raise StoreError(
            f"Cannot write into {folder}: it is {_kind(folder)}, not a folder. "
            "Choose a new folder with --out."
        )
    ancestor = _nearest_existing(folder)
    if not ancestor.is_dir():
        raise StoreError(
            f"Cannot create the folder {folder}: {ancestor} is {_kind(ancestor)}, not a "
            "folder. Choose another folder with --out."
        )
    _check_writable(folder, ancestor)


def make_study_folder(folder: Path) -> None:
    """Create the folder (and its parents); a refusal becomes a StoreError."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise folder_error(folder, exc) from None


def folder_error(path: Path, exc: OSError) -> StoreError:
    """One clear message for an OSError met while writing a study at `path`."""
    where = exc.filename or path  # the file that failed, when the error names one
    return StoreError(f"Could not write {where} ({_reason(exc)}). {advice(exc, path)}")


def advice(exc: OSError, path: Path | None = None) -> str:
    """What to do about a write at `path` that failed with `exc`."""
    if exc.errno in _FULL or (path is not None and is_nearly_full(path)):
        return (
            "The disk is full: free space and run the same command again (every finished "
            "epoch is kept)."
        )
    if exc.errno == errno.EROFS:
        return (
            "The folder is on read-only storage: `optbench show` and `optbench export` read a "
            "study there; to write into it (run, resume, report), copy the folder to writable "
            "storage, or choose another folder with --out."
        )
    if exc.errno in _DENIED:
        return "Fix the folder's permissions, or choose another folder with --out."
    return "Check the path, or choose another folder with --out."


# Less free space than this where a write failed: the disk is the likely cause, whatever the
# error said (SQLite reports a -shm file it cannot grow on tmpfs as "disk I/O error").
NEARLY_FULL_BYTES = 1 << 20


def is_nearly_full(path: Path) -> bool:
    """Whether the filesystem holding `path` has less than NEARLY_FULL_BYTES free."""
    try:
        stats = os.statvfs(_nearest_existing(path))
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES


def is_read_only(path: Path) -> bool:
    """Whether `path` (or its nearest existing ancestor) lies on a read-only filesystem."""
    try:
        return bool(os.statvfs(_nearest_existing(path)).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def check_writable(folder: Path) -> None:
    """Refuse, before any work, an existing folder that cannot be written (read-only media,
    no permission)."""
    _check_writable(folder, folder)


def _check_ours(folder: Path) -> None:
    try:
        entries = [p.name for p in folder.iterdir()]
    except OSError as exc:
        raise folder_error(folder, exc) from None
    if entries and not any(name in entries for name in STUDY_MARKERS):
        shown = ", ".join(sorted(entries)[:3]) + (", …" if len(entries) > 3 else "")
        raise StoreError(
            f"Cannot write the study to {folder}: it holds other files ({shown}) and no "
            "optbench study, and a study there could overwrite them. Choose a new or empty "
            "folder with --out."
        )


def _check_writable(folder: Path, existing: Path) -> None:
    if os.access(existing, os.W_OK | os.X_OK):
        return
    code = errno.EROFS if is_read_only(existing) else errno.EACCES
    raise folder_error(folder, OSError(code, os.strerror(code)))


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _kind(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "a broken symbolic link"
    if path.is_file():
        return "a file"
    if path.is_char_device() or path.is_block_device():
        return "a device"
    if path.is_fifo():
        return "a FIFO"
    if path.is_socket():
        return "a socket"
    return "not a folder"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
