"""Open a study folder's store for reading: the one way `show`, `export` and `report` do it."""

from __future__ import annotations

from pathlib import Path

from optbench.core.errors import StoreError
from optbench.core.paths import checked_path
from optbench.report.view import StudyView
from optbench.store.sqlite import Store


def open_study(folder: Path) -> StudyView:
    """Read a study's results from its store (no training)."""
    path = checked_path(folder, "study folder") / "study.sqlite"
    if not path.is_file():
        raise StoreError(
            f"No study in {folder}: {path.name} is missing. "
            "Run one with `optbench compare` or `optbench run`."
        )
    store = Store(path, readonly=True)  # read-only media can be read where they are
    try:
        return StudyView.load(store)
    finally:
        store.close()
