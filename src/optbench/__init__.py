"""optbench: fair, fast, reproducible studies of how neural networks train.

The public API is re-exported here explicitly; everything else is internal.
"""

from optbench.api import (
    DEFAULT_RUNS_DIR,
    StudyOutcome,
    StudySpec,
    default_cache_dir,
    expand,
    load_study,
    open_study,
    parse_study,
    report,
    run_study,
)
from optbench.core.errors import ConfigError, DataError, OptbenchError, StoreError

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RUNS_DIR",
    "ConfigError",
    "DataError",
    "OptbenchError",
    "StoreError",
    "StudyOutcome",
    "StudySpec",
    "__version__",
    "default_cache_dir",
    "expand",
    "load_study",
    "open_study",
    "parse_study",
    "report",
    "run_study",
]
