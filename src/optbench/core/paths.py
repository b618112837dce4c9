"""Where optbench keeps things on this machine by default."""

from __future__ import annotations

from pathlib import Path


def default_cache_dir() -> Path:
    """Where downloaded datasets, decoded images and measured optimizer cards are kept:
    ~/.cache/optbench (the CLI's OPTBENCH_CACHE overrides it)."""
    return Path.home() / ".cache" / "optbench"
