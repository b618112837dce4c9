"""optbench.optim: the optimizer registry, its torch/keras profiles, and building optimizers.

>>> from optbench.optim import parse_optimizer, resolve_optimizer
>>> spec = resolve_optimizer(parse_optimizer("adam:lr=3e-4"))
>>> spec.hparams["lr"], spec.hparams["betas"], spec.hparams["eps"]
(0.0003, (0.9, 0.999), 1e-08)
>>> resolve_optimizer(parse_optimizer("adam", profile="keras")).hparams["eps"]
1e-07

The names below are imported from their modules on first use (PEP 562): parsing optimizer
text and reading measured cards (`optbench optimizers`) need no torch; the registry does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optbench.core.lazy import lazy_names

if TYPE_CHECKING:
    from optbench.optim.build import build_optimizer
    from optbench.optim.catalog import OPTIMIZERS
    from optbench.optim.grid import expand_optimizer_grid, grid_axes, grid_size
    from optbench.optim.info import PROFILES, OptimizerInfo
    from optbench.optim.lars import LARS
    from optbench.optim.parse import format_optimizer, parse_optimizer, split_optimizer_list
    from optbench.optim.resolve import optimizer_class, optimizer_defaults, resolve_optimizer

_WHERE = {
    "optbench.optim.build": ("build_optimizer",),
    "optbench.optim.catalog": ("OPTIMIZERS",),
    "optbench.optim.grid": ("expand_optimizer_grid", "grid_axes", "grid_size"),
    "optbench.optim.info": ("PROFILES", "OptimizerInfo"),
    "optbench.optim.lars": ("LARS",),
    "optbench.optim.parse": ("format_optimizer", "parse_optimizer", "split_optimizer_list"),
    "optbench.optim.resolve": ("optimizer_class", "optimizer_defaults", "resolve_optimizer"),
}
__getattr__, __dir__ = lazy_names(__name__, _WHERE)

__all__ = [
    "LARS",
    "OPTIMIZERS",
    "PROFILES",
    "OptimizerInfo",
    "build_optimizer",
    "expand_optimizer_grid",
    "format_optimizer",
    "grid_axes",
    "grid_size",
    "optimizer_class",
    "optimizer_defaults",
    "parse_optimizer",
    "resolve_optimizer",
    "split_optimizer_list",
]  # the names of _WHERE (tests/core/test_lazy.py checks)
