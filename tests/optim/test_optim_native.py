"""Optimizers on native update kernels (optim/native_update.py) keep their classes' promises.

The torch profile's Adadelta, NAdam and Adamax are torch.optim's classes on a kernel: torch's
loop's results (float64 to ~1e-15, float32 to round-off), torch's state (a checkpoint moves
between the classes both ways), and torch's own step wherever the kernel does not apply. Every
optimizer with a kernel carries the `native` flag: False runs no compiled code. A run resumed
from a checkpoint mid-way ends bit for bit where the uninterrupted run ends. (Kernel against
plain rule for every kernel: tests/optim/test_optim_kernels.py.)
"""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch
from test_optim_kernels import SEED_SHAPES, native_only, native_step

from optbench.optim import OPTIMIZERS, build_optimizer, parse_optimizer
from optbench.optim.adadelta import Adadelta
from optbench.optim.adamax import Adamax
from optbench.optim.nadam import NAdam
from optbench.optim.native_update import NativeUpdate, update_path

# (our class, torch's, hyperparameters)
TORCH_CASES = [
    (Adadelta, torch.optim.Adadelta, {}),
    (Adadelta, torch.optim.Adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.01}),
    (NAdam, torch.optim.NAdam, {}),
    (NAdam, torch.optim.NAdam, {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.01}),
    (NAdam, torch.optim.NAdam, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    (Adamax, torch.optim.Adamax, {}),
    (Adamax, torch.optim.Adamax, {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.01}),
]
TORCH_IDS = [f"{ours.__name__}-{i}" for i, (ours, _, _) in enumerate(TORCH_CASES)]
# Every optimizer with a kernel, by registry name and profile.
NATIVE = [
    ("adadelta", "torch"),
    ("nadam", "torch"),
    ("adamax", "torch"),
    ("lars", "torch"),
    ("sgd", "keras"),
    ("momentum", "keras"),
    ("nesterov", "keras"),
    ("adadelta", "keras"),
    ("nadam", "keras"),
    ("adamax", "keras"),
    ("lars", "keras"),
]


def _grads(step: int, dtype: torch.dtype) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(step)
    return [(torch.randn(s, generator=g) * 0.01).to(dtype) for s in SEED_SHAPES]


def _params(dtype: torch.dtype) -> list[torch.Tensor]:
    return [(t * 5).requires_grad_() for t in _grads(0, dtype)]


def _run(params, opt, steps, direct=False):
    for step in steps:
        for p, g in zip(params, _grads(step, params[0].dtype), strict=True):
            p.grad = g
        native_step(opt) if direct else opt.step()


def _pair(ours_cls, torch_cls, hparams, dtype):
    mine, theirs = _params(dtype), _params(dtype)
    return mine, ours_cls(mine, **hparams), theirs, torch_cls(theirs, **hparams, foreach=False)


@native_only
@pytest.mark.parametrize(("ours", "theirs", "hparams"), TORCH_CASES, ids=TORCH_IDS)
def test_the_kernel_is_torchs_loop_in_float64(ours, theirs, hparams):
    mine, opt, ref_params, ref = _pair(ours, theirs, hparams, torch.float64)
    _run(mine, opt, range(1, 101), direct=True)  # step() takes torch's loop for float64
    _run(ref_params, ref, range(1, 101))
    for a, b in zip(mine, ref_params, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-14, atol=1e-16)
    states = (opt.state_dict()["state"].values(), ref.state_dict()["state"].values())
    for a, b in zip(*states, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-13, atol=1e-17)


@native_only
@pytest.mark.parametrize(("ours", "theirs", "hparams"), TORCH_CASES, ids=TORCH_IDS)
def test_float32_takes_the_kernel_and_agrees_with_torch_to_round_off(ours, theirs, hparams):
    mine, opt, ref_params, ref = _pair(ours, theirs, hparams, torch.float32)
    assert update_path(opt) == "native"
    _run(mine, opt, range(1, 101))
    _run(ref_params, ref, range(1, 101))
    for a, b in zip(mine, ref_params, strict=True):
        torch.testing.assert_close(a, b, rtol=2e-5, atol=2e-6)
    mine_state, ref_state = opt.state_dict(), ref.state_dict()
    for group in ref_state["param_groups"]:
        group["foreach"] = None  # the one option the reference was given
    assert mine_state["param_groups"] == ref_state["param_groups"]
    for a, b in zip(mine_state["state"].values(), ref_state["state"].values(), strict=True):
        assert {k: (v.dtype, v.shape) for k, v in a.items()} == {
            k: (v.dtype, v.shape) for k, v in b.items()
        }
        assert torch.equal(a["step"], b["step"])
        if "mu_product" in a:  # NAdam's Π, rounded as torch's `mu_product *= mu` rounds it
            assert torch.equal(a["mu_product"], b["mu_product"])


