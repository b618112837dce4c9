"""torch profile == torch.optim, step for step, in float64 (and the defaults are torch's own).

The reference is torch.optim's plain per-tensor implementation; optbench builds Adam, AdamW,
SGD and Adagrad with their fused kernels (optim/torch_private.py) and steps without torch's
wrappers, so this is also fused == plain.
"""

from __future__ import annotations

import inspect

import pytest
import torch

from optbench.optim import OPTIMIZERS, build_optimizer, parse_optimizer
from optbench.optim.torch_private import FUSED

STEPS = 60

# (our text, the torch.optim class, its kwargs written out by hand: defaults must match torch's)
CASES = [
    ("sgd", torch.optim.SGD, {}),
    ("momentum", torch.optim.SGD, {"momentum": 0.9}),
    ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    ("adagrad", torch.optim.Adagrad, {}),
    ("rmsprop", torch.optim.RMSprop, {}),
    ("adadelta", torch.optim.Adadelta, {}),
    ("adam", torch.optim.Adam, {}),
    ("adamw", torch.optim.AdamW, {}),
    ("nadam", torch.optim.NAdam, {}),
    ("adamax", torch.optim.Adamax, {}),
    # non-default hyperparameters must pass through unchanged
    (
        "sgd:lr=0.05,momentum=0.5,dampening=0.1,weight_decay=0.01",
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.01},
    ),
    ("momentum:lr=0.02,momentum=0.8", torch.optim.SGD, {"lr": 0.02, "momentum": 0.8}),
    (
        "adagrad:lr=0.1,lr_decay=0.01,initial_accumulator_value=0.2,eps=1e-6,weight_decay=0.01",
        torch.optim.Adagrad,
        {
            "lr": 0.1,
            "lr_decay": 0.01,
            "initial_accumulator_value": 0.2,
            "eps": 1e-6,
            "weight_decay": 0.01,
        },
    ),
    (
        "rmsprop:lr=0.003,alpha=0.9,momentum=0.5,centered=true,weight_decay=0.01",
        torch.optim.RMSprop,
        {"lr": 0.003, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
    ),
    (
        "adadelta:lr=0.5,rho=0.8,eps=1e-5,weight_decay=0.01",
        torch.optim.Adadelta,
        {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.01},
    ),
    (
        "adam:lr=0.01,betas=0.8,0.99,eps=1e-6,weight_decay=0.1,amsgrad=true",
        torch.optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True},
    ),
    (
        "adamw:lr=0.01,weight_decay=0.1,amsgrad=true",
        torch.optim.AdamW,
        {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True},
    ),
    (
        "nadam:lr=0.01,betas=0.8,0.99,momentum_decay=0.01,weight_decay=0.01",
        torch.optim.NAdam,
        {"lr": 0.01, "betas": (0.8, 0.99), "momentum_decay": 0.01, "weight_decay": 0.01},
    ),
    (
        "adamax:lr=0.01,betas=0.5,0.9,weight_decay=0.01",
        torch.optim.Adamax,
        {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.01},
    ),
]


def _mlp(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    ).double()


def _train(model: torch.nn.Module, opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    """STEPS full-batch steps on fixed data; returns the flat weights after every step."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (16,), generator=gen)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        trajectory.append(torch.nn.utils.parameters_to_vector(model.parameters()).clone())
    return trajectory


@pytest.mark.parametrize(("text", "torch_cls", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_torch_profile_matches_torch_optim(text, torch_cls, kwargs):
    ours_model, ref_model = _mlp(0), _mlp(0)
    ours = build_optimizer(parse_optimizer(text), ours_model.parameters())
    ref = torch_cls(ref_model.parameters(), **kwargs, foreach=False)  # the plain loop
    if torch_cls in FUSED:
        assert ours.defaults["fused"] is True
    ours_path, ref_path = _train(ours_model, ours), _train(ref_model, ref)
    for step, (a, b) in enumerate(zip(ours_path, ref_path, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14, msg=f"{text} step {step + 1}")
    assert (ours_path[0] - ours_path[-1]).abs().max() > 1e-4  # the weights really moved


def test_every_torch_counterpart_is_covered():
    covered = {text.split(":")[0] for text, _, _ in CASES}
    with_counterpart = {
        info.name
        for info in OPTIMIZERS
        if any(
            c.__module__.startswith("torch.optim") and c is not torch.optim.Optimizer
            for c in info.torch_class.__mro__
        )
    }
    assert with_counterpart == covered
    assert "lars" not in with_counterpart  # ours; tested against a hand-computed example


_SWITCHES = {
    "foreach",
    "fused",
    "capturable",
    "differentiable",
    "maximize",
    "decoupled_weight_decay",
}


@pytest.mark.parametrize("name", [i.name for i in OPTIMIZERS if i.name != "lars"])
def test_torch_defaults_are_the_signature_defaults(name):
    info = OPTIMIZERS.get(name)
    signature = inspect.signature(info.torch_class.__init__).parameters
    torch_defaults = {
        k: p.default for k, p in signature.items() if k not in {"self", "params", *_SWITCHES}
    }
    presets = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9, "nesterov": True}}
    assert info.torch_defaults == {**torch_defaults, **presets.get(name, {})}
