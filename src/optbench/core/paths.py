"""Paths: where optbench keeps things by default, and user-given paths checked before use.

A path with a 300-character part, or a NUL byte, makes every `stat` fail with an OSError
(`File name too long`) far from where the path was typed. Library entry points that take a
path pass it through `checked_path` first.
"""

from __future__ import annotations

import os
from pathlib import Path

from optbench.core.errors import ConfigError

NAME_MAX = 255  # bytes in one part of a path (Linux, macOS)
PATH_MAX = 4096  # bytes in a whole path (Linux)


def default_cache_dir() -> Path:
    """Where downloaded datasets, decoded images and measured optimizer cards are kept:
    ~/.cache/optbench (the CLI's OPTBENCH_CACHE overrides it)."""
    return Path.home() / ".cache" / "optbench"


def checked_path(path: str | os.PathLike[str], what: str = "path") -> Path:
    """`path` as a Path, or a ConfigError saying why it cannot be a path at all."""
    text = os.fspath(path)
    if "\0" in text:
        raise ConfigError(f"The {what} must not contain a NUL byte. Received: {text!r}")
    encoded = os.fsencode(text)
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > NAME_MAX or len(encoded) > PATH_MAX:
        raise ConfigError(
            f"The {what} is too long for a filesystem: each part of a path may have at most "
            f"{NAME_MAX} bytes and the whole path {PATH_MAX}. Received: a path of "
            f"{len(encoded)} bytes whose longest part has {longest}"
        )
    return Path(text)
