"""build_optimizer: a spec and a model's parameters → a ready torch.optim.Optimizer."""

from __future__ import annotations

import sys
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
    _skip_dynamo_import()
    try:
        return cls(params, **resolved.hparams)
    except ValueError as exc:
        raise ConfigError(f"Optimizer '{resolved.name}' refused its settings: {exc}") from exc


def _skip_dynamo_import() -> None:
    """Spare the ~1 s import of torch._dynamo that the first optimizer call costs.

    Optimizer.add_param_group, zero_grad, state_dict and load_state_dict are wrapped by
    torch._compile._disable_dynamo, which imports torch._dynamo on a method's first call only
    to mark it "never compile", and caches the marked function on the wrapped one as
    `__dynamo_disable`. While torch._dynamo is not imported nothing is being compiled, so the
    plain method is exactly that: cache it. Every training process (each pool worker, each
    Ray task process) pays the import otherwise. This helps the optimizers whose step is ours
    (the keras profile, LARS); torch.optim's own step imports torch._dynamo regardless. If a
    later torch changes the protocol, nothing is marked and the import happens as before
    (tests/optim/test_optim_build.py checks that it does not, with the pinned torch).
    """
    if "torch._dynamo" in sys.modules:
        return
    for method in vars(torch.optim.Optimizer).values():
        wrapped = getattr(method, "__wrapped__", None)
        ours = getattr(method, "__code__", None) is _DISABLE_DYNAMO_CODE
        if ours and wrapped is not None and getattr(wrapped, "__dynamo_disable", None) is None:
            setattr(wrapped, "__dynamo_disable", wrapped)


# The code object of _disable_dynamo's wrapper, to recognise the methods it wrapped.
_DISABLE_DYNAMO_CODE = torch._disable_dynamo(lambda: None).__code__
