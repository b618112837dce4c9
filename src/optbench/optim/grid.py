"""expand_optimizer_grid: hyperparameters given as lists of candidates → one spec per point.

From a study file, `lr = [1e-3, 1e-2]` is a grid of two learning rates. Tuple-valued
hyperparameters are the exception: `betas = [0.9, 0.99]` is ONE value (a pair) and only
`betas = [[0.9, 0.99], [0.5, 0.9]]` is a grid of two.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from optbench.core.errors import ConfigError
from optbench.core.specs import OptimizerSpec
from optbench.optim.hparam import is_candidate_list
from optbench.optim.resolve import optimizer_defaults


def expand_optimizer_grid(spec: OptimizerSpec) -> list[OptimizerSpec]:
    """The cartesian product over every candidate list, in the order the hparams were given."""
    axes = grid_axes(spec)
    keys = list(axes)
    points = itertools.product(*axes.values())
    return [
        OptimizerSpec(spec.name, dict(zip(keys, point, strict=True)), spec.profile)
        for point in points
    ]


def grid_axes(spec: OptimizerSpec) -> dict[str, list[Any]]:
    """Each hyperparameter's candidates (one for a plain value), without building the product:
    a study's size can be checked before a million grid points exist."""
    defaults = optimizer_defaults(spec.name, spec.profile)
    return {key: _candidates(spec, key, defaults.get(key)) for key in spec.hparams}


def grid_size(spec: OptimizerSpec) -> int:
    """How many points `expand_optimizer_grid(spec)` would return."""
    return math.prod(len(values) for values in grid_axes(spec).values())


def _candidates(spec: OptimizerSpec, key: str, default: Any) -> list[Any]:
    value = spec.hparams[key]
    if not is_candidate_list(value, default):
        return [tuple(value) if isinstance(value, list) else value]
    if not value:
        raise ConfigError(
            f"Hyperparameter '{key}' of optimizer '{spec.name}' has an empty list of "
            "candidates; give at least one value."
        )
    return [tuple(v) if isinstance(v, list) else v for v in value]
