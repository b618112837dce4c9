"""optbench: fair, fast, reproducible studies of how neural networks train.

The public API is re-exported here explicitly; everything else is internal.
"""

import gc as _gc

# Importing torch (and the rest) creates ~190,000 objects, none of them garbage. The cyclic
# collector would walk them all several times while they are made (~0.2 s of a 1.4 s start):
# it is off meanwhile, and then they go straight to its oldest generation (freeze moves every
# object aside unexamined, unfreeze puts them back there), which it rarely visits.
_collecting, _frozen_already = _gc.isenabled(), _gc.get_freeze_count()
_gc.disable()
try:
    from optbench.api import (
        DEFAULT_RUNS_DIR,
        StudyOutcome,
        StudySpec,
        TrialCheck,
        default_cache_dir,
        expand,
        load_study,
        open_study,
        parse_study,
        report,
        run_study,
        verify,
    )
    from optbench.core.errors import ConfigError, DataError, OptbenchError, StoreError
finally:
    if not _frozen_already:  # a caller's own frozen objects stay as they are
        _gc.freeze()
        _gc.unfreeze()
    if _collecting:
        _gc.enable()
    del _collecting, _frozen_already

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RUNS_DIR",
    "ConfigError",
    "DataError",
    "OptbenchError",
    "StoreError",
    "StudyOutcome",
    "StudySpec",
    "TrialCheck",
    "__version__",
    "default_cache_dir",
    "expand",
    "load_study",
    "open_study",
    "parse_study",
    "report",
    "run_study",
    "verify",
]
