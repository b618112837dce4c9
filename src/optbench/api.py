"""The public Python API: the same operations as the CLI, without argv or printing.

>>> import optbench
>>> study = optbench.parse_study({"dataset": "digits", "optimizers": ["adam", "sgd"],
...                               "epochs": 2, "name": "demo"})
>>> [t.group for t in optbench.expand(study)]
['adam', 'sgd']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optbench.core.paths import default_cache_dir
from optbench.core.specs import StudySpec
from optbench.driver import Progress, StudyOutcome
from optbench.driver import run_study as _run_study
from optbench.plan import expand, load_study_file, parse_study
from optbench.report import open_study, write_report
from optbench.report.catalog import DEFAULT_RUNS_DIR


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
    folder = out if out is not None else DEFAULT_RUNS_DIR / spec.name
    return _run_study(spec, folder, cache_dir or default_cache_dir(), progress)


def load_study(study: StudySpec | dict[str, Any] | str | Path) -> StudySpec:
    """A validated StudySpec from a spec, a raw dict or a TOML study file."""
    if isinstance(study, StudySpec):
        return study
    if isinstance(study, dict):
        return parse_study(study)
    return load_study_file(Path(study))


def report(folder: Path) -> Path:
    """Regenerate report.md and figures of a study from its store alone."""
    return write_report(open_study(folder), Path(folder))


__all__ = [
    "DEFAULT_RUNS_DIR",
    "StudyOutcome",
    "StudySpec",
    "default_cache_dir",
    "expand",
    "load_study",
    "open_study",
    "parse_study",
    "report",
    "run_study",
]
