"""The public Python API: the same operations as the CLI, without argv or printing.

>>> import optbench
>>> study = optbench.parse_study({"dataset": "digits", "optimizers": ["adam", "sgd"],
...                               "epochs": 2, "name": "demo"})
>>> [t.group for t in optbench.expand(study)]
['adam', 'sgd']
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from optbench.core.errors import StoreError
from optbench.core.paths import checked_path
from optbench.core.specs import StudySpec
from optbench.driver import Progress, StudyOutcome
from optbench.driver import run_study as _run_study
from optbench.plan import expand, load_study_file, parse_study, study_folder, study_to_toml
from optbench.report import StudyView, write_report
from optbench.store import Store
from optbench.store.folder import check_writable, folder_error
from optbench.verify import TrialCheck, verify_study

DEFAULT_RUNS_DIR = Path("runs")


def default_cache_dir() -> Path:
    """Where downloaded datasets are kept: ~/.cache/optbench."""
    return Path.home() / ".cache" / "optbench"


def run_study(
    study: StudySpec | dict[str, Any] | str | Path,
    out: Path | None = None,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> StudyOutcome:
    """Run (or resume) a study given as a StudySpec, a raw dict, or a TOML file path.

    Results go to `out` (default `runs/<study name>/`): study.sqlite, tb/, figures/,
    report.md and config.toml. Finished trials of an earlier run of the same study are skipped.
    """
    spec = load_study(study)
    folder = out if out is not None else study_folder(DEFAULT_RUNS_DIR, spec.name)
    return _run_study(spec, folder, cache_dir or default_cache_dir(), progress)


def load_study(
    study: StudySpec | dict[str, Any] | str | Path, overrides: dict[str, Any] | None = None
) -> StudySpec:
    """A validated StudySpec from a spec, a raw dict or a TOML study file. `overrides`
    replace keys of a dict or file before validation (flags such as --executor)."""
    if isinstance(study, StudySpec) and not overrides:
        return study
    if isinstance(study, StudySpec):
        return parse_study({**tomllib.loads(study_to_toml(study)), **(overrides or {})})
    if isinstance(study, dict):
        return parse_study({**study, **(overrides or {})})
    return load_study_file(Path(study), overrides)


def open_study(folder: Path) -> StudyView:
    """Read a study's results from its store (no training)."""
    path = checked_path(folder, "study folder") / "study.sqlite"
    if not path.is_file():
        raise StoreError(
            f"No study in {folder}: {path.name} is missing. "
            "Run one with `optbench compare` or `optbench run`."
        )
    store = Store(path, readonly=True)
    try:
        return StudyView.load(store)
    finally:
        store.close()


def verify(
    folder: Path, *, trials: int | None = None, seed: int = 0, cache_dir: Path | None = None
) -> list[TrialCheck]:
    """Retrain a study's trials (all, or a seeded sample of `trials`) from scratch and check
    each epoch and the final weights against the store (see optbench.verify)."""
    return verify_study(Path(folder), cache_dir or default_cache_dir(), trials, seed)


def report(folder: Path) -> Path:
    """Regenerate report.md and figures of a study from its store alone."""
    view = open_study(folder)
    check_writable(Path(folder))  # read-only media: said before the figures are drawn
    try:
        return write_report(view, Path(folder))
    except OSError as exc:  # a full disk
        raise folder_error(Path(folder), exc) from exc


__all__ = [
    "DEFAULT_RUNS_DIR",
    "StudyOutcome",
    "StudySpec",
    "TrialCheck",
    "default_cache_dir",
    "expand",
    "load_study",
    "open_study",
    "parse_study",
    "report",
    "run_study",
    "verify",
]
