"""Folder and file flags (`--out`): checked as typed, before a Path can hide what was typed.

Typer turns `--out ""` into `Path(".")`, the current folder, so the study would be written
among whatever lives there. Flags that name a study folder arrive as text and pass here; the
library checks the folder itself (store/folder.py) before any work.
"""

from __future__ import annotations

from pathlib import Path

from optbench.core.errors import ConfigError
from optbench.core.paths import checked_path


def out_folder(text: str | None, flag: str = "--out") -> Path | None:
    """The folder a flag names (None when not given); empty text or a NUL byte is refused."""
    if text is None:
        return None
    if not text.strip():
        raise ConfigError(
            f"`{flag}` must name a folder; an empty one would mean the current folder. "
            f"Received: {flag}={text!r}"
        )
    return checked_path(Path(text).expanduser(), f"`{flag}` folder")
