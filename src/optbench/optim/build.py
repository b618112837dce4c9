"""build_optimizer: a spec and a model's parameters → a ready torch.optim.Optimizer."""

from __future__ import annotations

from typing import Any

import torch

from optbench.core.errors import ConfigError
from optbench.core.specs import OptimizerSpec
from optbench.optim.resolve import optimizer_class, resolve_optimizer


def build_optimizer(spec: OptimizerSpec, params: Any) -> torch.optim.Optimizer:
    """Resolve `spec` (full, checked hyperparameters), then `cls(params, **hparams)`.

    `params` is what torch.optim takes: an iterable of parameters or of param-group dicts.
    A ValueError from the optimizer's own checks becomes a ConfigError naming the optimizer.
    """
    resolved = resolve_optimizer(spec)
    cls = optimizer_class(resolved)
    try:
        return cls(params, **resolved.hparams)
    except ValueError as exc:
        raise ConfigError(f"Optimizer '{resolved.name}' refused its settings: {exc}") from exc