@native_only
@pytest.mark.parametrize(("ours", "theirs", "hparams"), TORCH_CASES, ids=TORCH_IDS)
def test_a_checkpoint_moves_between_the_classes_both_ways(ours, theirs, hparams):
    """Ours → torch's: torch's class continues exactly as ours does on torch's loop. Torch's →
    ours: ours continues on its kernel, with torch's results to round-off."""
    params = _params(torch.float32)
    opt = ours(params, **hparams)
    _run(params, opt, range(1, 31))
    checkpoint = _saved(opt.state_dict())
    in_theirs = _continued(theirs, hparams, params, checkpoint, range(31, 61), foreach=False)
    in_ours = _continued(ours, hparams, params, checkpoint, range(31, 61), native=False)
    assert all(torch.equal(a, b) for a, b in zip(in_theirs[0], in_ours[0], strict=True))

    ref_params, ref = _continued(theirs, hparams, params, checkpoint, range(31, 41), foreach=False)
    mine, again = _continued(ours, hparams, ref_params, _saved(ref.state_dict()), range(41, 61))
    _run(ref_params, ref, range(41, 61))
    assert update_path(again) == "native"
    for a, b in zip(mine, ref_params, strict=True):
        torch.testing.assert_close(a, b, rtol=2e-5, atol=2e-6)
    assert all(
        torch.equal(a["step"], b["step"])
        for a, b in zip(again.state.values(), ref.state.values(), strict=True)
    )


def _continued(cls, hparams, weights, checkpoint, steps, native=True, **options):
    """A new optimizer of `cls` on copies of `weights`, loaded from `checkpoint`, run `steps`."""
    params = [w.detach().clone().requires_grad_() for w in weights]
    opt = cls(params, **hparams, **options)
    opt.native = native
    opt.load_state_dict(_saved(checkpoint))  # a copy: a loaded state dict shares its tensors
    _run(params, opt, steps)
    return params, opt


def _saved(state_dict):
    """Through torch.save and torch.load (weights_only), as a checkpoint goes."""
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@native_only
@pytest.mark.parametrize(("name", "profile"), NATIVE, ids=[f"{n}-{p}" for n, p in NATIVE])
def test_resumed_mid_run_ends_where_the_uninterrupted_run_ends(name, profile):
    spec = parse_optimizer(name, profile)
    whole = _params(torch.float32)
    opt = build_optimizer(spec, whole)
    assert update_path(opt) == "native"
    _run(whole, opt, range(1, 61))

    first = _params(torch.float32)
    opt = build_optimizer(spec, first)
    _run(first, opt, range(1, 31))
    weights, state = _saved([p.detach() for p in first]), _saved(opt.state_dict())
    resumed = [w.clone().requires_grad_() for w in weights]
    again = build_optimizer(spec, resumed)
    again.load_state_dict(state)
    _run(resumed, again, range(31, 61))
    assert all(torch.equal(a, b) for a, b in zip(whole, resumed, strict=True))


FALLBACKS = [
    ({"maximize": True}, torch.float32),
    ({"foreach": True}, torch.float32),
    ({"lr": torch.tensor(0.01)}, torch.float32),
    ({}, torch.float64),
]
FALLBACK_IDS = ["maximize", "foreach", "tensor-lr", "float64"]


@pytest.mark.parametrize(("ours", "theirs", "hparams"), TORCH_CASES[::2], ids=TORCH_IDS[::2])
@pytest.mark.parametrize(("options", "dtype"), FALLBACKS, ids=FALLBACK_IDS)
def test_what_the_kernel_does_not_do_takes_torchs_own_step(ours, theirs, hparams, options, dtype):
    """Bit for bit torch's class with the same options (foreach=True: torch's foreach loop)."""
    kwargs = {**hparams, **options}
    mine, theirs_params = _params(dtype), _params(dtype)
    opt = ours(mine, **kwargs)
    ref = theirs(theirs_params, **{"foreach": False, **kwargs})
    assert update_path(opt) == "plain"
    _run(mine, opt, range(1, 11))
    _run(theirs_params, ref, range(1, 11))
    assert all(torch.equal(a, b) for a, b in zip(mine, theirs_params, strict=True))


