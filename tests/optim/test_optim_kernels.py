"""Fast kernels compute the plain rules they replace: torch's fused kernels (optim/torch_private.py)
the rules written beside them, in float64, over several steps and tensors of several shapes; and
optbench's native update kernels (native/updates.cpp) their optimizers' plain rules, in float64
to 1e-12 and in float32 to round-off, over 100 steps on the seed MLP's shapes."""

from __future__ import annotations

import pytest
import torch

from optbench import native
from optbench.optim.adadelta import Adadelta
from optbench.optim.adamax import Adamax
from optbench.optim.keras import KerasAdadelta, KerasAdamax, KerasNadam, KerasOptimizer, KerasSGD
from optbench.optim.lars import LARS
from optbench.optim.nadam import NAdam
from optbench.optim.native_update import Gathered, NativeTorchStep, update_path
from optbench.optim.torch_private import adagrad_rule, adamw_rule, fused_adagrad, fused_adamw

SHAPES = [(7, 5), (5,), (3, 2, 4)]


def _tensors(seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_fused_adamw_is_its_rule(amsgrad):
    hp = {"lr": 0.01, "beta1": 0.85, "beta2": 0.97, "weight_decay": 0.05, "eps": 1e-6}
    kernel = [_tensors(0), *([[torch.zeros_like(t) for t in _tensors(0)] for _ in range(3)])]
    plain = [[t.clone() for t in part] for part in kernel]
    for step in range(1, 6):
        grads = _tensors(step)
        p, m, v, vmax = kernel
        fused_adamw(p, grads, m, v, vmax if amsgrad else [], step, amsgrad=amsgrad, **hp)
        for i, g in enumerate(grads):
            pp, pm, pv, pvmax = (part[i] for part in plain)
            adamw_rule(pp, g, pm, pv, pvmax if amsgrad else None, step, **hp)
    for fused, rule in zip(kernel, plain, strict=True):
        for a, b in zip(fused, rule, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-15)


def test_fused_adagrad_is_its_rule():
    params, sums = _tensors(0), [torch.full(s, 0.1, dtype=torch.float64) for s in SHAPES]
    plain_params, plain_sums = [t.clone() for t in params], [t.clone() for t in sums]
    for step in range(1, 6):
        grads = _tensors(step)
        fused_adagrad(params, grads, sums, lr=0.05)
        for p, g, s in zip(plain_params, grads, plain_sums, strict=True):
            adagrad_rule(p, g, s, lr=0.05)
    for a, b in zip(params + sums, plain_params + plain_sums, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-15)


# -- optbench's native update kernels (native/updates.cpp) against the plain rules ------------

# Every kernel and every branch of its arithmetic: (id, class, hyperparameters).
NATIVE_CASES = [
    ("torch-adadelta", Adadelta, {"lr": 1.0}),
    ("torch-adadelta-l2", Adadelta, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}),
    ("torch-nadam", NAdam, {}),
    ("torch-nadam-l2", NAdam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.01}),
    ("torch-nadam-decoupled", NAdam, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("torch-adamax", Adamax, {}),
    ("torch-adamax-l2", Adamax, {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.01}),
    ("keras-sgd", KerasSGD, {"lr": 0.05}),
    ("keras-sgd-decay", KerasSGD, {"lr": 0.05, "weight_decay": 0.01}),
    ("keras-momentum", KerasSGD, {"lr": 0.02, "momentum": 0.9}),
    ("keras-nesterov", KerasSGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
    ("keras-nesterov-decay", KerasSGD, {"momentum": 0.8, "nesterov": True, "weight_decay": 0.04}),
    ("keras-adadelta", KerasAdadelta, {"lr": 1.0}),
    ("keras-adadelta-decay", KerasAdadelta, {"lr": 1.0, "rho": 0.9, "weight_decay": 0.01}),
    ("keras-nadam", KerasNadam, {"lr": 0.01}),
    ("keras-nadam-decay", KerasNadam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.04}),
    ("keras-adamax", KerasAdamax, {"lr": 0.01}),
    ("keras-adamax-decay", KerasAdamax, {"lr": 0.01, "weight_decay": 0.04}),
    ("lars", LARS, {"lr": 0.5}),
    ("lars-decay", LARS, {"lr": 0.5, "weight_decay": 0.005}),
    ("lars-no-momentum", LARS, {"lr": 0.5, "momentum": 0.0, "weight_decay": 0.005}),
]
NATIVE_IDS = [case[0] for case in NATIVE_CASES]
SEED_SHAPES = [(128, 784), (128,), (10, 128), (10,)]  # the seed MLP's 784-128-10
native_only = pytest.mark.skipif(not native.status().loaded, reason="native code not built")


