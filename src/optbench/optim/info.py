"""OptimizerInfo: one frozen record per registry entry (name, defaults, rule, paper, classes)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optbench.core.errors import ConfigError
from optbench.core.specs import Profile

if TYPE_CHECKING:  # for the annotations only: parsing optimizer text needs no torch
    import torch

PROFILES: tuple[Profile, ...] = ("torch", "keras")


def signature_defaults(cls: type) -> dict[str, Any]:
    """`cls(params, name=default, …)`'s keyword defaults: its hyperparameters."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[2:]  # self, params
    return {p.name: p.default for p in parameters if p.default is not p.empty}


@dataclass(frozen=True)
class OptimizerInfo:
    """A registered optimizer.

    `torch_defaults` / `keras_defaults` are the *complete* hyperparameter sets of each profile,
    with torch.optim names; they are also the only names the optimizer accepts. `torch_class` /
    `keras_class` are called as `cls(params, **hparams)`. The Keras ports' defaults are written
    once, in their own signatures (`keras_defaults` reads them), plus the entry's
    `keras_presets` (`momentum` is Keras SGD with momentum 0.9).
    """

    name: str
    description: str
    reference: str
    formula: str
    keras_formula: str
    torch_defaults: dict[str, Any] = field(hash=False)
    torch_class: type[torch.optim.Optimizer]
    keras_class: type[torch.optim.Optimizer]
    tags: tuple[str, ...] = ()
    keras_presets: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def keras_defaults(self) -> dict[str, Any]:
        return {**signature_defaults(self.keras_class), **self.keras_presets}

    def defaults(self, profile: Profile) -> dict[str, Any]:
        """A fresh copy of the profile's full hyperparameter set."""
        check_profile(profile)
        return dict(self.torch_defaults if profile == "torch" else self.keras_defaults)

    def optimizer_class(self, profile: Profile) -> type[torch.optim.Optimizer]:
        check_profile(profile)
        return self.torch_class if profile == "torch" else self.keras_class

    def rule(self, profile: Profile) -> str:
        """The update rule the profile runs (the Keras one differs for most optimizers)."""
        check_profile(profile)
        return self.formula if profile == "torch" else self.keras_formula


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ConfigError(
            f"Unknown profile {profile!r}. Use 'torch' (torch.optim defaults and rules) "
            "or 'keras' (Keras 3 defaults and rules)."
        )
