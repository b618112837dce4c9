"""plain_step: optimizer.step without torch's wrappers, unless a hook or profiler needs them."""

from __future__ import annotations

import io

import pytest
import torch
import torch.optim.optimizer as torch_optimizer
from torch import nn

from optbench.core.specs import OptimizerSpec
from optbench.optim import build_optimizer
from optbench.optim.torch_private import plain_step

OPTIMIZERS = [
    OptimizerSpec("adam", {}, "keras"),
    OptimizerSpec("rmsprop", {}, "keras"),
    OptimizerSpec("adam", {}, "torch"),
    OptimizerSpec("lars", {}, "torch"),
]


def _trained(spec: OptimizerSpec, fast: bool, steps: int = 3) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    optimizer = build_optimizer(spec, model.parameters())
    step = plain_step(optimizer) if fast else optimizer.step
    x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("spec", OPTIMIZERS, ids=lambda s: f"{s.profile}-{s.name}")
def test_same_update_as_the_wrapped_step(spec: OptimizerSpec) -> None:
    fast, wrapped = _trained(spec, fast=True), _trained(spec, fast=False)
    assert all(torch.equal(a, b) for a, b in zip(fast, wrapped, strict=True))
    assert not torch.equal(fast[0], _trained(spec, fast=True, steps=2)[0])  # it did step


def _optimizer() -> tuple[torch.optim.Optimizer, nn.Parameter]:
    weight = nn.Parameter(torch.ones(3))
    weight.grad = torch.ones(3)
    return build_optimizer(OptimizerSpec("adam", {}, "keras"), [weight]), weight


def test_skips_the_wrapper_while_nothing_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    optimizer, weight = _optimizer()
    wrapper_calls = []  # the wrapper, and only it, calls _optimizer_step_code after the step
    monkeypatch.setattr(optimizer, "_optimizer_step_code", lambda: wrapper_calls.append(1))
    plain_step(optimizer)()
    assert wrapper_calls == [] and not torch.equal(weight, torch.ones(3))
    optimizer.step()
    assert wrapper_calls == [1]


def test_hooks_registered_later_still_run() -> None:
    optimizer, _ = _optimizer()
    step = plain_step(optimizer)  # taken before any hook exists
    calls: list[str] = []
    own = optimizer.register_step_pre_hook(lambda *_: calls.append("own pre"))
    post = optimizer.register_step_post_hook(lambda *_: calls.append("own post"))
    step()
    own.remove()
    post.remove()
    hook = torch_optimizer.register_optimizer_step_pre_hook(lambda *_: calls.append("global pre"))
    try:
        step()
    finally:
        hook.remove()
    step()  # no hook left: nothing more is called
    assert calls == ["own pre", "own post", "global pre"]


def test_a_profiler_still_sees_the_step() -> None:
    optimizer, _ = _optimizer()
    step = plain_step(optimizer)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    names = {event.key for event in prof.key_averages()}
    assert "Optimizer.step#KerasAdam.step" in names


# torch.optim's fused Adam, AdamW and Adagrad: the step goes straight to the kernel call
# (kernel_call), which must leave weights and state bit-identical to torch's own step.
KERNEL_CASES = {
    "adam": (torch.optim.Adam, {"lr": 1e-3}),
    "adam-amsgrad-wd-maximize": (
        torch.optim.Adam,
        {"lr": 3e-3, "amsgrad": True, "weight_decay": 1e-2, "maximize": True},
    ),
    "adamw": (torch.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.05, "betas": (0.8, 0.99)}),
    "adagrad": (
        torch.optim.Adagrad,
        {"lr": 0.05, "lr_decay": 1e-3, "weight_decay": 1e-3, "initial_accumulator_value": 0.1},
    ),
}