def _start(dtype: torch.dtype) -> list[torch.Tensor]:
    """The seed shapes' weights, the same numbers in either dtype (float32 values)."""
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(s, generator=g) * 0.05).to(dtype).requires_grad_() for s in SEED_SHAPES]


def _set_grads(params: list[torch.Tensor], step: int) -> None:
    """A pull towards fixed targets plus noise: a real trajectory, the same in any dtype."""
    g = torch.Generator().manual_seed(step)
    for p in params:
        noise = torch.randn(p.shape, generator=g).to(p.dtype)
        with torch.no_grad():
            p.grad = 0.1 * (p - 0.02) + 0.01 * noise


def native_step(opt: torch.optim.Optimizer) -> None:
    """One step of `opt`'s group on its native kernel whatever the dtype (step() takes it for
    float32 only): the fast path itself, as test_rmsprop.py does for RMSprop's."""
    group = opt.param_groups[0]
    params = [p for p in group["params"] if p.grad is not None]
    with torch.no_grad():
        if isinstance(opt, NativeTorchStep):
            for p in params:
                if not opt.state[p]:
                    opt.init_state(p, opt.state[p])
            gathered = Gathered.gather(params, opt.state, ("step", *opt.scalars, *opt.buffers))
            opt.native_step(group, gathered, float(gathered.buffers["step"][0]) + 1)
        elif isinstance(opt, KerasOptimizer):
            params = opt._with_grads(group)
            fused = Gathered.gather(params, opt.state, _state_tensors(opt, params[0]))
            opt.fused_update(fused, group)
        else:
            for p in params:
                if not opt.state[p]:
                    opt._init_state(p, opt.state[p], group)
            opt._native_update(Gathered.gather(params, opt.state, _state_tensors(opt, p)), group)


def _state_tensors(opt: torch.optim.Optimizer, p: torch.Tensor) -> tuple[str, ...]:
    return tuple(k for k, v in opt.state[p].items() if isinstance(v, torch.Tensor))


def _trajectory(cls, hparams, dtype, path, steps=100):
    """Weights and state after `steps`: on the native kernel ("native", through step() for
    float32), or the plain rule ("plain": the Python rule, or torch's own step)."""
    params = _start(dtype)
    opt = cls(params, **hparams)
    opt.native = path == "native"
    for step in range(1, steps + 1):
        _set_grads(params, step)
        if path == "native" and dtype == torch.float64:
            native_step(opt)
        else:
            opt.step()
    kernel = path == "native" and dtype == torch.float32
    assert update_path(opt) == ("native" if kernel else "plain")
    state = [v for p in params for v in opt.state[p].values() if isinstance(v, torch.Tensor)]
    return [p.detach().clone() for p in params], state


@native_only
@pytest.mark.parametrize(("case", "cls", "hparams"), NATIVE_CASES, ids=NATIVE_IDS)
def test_native_kernel_is_its_plain_rule_in_float64(case, cls, hparams):
    kernel, kernel_state = _trajectory(cls, hparams, torch.float64, "native")
    rule, rule_state = _trajectory(cls, hparams, torch.float64, "plain")
    for a, b in zip(kernel + kernel_state, rule + rule_state, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)
    start = _start(torch.float64)
    assert max((a - s).abs().max() for a, s in zip(kernel, start, strict=True)) > 1e-3  # moved


@native_only
@pytest.mark.parametrize(("case", "cls", "hparams"), NATIVE_CASES, ids=NATIVE_IDS)
def test_native_kernel_in_float32_is_the_rule_to_round_off(case, cls, hparams):
    """Against the rule in float64, the kernel's float32 weights are as close as the rule's own
    float32 weights are (both only round differently)."""
    exact, _ = _trajectory(cls, hparams, torch.float64, "plain")
    kernel, _ = _trajectory(cls, hparams, torch.float32, "native")
    rule, _ = _trajectory(cls, hparams, torch.float32, "plain")
    for k, r, e in zip(kernel, rule, exact, strict=True):
        kernel_error = (k.double() - e).abs().max().item()
        rule_error = (r.double() - e).abs().max().item()
        assert kernel_error <= max(2 * rule_error, 1e-6 * e.abs().max().item())
