"""The studies in a folder and where each stands (`optbench ls`)."""

from __future__ import annotations

import fcntl
from dataclasses import dataclass
from pathlib import Path

from optbench.core.errors import StoreError
from optbench.core.paths import checked_path
from optbench.report.view import StudyView
from optbench.store.sqlite import Store

STORE_FILE = "study.sqlite"
DEFAULT_RUNS_DIR = Path("runs")  # where studies go by default (`runs/<study name>/`)


@dataclass(frozen=True)
class StudyListing:
    """One study folder: its name, status and size. `status` is one of
    finished | running | interrupted | failed | empty | unreadable."""

    folder: Path
    name: str
    status: str
    trials: int = 0
    finished: int = 0
    failed: int = 0
    datasets: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    seeds: int = 0
    epochs: int | None = None
    updated: float | None = None  # last trial start or finish (Unix time)
    problem: str = ""


def list_studies(folder: Path) -> list[StudyListing]:
    """Every study under `folder` (the folder itself included), sorted by path."""
    folder = checked_path(folder, "folder")
    if not folder.is_dir():
        raise StoreError(
            f"No folder {folder}. Give the folder your studies are in (default: runs)."
        )
    return [read_listing(p.parent) for p in sorted(folder.rglob(STORE_FILE))]


def read_listing(folder: Path) -> StudyListing:
    try:
        store = Store(folder / STORE_FILE, readonly=True)
    except StoreError as exc:
        return StudyListing(folder, folder.name, "unreadable", problem=str(exc))
    try:
        view = StudyView.load(store)
    finally:
        store.close()
    return _listing(folder, view)


def _listing(folder: Path, view: StudyView) -> StudyListing:
    statuses = [t.row["status"] for t in view.trials]
    failed = sum(s in ("failed", "stopped") for s in statuses)
    finished = statuses.count("finished")
    times = [
        x for t in view.trials for x in (t.row["started_at"], t.row["finished_at"]) if x is not None
    ]
    return StudyListing(
        folder=folder,
        name=view.name,
        status=_status(folder, statuses, failed),
        trials=len(statuses),
        finished=finished,
        failed=failed,
        datasets=tuple(view.workloads()),
        groups=tuple(dict.fromkeys(t.group for t in view.trials if not t.search)),
        seeds=len({t.seed for t in view.trials}),
        epochs=view.config.get("epochs"),
        updated=max(times, default=None),
    )


def _status(folder: Path, statuses: list[str], failed: int) -> str:
    if not statuses:
        return "empty"
    if any(s in ("pending", "running") for s in statuses):
        return "running" if is_running(folder) else "interrupted"
    return "failed" if failed else "finished"


def is_running(folder: Path) -> bool:
    """Whether an optbench process holds the study's lock right now.

    Probes with a shared, non-blocking lock and lets go at once; only asked for studies that
    are not complete.
    """
    lock = folder / ".lock"
    if not lock.exists():
        return False
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False
