"""The study name rule: a name becomes one folder, `runs/<name>/`, and never a path.

`--name ../../x`, an absolute name in a study file, `"."` or `""` would otherwise put a study
outside `runs/` or into `runs/` itself. The rule is checked while a study is validated (so
every problem is reported at once, before any work) and again where a name becomes a folder.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from optbench.core.errors import ConfigError

MAX_NAME_CHARS = 100  # a folder name; most filesystems stop at 255 bytes
MAX_NAME_BYTES = 255
# Unicode categories a folder name may not hold: control characters, lone surrogates (not
# encodable as a file name), and line or paragraph separators (they break terminal output).
# Format characters stay allowed: Persian text needs the zero-width non-joiner.
_FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")
_SEPARATORS = ("/", "\\")
_HOW = 'a study name is one folder name, e.g. name = "seed-fashion-mnist"'


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a study folder, in the house form; None when it can."""
    if not name.strip():
        return f"`name` must not be empty ({_HOW}). Received: name={name!r}"
    if name in (".", ".."):
        return f"`name` must not be '.' or '..' ({_HOW}). Received: name={name!r}"
    if any(c in _SEPARATORS for c in name):
        return (
            f"`name` must not contain '/' or '\\' ({_HOW}; use --out for another folder). "
            f"Received: name={name!r}"
        )
    if any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in name):
        return f"`name` must not contain control characters ({_HOW}). Received: name={name!r}"
    if name != name.strip():
        return f"`name` must not start or end with a space. Received: name={name!r}"
    if len(name) > MAX_NAME_CHARS or len(name.encode()) > MAX_NAME_BYTES:
        return (
            f"`name` must be at most {MAX_NAME_CHARS} characters. "
            f"Received: a name of {len(name)} characters"
        )
    return None


def safe_name(text: str, fallback: str = "study") -> str:
    """A name that passes `name_problem`, made from free text (a default name from flags):
    characters other than letters, digits and `-_.+=` become `_`."""
    kept = "".join(c if c.isalnum() or c in "-_.+=" else "_" for c in text)
    kept = kept.strip("._ ")[:80]
    return kept if kept and name_problem(kept) is None else fallback


def study_folder(runs: Path, name: str) -> Path:
    """`runs/<name>`: the default folder of a study, refused for a name that is not one folder
    name (a StudySpec built in Python skips the study-file checks)."""
    problem = name_problem(name)
    if problem:
        raise ConfigError(problem)
    folder = runs / name
    assert folder.parent == runs, folder  # what the checks above guarantee
    return folder
