"""Your own optimizer by import path, `module.path:ClassName` (e.g. `torch.optim:SGD`).

Only the module the user typed is imported. The class must subclass torch.optim.Optimizer; its
hyperparameters and their defaults are read from its `__init__` signature, so a typo in a name
is caught before training with the same "Did you mean" hint as for built-in optimizers.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

import torch

from optbench.core.errors import ConfigError
from optbench.core.imports import load_object

_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
_POSITIONAL_ONLY = inspect.Parameter.POSITIONAL_ONLY
_HOW = "write it as 'module.path:ClassName', e.g. 'torch.optim:SGD'"


def is_import_path(name: str) -> bool:
    """`mypkg.optim:Lion` names a class to import; registry keys never contain ':'."""
    return ":" in name


@dataclass(frozen=True)
class UserOptimizer:
    """An imported optimizer class and what its signature says about its hyperparameters."""

    path: str
    cls: type[torch.optim.Optimizer]
    defaults: dict[str, Any]
    required: tuple[str, ...]
    open_ended: bool  # __init__ takes **kwargs: any name is accepted


def load_user_optimizer(path: str) -> UserOptimizer:
    """Import `module.path:ClassName` and read its hyperparameters; ConfigError says what to fix."""
    if not _PATH.match(path):
        raise ConfigError(f"Bad optimizer import path {path!r}: {_HOW}.")
    cls = load_object(path, "optimizer")
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise ConfigError(
            f"'{path}' is not a torch.optim.Optimizer subclass (it is {cls!r}). "
            "Point the path at a class that subclasses torch.optim.Optimizer."
        )
    return _read_signature(path, cls)


def _read_signature(path: str, cls: type[torch.optim.Optimizer]) -> UserOptimizer:
    # Drop `self` and the first positional argument (the parameters, whatever it is called).
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    if parameters and parameters[0].kind in (_POSITIONAL, _POSITIONAL_ONLY):
        parameters = parameters[1:]
    kinds = {p.kind for p in parameters}
    named = [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return UserOptimizer(
        path=path,
        cls=cls,
        defaults={p.name: p.default for p in named if p.default is not p.empty},
        required=tuple(p.name for p in named if p.default is p.empty),
        open_ended=inspect.Parameter.VAR_KEYWORD in kinds,
    )
