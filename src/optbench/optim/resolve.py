"""resolve_optimizer: a spec with the FULL hyperparameter set, checked and normalised.

A resolved spec is what a trial id hashes, so `adam` and `adam:lr=0.001` (torch profile) resolve
to the same spec and the same id. Every problem is reported at once.
"""

from __future__ import annotations

from typing import Any

import torch

from optbench.core.errors import ConfigError
from optbench.core.registry import suggest
from optbench.core.specs import OptimizerSpec
from optbench.optim.catalog import OPTIMIZERS
from optbench.optim.hparam import check_hparams, is_candidate_list
from optbench.optim.info import check_profile
from optbench.optim.user import is_import_path, load_user_optimizer


def resolve_optimizer(spec: OptimizerSpec) -> OptimizerSpec:
    """Profile defaults overlaid with the user's values, validated; idempotent."""
    check_profile(spec.profile)
    if is_import_path(spec.name):
        return _resolve_user(spec)
    if "." in spec.name and spec.name not in OPTIMIZERS:
        raise ConfigError(
            f"Unknown optimizer '{spec.name}'. For your own optimizer class write "
            f"'module.path:ClassName', e.g. '{spec.name.rpartition('.')[0]}:"
            f"{spec.name.rpartition('.')[2]}'."
        )
    info = OPTIMIZERS.get(spec.name)
    defaults = info.defaults(spec.profile)
    problems = _unknown(spec.hparams, list(defaults), info.name)
    problems += _grids(spec.hparams, defaults, info.name)
    given = {
        k: v
        for k, v in spec.hparams.items()
        if k in defaults and not is_candidate_list(v, defaults[k])
    }
    values, invalid = check_hparams({**defaults, **given})
    _raise(info.name, problems + invalid)
    return OptimizerSpec(name=info.name, hparams=values, profile=spec.profile)


def optimizer_class(spec: OptimizerSpec) -> type[torch.optim.Optimizer]:
    """The class `build_optimizer` instantiates for this spec and profile."""
    if is_import_path(spec.name):
        return load_user_optimizer(spec.name).cls
    return OPTIMIZERS.get(spec.name).optimizer_class(spec.profile)


def optimizer_defaults(name: str, profile: str = "torch") -> dict[str, Any]:
    """The full default hyperparameters of a registry name or an import path."""
    check_profile(profile)
    if is_import_path(name):
        return dict(load_user_optimizer(name).defaults)
    return OPTIMIZERS.get(name).defaults(profile)  # type: ignore[arg-type]


def _resolve_user(spec: OptimizerSpec) -> OptimizerSpec:
    user = load_user_optimizer(spec.name)
    known = list(user.defaults) + list(user.required)
    problems = [] if user.open_ended else _unknown(spec.hparams, known, spec.name)
    problems += [
        f"Hyperparameter '{name}' of optimizer '{spec.name}' has no default; "
        f"give it, e.g. '{spec.name}:{name}=...'."
        for name in user.required
        if name not in spec.hparams
    ]
    problems += _grids(spec.hparams, user.defaults, spec.name)
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.hparams.items()}
    _raise(spec.name, problems)
    return OptimizerSpec(name=spec.name, hparams={**user.defaults, **given}, profile=spec.profile)


def _unknown(hparams: dict[str, Any], known: list[str], name: str) -> list[str]:
    return [
        f"Unknown hyperparameter '{key}' for optimizer '{name}'."
        f"{suggest(str(key), known)} Known: {', '.join(known)}."
        for key in hparams
        if key not in known
    ]


def _grids(hparams: dict[str, Any], defaults: dict[str, Any], name: str) -> list[str]:
    return [
        f"Hyperparameter '{key}' of optimizer '{name}' has several candidate values "
        f"{value!r}; expand the grid first (expand_optimizer_grid)."
        for key, value in hparams.items()
        if is_candidate_list(value, defaults.get(key))
    ]


def _raise(name: str, problems: list[str]) -> None:
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError.collect(problems, source=f"hyperparameters for optimizer '{name}'")
