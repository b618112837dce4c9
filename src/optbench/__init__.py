"""optbench: fair, fast, reproducible studies of how neural networks train.

The public API is re-exported here explicitly; everything else is internal.

Importing `optbench` is cheap: the API (and torch with it) is imported on first use of one of
its names, with the cyclic collector paused (`optbench.core.startup`). So `optbench --help`,
`ls`, `show` and the other commands that need no training answer without importing torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

# The `optbench.report` package first (it is light: its names resolve on first use), so that
# the `report` function below keeps the name: Python binds a package to its parent's attribute
# when it is first imported, which would otherwise replace the function with the package.
import optbench.report as _report_package  # noqa: F401
from optbench.core.errors import ConfigError, DataError, OptbenchError, StoreError

if TYPE_CHECKING:  # what the lazy names below resolve to
    from optbench.api import (
        DEFAULT_RUNS_DIR,
        Comparison,
        StudyOutcome,
        StudySpec,
        TrialCheck,
        compare,
        default_cache_dir,
        expand,
        load_study,
        open_study,
        parse_study,
        run_study,
        verify,
    )

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RUNS_DIR",
    "Comparison",
    "ConfigError",
    "DataError",
    "OptbenchError",
    "StoreError",
    "StudyOutcome",
    "StudySpec",
    "TrialCheck",
    "__version__",
    "compare",
    "default_cache_dir",
    "expand",
    "load_study",
    "open_study",
    "parse_study",
    "report",
    "run_study",
    "verify",
]
# The names that come from optbench.api on first use: all but those defined here.
_OWN = {"ConfigError", "DataError", "OptbenchError", "StoreError", "__version__", "report"}
_API = frozenset(__all__) - _OWN


def report(folder: Path) -> Path:
    """Regenerate report.md and figures of a study from its store alone (`optbench.api`)."""
    from optbench.core.startup import import_quietly

    return import_quietly("optbench.api").report(folder)


def __getattr__(name: str) -> Any:
    """The API's names, imported from `optbench.api` on first use (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'optbench' has no attribute {name!r}")
    from optbench.core.startup import import_quietly

    value = getattr(import_quietly("optbench.api"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