def _seed_mlp_run(cls: type, hparams: dict, fast: bool) -> tuple[list, dict]:
    """30 steps of the seed's 784-128-10 MLP on fixed batches; the lr halves at step 10, the
    state goes through torch.save and back at step 15 and is loaded back at step 20 (the
    gathered lists, and the step counts they share, must follow), and at step 25 a hook makes
    the step torch's own, on those shared counts."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = cls(model.parameters(), fused=True, **hparams)
    step = plain_step(optimizer) if fast else optimizer.step
    batches = torch.Generator().manual_seed(1)
    for i in range(30):
        x = torch.rand(64, 784, generator=batches)
        y = torch.randint(0, 10, (64,), generator=batches)
        optimizer.zero_grad(set_to_none=i % 2 == 0)  # new .grad tensors every other step
        nn.functional.cross_entropy(model(x), y).backward()
        hook = optimizer.register_step_pre_hook(lambda *_: None) if i == 25 else None
        step()
        if hook is not None:
            hook.remove()
        if i == 15:
            saved = io.BytesIO()
            torch.save(optimizer.state_dict(), saved)
            optimizer.load_state_dict(torch.load(io.BytesIO(saved.getvalue())))
        if i == 10:
            optimizer.param_groups[0]["lr"] /= 2
        if i == 20:
            optimizer.load_state_dict(optimizer.state_dict())
    return [p.detach().clone() for p in model.parameters()], optimizer.state_dict()


@pytest.mark.parametrize("case", KERNEL_CASES)
def test_fused_kernel_call_is_torchs_step_bit_for_bit(case: str) -> None:
    cls, hparams = KERNEL_CASES[case]
    optimizer = cls([nn.Parameter(torch.ones(3))], fused=True, **hparams)
    assert plain_step(optimizer) is not None
    fast_weights, fast_state = _seed_mlp_run(cls, hparams, fast=True)
    torch_weights, torch_state = _seed_mlp_run(cls, hparams, fast=False)
    assert all(torch.equal(a, b) for a, b in zip(fast_weights, torch_weights, strict=True))
    for index, state in torch_state["state"].items():
        for name, value in state.items():
            assert torch.equal(fast_state["state"][index][name], value), (index, name)


def test_fused_kernel_call_takes_the_step_and_declines_what_it_does_not_cover() -> None:
    weight = nn.Parameter(torch.ones(3))
    weight.grad = torch.ones(3)
    optimizer = torch.optim.Adam([weight], fused=True)
    step = plain_step(optimizer)
    step()  # the first step is torch's: it creates the state
    assert not optimizer.__dict__.get("_gathered")
    step()  # then the kernel call, on lists it keeps
    assert optimizer.__dict__["_gathered"][0].params == [weight]
    assert float(optimizer.state[weight]["step"]) == 2.0
    optimizer.param_groups[0]["lr"] = torch.tensor(1e-3)  # a tensor lr: torch's step again
    step()
    assert float(optimizer.state[weight]["step"]) == 3.0


def test_shared_step_counts_stay_the_parameters_own() -> None:
    """The kernel call counts every parameter's step in one add on one tensor their counts
    are views of; each count is still its own: torch's step adds 1 to each, once."""
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    optimizer = torch.optim.Adam(model.parameters(), fused=True)
    step = plain_step(optimizer)
    step()
    step()  # the kernel call: the counts are now views of one tensor
    counts = [optimizer.state[p]["step"] for p in model.parameters()]
    assert counts[0]._base is not None and all(c._base is counts[0]._base for c in counts)
    optimizer.step()  # torch's own step, through its wrapper
    assert [float(optimizer.state[p]["step"]) for p in model.parameters()] == [3.0] * 4
    for p in model.parameters():  # new gradient tensors: gathered again, the counts still shared
        p.grad = torch.ones_like(p)
    step()
    assert [float(optimizer.state[p]["step"]) for p in model.parameters()] == [4.0] * 4
    # A count replaced by hand, with an element of another tensor at the offset it had: no
    # longer one of the shared tensor's, so shared anew (else this one would not be counted).
    second = list(model.parameters())[1]
    optimizer.state[second]["step"] = torch.tensor([0.0, 10.0])[1]
    step()
    assert [float(optimizer.state[p]["step"]) for p in model.parameters()] == [5.0, 11.0, 5.0, 5.0]