@pytest.mark.parametrize(("name", "profile"), NATIVE, ids=[f"{n}-{p}" for n, p in NATIVE])
def test_native_false_runs_the_plain_rule(name, profile):
    """`build_optimizer(..., native=False)` (a study's --no-native): no kernel, whatever is
    loaded; the same steps as the plain rule of a copy switched off after it was built."""
    spec = parse_optimizer(name, profile)
    off = build_optimizer(spec, first := _params(torch.float32), native=False)
    assert isinstance(off, NativeUpdate) and off.native is False
    assert update_path(off) == "plain"
    plain = build_optimizer(spec, second := _params(torch.float32))
    plain.native = False
    _run(first, off, range(1, 6))
    _run(second, plain, range(1, 6))
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


@native_only
def test_switched_off_mid_run_the_next_step_is_plain():
    """The flag is read at every step, even while the gathered tensors are reused."""
    spec = parse_optimizer("nadam", "keras")
    params = _params(torch.float32)
    opt = build_optimizer(spec, params)
    _run(params, opt, range(1, 4))
    twin_params = [p.detach().clone().requires_grad_() for p in params]
    twin = build_optimizer(spec, twin_params, native=False)
    twin.load_state_dict(_saved(opt.state_dict()))
    for p, g in zip(params, _grads(9, torch.float32), strict=True):
        p.grad.copy_(g)  # in place: the gathered tensors still hold
    opt.native = False
    opt.step()
    _run(twin_params, twin, [9])
    assert all(torch.equal(a, b) for a, b in zip(params, twin_params, strict=True))


@pytest.mark.parametrize("name", ["nadam", "lars"])
def test_the_flag_survives_a_copy_and_a_pickle(name):
    opt = build_optimizer(parse_optimizer(name), _params(torch.float32), native=False)
    assert copy.deepcopy(opt).native is False
    assert pickle.loads(pickle.dumps(opt)).native is False


def test_every_optimizer_with_a_kernel_is_listed_here():
    """So each is in the resume and flag tests above (and in test_optim_kernels.py)."""
    with_kernel = {
        (info.name, profile)
        for info in OPTIMIZERS
        for profile in ("torch", "keras")
        if issubclass(info.optimizer_class(profile), NativeUpdate)
    }
    assert with_kernel == set(NATIVE)


@native_only
def test_update_path_names_the_kernel_only_where_it_runs():
    float32, float64 = _params(torch.float32), _params(torch.float64)
    assert update_path(build_optimizer(parse_optimizer("nadam"), float32)) == "native"
    assert update_path(build_optimizer(parse_optimizer("nadam"), float64)) == "plain"
    assert update_path(build_optimizer(parse_optimizer("adam", "keras"), float32)) == "plain"
    assert update_path(build_optimizer(parse_optimizer("rmsprop"), float32)) == "plain"


@native_only
@pytest.mark.parametrize(("name", "profile"), NATIVE, ids=[f"{n}-{p}" for n, p in NATIVE])
def test_gathered_tensors_are_reused_and_gathered_anew_when_replaced(name, profile):
    """Gradients written in place (the native group step) reuse the gathered tensors; a new
    gradient object every step gathers anew: the same steps bit for bit."""
    spec = parse_optimizer(name, profile)
    reused, fresh = _params(torch.float32), _params(torch.float32)
    opts = [build_optimizer(spec, reused), build_optimizer(spec, fresh)]
    for p in reused:
        p.grad = torch.zeros_like(p)
    for step in range(1, 21):
        for a, b, g in zip(reused, fresh, _grads(step, torch.float32), strict=True):
            a.grad.copy_(g)
            b.grad = g.clone()
        for opt in opts:
            opt.step()
    assert all(torch.equal(a, b) for a, b in zip(reused, fresh, strict=True))
    (gathered,) = opts[0]._gathered.values()
    assert gathered.grads[0] is reused[0].grad


@native_only
@pytest.mark.parametrize(("ours", "theirs", "hparams"), TORCH_CASES[::2], ids=TORCH_IDS[::2])
def test_steps_edited_apart_take_torchs_step(ours, theirs, hparams):
    """Every tensor's state must be at the same step for the kernel's one set of constants;
    a state edited by hand takes torch's own step, as torch's class would run it."""
    mine, opt, theirs_params, ref = _pair(ours, theirs, hparams, torch.float32)
    _run(mine, opt, range(1, 3))
    ref.load_state_dict(_saved(opt.state_dict()))
    for p, q in zip(mine, theirs_params, strict=True):
        with torch.no_grad():
            q.copy_(p)
    for state in (opt.state[mine[1]], ref.state[theirs_params[1]]):
        state["step"].fill_(7)
    _run(mine, opt, range(3, 5))
    _run(theirs_params, ref, range(3, 5))
    assert all(torch.equal(a, b) for a, b in zip(mine, theirs_params, strict=True))
