"""The same contract for every registry entry in both profiles (optax / timm style)."""

from __future__ import annotations

import copy
import doctest
import io

import pytest
import torch

import optbench.optim
from optbench.core.specs import OptimizerSpec
from optbench.optim import (
    OPTIMIZERS,
    PROFILES,
    build_optimizer,
    format_optimizer,
    parse_optimizer,
    resolve_optimizer,
)

ENTRIES = [(info.name, profile) for info in OPTIMIZERS for profile in PROFILES]
IDS = [f"{n}-{p}" for n, p in ENTRIES]

# A learning rate that solves the parabola below in 300 steps; every entry needs one.
CONVERGE_LR = {
    "sgd": 0.1,
    "momentum": 0.03,
    "nesterov": 0.03,
    "adagrad": 1.0,
    "rmsprop": 0.03,
    "adadelta": 30.0,
    "adam": 0.1,
    "adamw": 0.1,
    "nadam": 0.1,
    "adamax": 0.1,
    "lars": 1.0,
}


def test_registry_lists_the_expected_optimizers():
    assert OPTIMIZERS.names() == [
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adadelta",
        "adam",
        "adamw",
        "nadam",
        "adamax",
        "lars",
    ]
    assert all(name == name.lower() for name in OPTIMIZERS.names())
    assert set(CONVERGE_LR) == set(OPTIMIZERS.names()), "add the new optimizer to CONVERGE_LR"


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_info_is_complete(name):
    info = OPTIMIZERS.get(name)
    assert info.name == name
    assert info.description and info.reference and info.formula and info.keras_formula
    assert info.tags
    assert "lr" in info.torch_defaults and "lr" in info.keras_defaults


@pytest.mark.parametrize(("name", "profile"), ENTRIES, ids=IDS)
def test_converges_on_an_ill_conditioned_parabola(name, profile):
    # f(w) = ½·((x - 1)² + 10·(y + 2)²), w a 1×2 matrix (so LARS's layer-wise scaling applies)
    target = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    curvature = torch.tensor([[1.0, 10.0]], dtype=torch.float64)
    w = torch.nn.Parameter(torch.tensor([[2.0, 1.0]], dtype=torch.float64))
    opt = build_optimizer(parse_optimizer(f"{name}:lr={CONVERGE_LR[name]}", profile), [w])
    losses = []
    for _ in range(300):
        opt.zero_grad()
        loss = 0.5 * (curvature * (w - target) ** 2).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]


def _mlp(dtype: torch.dtype, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)).to(
        dtype
    )


def _steps(model: torch.nn.Module, opt: torch.optim.Optimizer, n: int, seed: int = 1) -> None:
    gen = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    for _ in range(n):
        x = torch.randn(8, 3, generator=gen).to(dtype)
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "profile"), ENTRIES, ids=IDS)
def test_keeps_dtype(name, profile, dtype):
    model = _mlp(dtype)
    opt = build_optimizer(parse_optimizer(name, profile), model.parameters())
    _steps(model, opt, 3)
    for p in model.parameters():
        assert p.dtype == dtype
        assert torch.isfinite(p).all()
        for key, value in opt.state[p].items():
            if isinstance(value, torch.Tensor) and value.shape == p.shape:
                assert value.dtype == dtype, key


@pytest.mark.parametrize(("name", "profile"), ENTRIES, ids=IDS)
def test_state_dict_round_trip(name, profile):
    """Checkpoint after 3 steps, restore into a fresh optimizer: the next 3 steps are identical."""
    spec = parse_optimizer(f"{name}:lr=0.01", profile)
    model = _mlp(torch.float64)
    opt = build_optimizer(spec, model.parameters())
    _steps(model, opt, 3)
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    restored_model = copy.deepcopy(model)
    restored = build_optimizer(spec, restored_model.parameters())
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    _steps(model, opt, 3, seed=2)
    _steps(restored_model, restored, 3, seed=2)
    # torch's NAdam keeps `mu_product` in float32 but load_state_dict casts it to the parameter
    # dtype, so a restored torch NAdam is slightly more precise than the original. Exact otherwise.
    rtol = 1e-9 if (name, profile) == ("nadam", "torch") else 0.0
    for a, b in zip(model.parameters(), restored_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=rtol, atol=0)


@pytest.mark.parametrize(("name", "profile"), ENTRIES, ids=IDS)
def test_resolve_gives_the_full_hyperparameter_set(name, profile):
    info = OPTIMIZERS.get(name)
    resolved = resolve_optimizer(OptimizerSpec(name, {}, profile))
    assert resolved.hparams == info.defaults(profile)
    assert resolve_optimizer(resolved) == resolved  # idempotent
    assert resolve_optimizer(parse_optimizer(format_optimizer(resolved), profile)) == resolved
    changed = resolve_optimizer(OptimizerSpec(name.upper(), {"lr": 1}, profile))
    assert changed.name == name
    assert changed.hparams == {**info.defaults(profile), "lr": 1.0}
    assert isinstance(changed.hparams["lr"], float)


@pytest.mark.parametrize(("name", "profile"), ENTRIES, ids=IDS)
def test_param_groups_with_their_own_lr(name, profile):
    model = _mlp(torch.float64)
    first, second = model[0], model[2]
    groups = [{"params": first.parameters(), "lr": 1e-4}, {"params": second.parameters()}]
    opt = build_optimizer(parse_optimizer(name, profile), groups)
    assert opt.param_groups[0]["lr"] == 1e-4
    assert opt.param_groups[1]["lr"] == OPTIMIZERS.get(name).defaults(profile)["lr"]
    _steps(model, opt, 2)


def test_betas_given_as_a_list_become_a_tuple():
    spec = resolve_optimizer(OptimizerSpec("adam", {"betas": [0.5, 0.9]}))
    assert spec.hparams["betas"] == (0.5, 0.9)


def test_docstring_examples_run():
    result = doctest.testmod(optbench.optim, verbose=False)
    assert result.attempted > 0 and result.failed == 0
