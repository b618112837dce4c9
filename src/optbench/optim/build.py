"""build_optimizer: a spec and a model's parameters → a ready torch.optim.Optimizer."""

from __future__ import annotations

from typing import Any

import torch

from optbench.core.errors import ConfigError
from optbench.core.specs import OptimizerSpec
from optbench.optim.native_update import NativeUpdate
from optbench.optim.resolve import optimizer_class, resolve_optimizer
from optbench.optim.torch_private import fused_flag, skip_dynamo_import
from optbench.optim.user import is_import_path


def build_optimizer(
    spec: OptimizerSpec, params: Any, *, native: bool = True
) -> torch.optim.Optimizer:
    """Resolve `spec` (full, checked hyperparameters), then `cls(params, **hparams)`.

    `params` is what torch.optim takes: an iterable of parameters or of param-group dicts.
    torch.optim's Adam, AdamW, SGD and Adagrad take their fused kernel where torch has one for
    the tensors (optim/torch_private.py): one kernel per step instead of a loop of small
    operations per tensor. The others with a native kernel (optim/native_update.py) may take
    it only with `native` (a study's `native` option: False runs no compiled code of ours);
    the optimizer carries the flag. A ValueError from the optimizer's own checks becomes a
    ConfigError naming the optimizer.
    """
    resolved = resolve_optimizer(spec)
    cls = optimizer_class(resolved)
    skip_dynamo_import()
    params = list(params)
    tensors = [p for p in params if isinstance(p, torch.Tensor)]
    ours = not is_import_path(resolved.name) and "fused" not in resolved.hparams
    fused = fused_flag(cls, tensors) if ours and len(tensors) == len(params) else {}
    try:
        optimizer = cls(params, **resolved.hparams, **fused)
    except ValueError as exc:
        raise ConfigError(f"Optimizer '{resolved.name}' refused its settings: {exc}") from exc
    if isinstance(optimizer, NativeUpdate):
        optimizer.native = native
    return optimizer
